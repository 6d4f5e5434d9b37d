"""Server-side SigV4 verification, using botocore's own signer.

The fake never reimplements the SigV4 arithmetic. It hands :class:`botocore.auth.SigV4Auth` the
request it received (the raw, still percent-encoded path, the query as received, only the
headers the client listed in ``SignedHeaders``, the exact body bytes; with just the attributes
``SigV4Auth`` reads, as a :class:`botocore.awsrequest.AWSRequest` has them) and asks it for the
canonical request, the string to sign and the signature under the secret the ledger issued for
that key.

botocore's ``_normalize_url_path`` quotes the path once more (``safe="/~"``), which applied to
the raw path is exactly the double encoding AWS uses for every service but S3: boto3 sends
``v1%3A0`` and the canonical form is ``v1%253A0``; anthropic sends ``v1:0`` and the canonical
form is ``v1%3A0``.
"""

from __future__ import annotations

import base64
import functools
import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from pytest_bedrock_creds.servers.base import HttpRequest

__all__ = [
    "ALGORITHM",
    "SHORT_TERM_PREFIX",
    "IncompleteSignature",
    "ShortTermKey",
    "SigV4Authorization",
    "SigV4Result",
    "check_date",
    "compute_signature",
    "make_short_term_key",
    "verify_signature",
]

ALGORITHM = "AWS4-HMAC-SHA256"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
#: How far X-Amz-Date may be from the server clock, as AWS allows.
MAX_SKEW = timedelta(minutes=5)

#: ``Name=value`` pairs of the header. A value runs to the next ``, Name=`` of a known
#: parameter, so a key id holding spaces or commas arrives whole.
_PARAM = re.compile(r"(Credential|SignedHeaders|Signature)=(.*?)\s*(?=,\s*(?:Credential|SignedHeaders|Signature)=|$)",
                    re.DOTALL)


class IncompleteSignature(ValueError):
    """An ``AWS4-HMAC-SHA256`` Authorization header that cannot be parsed; the message is AWS's.

    ``access_key_id`` is the key id the header carried, when it carried one.
    """

    def __init__(self, message: str, access_key_id: str | None = None) -> None:
        super().__init__(message)
        self.access_key_id = access_key_id


@dataclass(frozen=True)
class SigV4Authorization:
    """The parts of an ``Authorization: AWS4-HMAC-SHA256 ...`` header. No secret is in here.

    ``access_key_id`` is exactly what arrived before the credential scope (``""`` when empty;
    spaces, commas and slashes kept).
    """

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @classmethod
    def parse(cls, value: str) -> SigV4Authorization:
        """Parse the header value; raise :class:`IncompleteSignature` with AWS's wording."""
        return _parse_authorization(value)

    @classmethod
    def _parse(cls, value: str) -> SigV4Authorization:
        if not value.startswith(ALGORITHM + " "):
            raise IncompleteSignature(f"Unsupported Authorization Type. Authorization={value.split(' ', 1)[0]}")
        params = {m.group(1): m.group(2) for m in _PARAM.finditer(value[len(ALGORITHM) + 1 :])}
        credential = params.get("Credential")
        scope = credential.rsplit("/", 4) if credential is not None else []
        key_id = scope[0] if len(scope) == 5 else credential
        missing = [
            f"Authorization header requires '{name}' parameter."
            for name in ("Credential", "Signature", "SignedHeaders")
            if not params.get(name)
        ]
        if missing:
            raise IncompleteSignature(" ".join(missing) + f" Authorization={ALGORITHM}", key_id)
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise IncompleteSignature(
                "Credential should be scoped with a valid terminator: 'aws4_request', "
                f"not {(credential or '').split('/')[-1]!r}. Authorization={ALGORITHM}",
                key_id,
            )
        return cls(
            access_key_id=scope[0],
            date=scope[1],
            region=scope[2],
            service=scope[3],
            signed_headers=tuple(h for h in params["SignedHeaders"].lower().split(";") if h),
            signature=params["Signature"].lower(),
        )


@functools.lru_cache(maxsize=256)
def _parse_authorization(value: str) -> SigV4Authorization:
    return SigV4Authorization._parse(value)  # a replayed header is parsed once


@dataclass(frozen=True)
class SigV4Result:
    """What the server computed; ``canonical_request`` and ``string_to_sign`` hold no secret."""

    valid: bool
    canonical_request: str
    string_to_sign: str
    expected_signature: str


class _Headers:
    """Headers as ``SigV4Auth`` reads them: ``in``, ``[]`` (case-insensitive, first value), names,
    ``items()`` and ``get_all()``; duplicates are kept in order."""

    def __init__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        self._pairs = pairs
        self._by_name: dict[str, list[str]] = {}
        for name, value in pairs:
            self._by_name.setdefault(name.lower(), []).append(value)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_name

    def __getitem__(self, name: str) -> str:
        return self._by_name[name.lower()][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def items(self) -> tuple[tuple[str, str], ...]:
        return self._pairs

    def get_all(self, name: str, failobj: Any = None) -> list[str] | Any:
        return self._by_name.get(name.lower(), failobj)


class _Received:
    """The request as received, with just what ``SigV4Auth`` reads from a request (an ``AWSRequest``
    would prepare itself again on every read of its body)."""

    def __init__(self, method: str, url: str, headers: _Headers, body: bytes, amz_date: str) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.params: dict[str, str] = {}
        self.context = {"timestamp": amz_date}


class _ReceivedRequestSigner(SigV4Auth):
    """``SigV4Auth`` restricted to the headers the client said it signed."""

    def __init__(self, credentials: Credentials, service: str, region: str, signed: tuple[str, ...]) -> None:
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request: Any) -> Any:
        return _Headers(tuple((name.lower(), value) for name, value in request.headers.items()
                              if name.lower() in self._signed))


def compute_signature(
    request: HttpRequest,
    auth: SigV4Authorization,
    secret_access_key: str,
    *,
    scheme: str = "https",
) -> SigV4Result:
    """Recompute the signature of ``request`` with ``secret_access_key`` and compare it.

    ``scheme`` only matters to botocore's choice of payload hashing, which for a non-S3
    signer is always the body's SHA-256.
    """
    amz_date = request.header("X-Amz-Date") or request.header("Date") or ""
    host = request.header("Host") or "localhost"
    signed = set(auth.signed_headers)
    headers = tuple((name, value) for name, value in request.headers if name.lower() in signed)
    if len(request.body) > _MEMO_MAX_BODY:
        return _compute(request.method, request.raw_path, request.body, headers, amz_date, host, auth,
                        secret_access_key, scheme)
    # The same signed request (a replay, a load test) always gets the same answer: remember it.
    return _compute_memo(request.method, request.raw_path, request.body, headers, amz_date, host, auth,
                         secret_access_key, scheme)


#: Bodies up to this size are kept in the memo of recent verdicts (it holds 256 of them).
_MEMO_MAX_BODY = 64 * 1024


def _compute(
    method: str,
    raw_path: str,
    body: bytes,
    headers: tuple[tuple[str, str], ...],
    amz_date: str,
    host: str,
    auth: SigV4Authorization,
    secret_access_key: str,
    scheme: str,
) -> SigV4Result:
    aws_request: Any = _Received(method, f"{scheme}://{host}{raw_path}", _Headers(headers), body, amz_date)
    signer = _ReceivedRequestSigner(
        Credentials(auth.access_key_id, secret_access_key), auth.service, auth.region, auth.signed_headers
    )
    canonical = signer.canonical_request(aws_request)
    string_to_sign = signer.string_to_sign(aws_request, canonical)
    expected = signer.signature(string_to_sign, aws_request)
    valid = hmac.compare_digest(expected, auth.signature)
    return SigV4Result(valid, canonical, string_to_sign, expected)


_compute_memo = functools.lru_cache(maxsize=256)(_compute)


_AMZ_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z", re.ASCII)


@functools.lru_cache(maxsize=64)
def _parse_amz_date(amz_date: str) -> datetime:
    """``YYYYMMDDTHHMMSSZ`` exactly (ISO 8601 basic format, as SigV4 writes it); ValueError otherwise.
    (Not ``strptime``: it takes one-digit fields, and costs a regex build when its cache is cold.)"""
    found = _AMZ_DATE.fullmatch(amz_date)
    if found is None:
        raise ValueError(f"not an X-Amz-Date: {amz_date!r}")
    year, month, day, hour, minute, second = map(int, found.groups())
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)


def verify_signature(request: HttpRequest, secret_access_key: str, *, scheme: str = "https") -> SigV4Result:
    """Parse the request's Authorization header and check its signature."""
    auth = SigV4Authorization.parse(request.header("Authorization") or "")
    return compute_signature(request, auth, secret_access_key, scheme=scheme)


def check_date(amz_date: str | None, scope_date: str, now: datetime | None = None) -> tuple[str, str] | None:
    """Check X-Amz-Date against the clock and the credential scope.

    Returns ``None`` when acceptable, else ``(error_code, message)`` worded as AWS words it.
    """
    if not amz_date:
        return (
            "IncompleteSignatureException",
            (
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                f"Authorization={ALGORITHM}"
            ),
        )
    try:
        when = _parse_amz_date(amz_date)
    except ValueError:
        return ("IncompleteSignatureException", f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.")
    now = now or datetime.now(timezone.utc)
    fmt = AMZ_DATE_FORMAT
    if when < now - MAX_SKEW:
        return (
            "InvalidSignatureException",
            (
                f"Signature expired: {amz_date} is now earlier than {(now - MAX_SKEW).strftime(fmt)} "
                f"({now.strftime(fmt)} - 5 min.)"
            ),
        )
    if when > now + MAX_SKEW:
        return (
            "InvalidSignatureException",
            (
                f"Signature not yet current: {amz_date} is still later than {(now + MAX_SKEW).strftime(fmt)} "
                f"({now.strftime(fmt)} + 5 min.)"
            ),
        )
    if amz_date[:8] != scope_date:
        return (
            "InvalidSignatureException",
            (
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{scope_date}' != '{amz_date[:8]}', from ISO-8601 string '{amz_date}'."
            ),
        )
    return None


# -- short-term Bedrock API keys (presigned SigV4 URLs) ------------------------------------------------

SHORT_TERM_PREFIX = "bedrock-api-key-"
_PRESIGN_HOST = "bedrock.amazonaws.com"


@dataclass(frozen=True, repr=False)
class ShortTermKey:
    """A decoded short-term Bedrock API key: ``bedrock-api-key-`` + base64 of a presigned URL.

    The URL is ``bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Credential=...``,
    signed with ``SigV4QueryAuth`` by the credentials that made the key.
    """

    access_key_id: str
    date: str
    region: str
    service: str
    amz_date: str
    expires: int
    session_token: str | None
    signature: str
    signed_query: str

    @classmethod
    def decode(cls, token: str) -> ShortTermKey | None:
        """Decode ``token``; ``None`` when it is not a well-formed short-term key."""
        if not token.startswith(SHORT_TERM_PREFIX):
            return None
        try:
            url = base64.b64decode(token[len(SHORT_TERM_PREFIX) :], validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        if "?" not in url:
            return None
        pairs = [p for p in url.split("?", 1)[1].split("&") if p]
        params = {k: unquote(v) for k, _, v in (p.partition("=") for p in pairs)}
        scope = params.get("X-Amz-Credential", "").split("/")
        try:
            expires = int(params.get("X-Amz-Expires", ""))
        except ValueError:
            return None
        if len(scope) != 5 or "X-Amz-Signature" not in params or "X-Amz-Date" not in params:
            return None
        try:
            _parse_amz_date(params["X-Amz-Date"])
        except ValueError:
            return None
        signed = "&".join(p for p in pairs if p.split("=", 1)[0] not in ("X-Amz-Signature", "Version"))
        return cls(
            access_key_id=scope[0],
            date=scope[1],
            region=scope[2],
            service=scope[3],
            amz_date=params["X-Amz-Date"],
            expires=expires,
            session_token=params.get("X-Amz-Security-Token"),
            signature=params["X-Amz-Signature"].lower(),
            signed_query=signed,
        )

    @property
    def expires_at(self) -> datetime:
        return _parse_amz_date(self.amz_date) + timedelta(seconds=self.expires)

    def verify(self, secret_access_key: str) -> bool:
        """Recompute the presigned URL's signature with botocore and compare."""
        request = AWSRequest(
            method="POST", url=f"https://{_PRESIGN_HOST}/?{self.signed_query}", headers={"host": _PRESIGN_HOST}
        )
        request.context["timestamp"] = self.amz_date
        signer = SigV4Auth(
            Credentials(self.access_key_id, secret_access_key, self.session_token), self.service, self.region
        )
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        return hmac.compare_digest(expected, self.signature)

    def __repr__(self) -> str:
        return (
            f"ShortTermKey(access_key_id={self.access_key_id!r}, region={self.region!r}, "
            f"amz_date={self.amz_date!r}, expires={self.expires})"
        )


def make_short_term_key(
    access_key_id: str,
    secret_access_key: str,
    session_token: str | None = None,
    *,
    region: str = "us-east-1",
    expires: int = 43200,
) -> str:
    """Make a short-term Bedrock API key as ``aws-bedrock-token-generator`` does."""
    request = AWSRequest(
        method="POST",
        url=f"https://{_PRESIGN_HOST}/",
        headers={"host": _PRESIGN_HOST},
        params={"Action": "CallWithBearerToken"},
    )
    SigV4QueryAuth(Credentials(access_key_id, secret_access_key, session_token), "bedrock", region, expires).add_auth(
        request
    )
    url = str(request.url).replace("https://", "", 1) + "&Version=1"
    return SHORT_TERM_PREFIX + base64.b64encode(url.encode("utf-8")).decode("ascii")
