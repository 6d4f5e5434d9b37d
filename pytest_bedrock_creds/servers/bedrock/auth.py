"""How FakeBedrock authenticates a request and attributes it to a ledger source.

:func:`authenticate` turns the ``Authorization`` header into an
:class:`~pytest_bedrock_creds.servers.bedrock.records.AuthRecord`: a bearer API key (long-term
``ABSK…`` from the ledger, or a short-term ``bedrock-api-key-`` presigned URL verified against
the key that signed it) or a SigV4 signature verified against the secret the ledger issued,
with the error AWS would answer. :func:`explain` words a failed auth assertion.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Literal

from pytest_bedrock_creds.ledger import IssuedCredentials, Ledger
from pytest_bedrock_creds.redact import redact_text
from pytest_bedrock_creds.servers.base import HttpRequest
from pytest_bedrock_creds.servers.bedrock import ops
from pytest_bedrock_creds.servers.bedrock.records import AuthRecord, BedrockRequest
from pytest_bedrock_creds.servers.bedrock.useragent import credential_claims
from pytest_bedrock_creds.servers.sigv4 import (
    SHORT_TERM_PREFIX,
    IncompleteSignature,
    ShortTermKey,
    SigV4Authorization,
    check_date,
    compute_signature,
)

__all__ = [
    "MOTO_KEY",
    "MSG_BAD_KEY",
    "MSG_BAD_KEY_FORMAT",
    "MSG_BIDI_BEARER",
    "MSG_EXPIRED",
    "MSG_INVALID_SIGNATURE",
    "MSG_MISSING_AUTH",
    "MSG_UNRECOGNIZED",
    "UNSET",
    "auth_problems",
    "auth_status",
    "authenticate",
    "authenticate_sigv4",
    "explain",
    "unknown_key_hint",
]

_SIGNING_SERVICE = "bedrock"

MSG_INVALID_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
MSG_UNRECOGNIZED = "The security token included in the request is invalid."
MSG_EXPIRED = "The security token included in the request is expired"
MSG_MISSING_AUTH = "Authorization header is missing"
MSG_BAD_KEY_FORMAT = "Invalid API Key format: Must start with pre-defined prefix"
MSG_BAD_KEY = "Authentication failed: Please make sure your API Key is valid."
MSG_BIDI_BEARER = (
    "API keys are not supported for InvokeModelWithBidirectionalStream. Sign the request with AWS Signature Version 4."
)


def authenticate(ledger: Ledger, request: HttpRequest, listener: str, found: ops.Route | None) -> AuthRecord:
    """The request's auth, attributed through the ledger and judged as AWS would, with the
    SDK's own claim of its credential source (botocore's User-Agent metrics) beside it."""
    record = _authenticate(ledger, request, listener, found)
    return replace(record, sdk_reported=credential_claims(request.header("User-Agent")),
                   host_region=host_region(request.header("Host")))


def _authenticate(ledger: Ledger, request: HttpRequest, listener: str, found: ops.Route | None) -> AuthRecord:
    header = request.header("Authorization")
    if header is None or not header.strip():
        return AuthRecord("none", error="AccessDeniedException", message=MSG_MISSING_AUTH)
    if header[:7].lower() == "bearer ":
        return _authenticate_bearer(ledger, header[7:].strip(), found)
    if header.startswith("AWS4-HMAC-SHA256"):
        return authenticate_sigv4(ledger, request, scheme="https" if listener == "https" else "http",
                                  service=_SIGNING_SERVICE)
    return AuthRecord(
        "unknown",
        error="IncompleteSignatureException",
        message=f"Authorization header requires 'Credential' parameter. Authorization={header.split(' ')[0]}",
    )


def _authenticate_bearer(ledger: Ledger, token: str, found: ops.Route | None) -> AuthRecord:
    kind = _token_kind(token)
    # Only Bedrock API keys are bearer credentials here: a web identity or SSO token the ledger
    # issued is refused as AWS refuses it, and never attributed.
    api_keys = [t for t in ledger.token_for(token) if t.kind == "bedrock-api-key"]
    source = ledger.source_of_token(token) if api_keys else None
    record = AuthRecord("bearer", source=source, token=token, token_kind=kind,
                        lineage=(source,) if source is not None else ())
    known = bool(api_keys)
    if not known and kind == "short-term":
        record = _check_short_term_key(ledger, record, token)
        known = record.signature_valid is True and record.error is None
    if found is not None and found.operation == "InvokeModelWithBidirectionalStream":
        return replace(record, error="AccessDeniedException", message=MSG_BIDI_BEARER)
    if not known:
        message = MSG_BAD_KEY if kind != "unknown" else MSG_BAD_KEY_FORMAT
        return replace(record, error="AccessDeniedException", message=message)
    return record


def _check_short_term_key(ledger: Ledger, record: AuthRecord, token: str) -> AuthRecord:
    """A short-term key is a presigned URL: attribute it to the key that signed it and verify that."""
    key = ShortTermKey.decode(token)
    if key is None:
        return record
    record = replace(
        record,
        access_key_id=key.access_key_id,
        region=key.region,
        amz_date=key.amz_date,
        session_token_sent=key.session_token is not None,
        source=ledger.source_of_key(key.access_key_id),
    )
    issued = ledger.credentials_for(key.access_key_id)
    if not issued:
        return record
    creds = _matching(issued, key.session_token)
    record = replace(record, signature_valid=key.verify(creds.secret_access_key),
                     lineage=creds.lineage if record.source is not None else ())
    if creds.session_token != key.session_token or _expired(creds.expiration):
        return replace(record, error="AccessDeniedException", message=MSG_BAD_KEY)
    if key.expires_at <= datetime.now(timezone.utc):
        return replace(record, error="AccessDeniedException", message=MSG_BAD_KEY)
    return record


def authenticate_sigv4(ledger: Ledger, request: HttpRequest, *, scheme: str, service: str) -> AuthRecord:
    """Verify a SigV4 ``Authorization`` header for signing name ``service`` against the ledger.

    Shared by every fake that takes signed calls (Bedrock, STS). The error codes are Bedrock's
    (``UnrecognizedClientException``, ``InvalidSignatureException``, ``ExpiredTokenException``,
    ``IncompleteSignatureException``); a fake of a service that words them otherwise maps them.
    """
    try:
        parsed = SigV4Authorization.parse(request.header("Authorization") or "")
    except IncompleteSignature as exc:
        key_id = exc.access_key_id
        return AuthRecord("sigv4", source=None if key_id is None else ledger.source_of_key(key_id),
                          access_key_id=key_id, error="IncompleteSignatureException", message=str(exc))
    amz_date = request.header("X-Amz-Date") or request.header("Date")
    session_token = request.header("X-Amz-Security-Token")
    record = AuthRecord(
        "sigv4",
        source=ledger.source_of_key(parsed.access_key_id),
        access_key_id=parsed.access_key_id,
        region=parsed.region,
        service=parsed.service,
        signed_headers=parsed.signed_headers,
        session_token_sent=session_token is not None,
        amz_date=amz_date,
    )
    issued = ledger.credentials_for(parsed.access_key_id)
    if not issued:
        return replace(record, error="UnrecognizedClientException", message=MSG_UNRECOGNIZED)
    creds = _matching(issued, session_token)
    result = compute_signature(request, parsed, creds.secret_access_key, scheme=scheme)
    record = replace(record, signature_valid=result.valid, canonical_request=result.canonical_request,
                     lineage=creds.lineage if record.source is not None else ())
    error: tuple[str, str] | None = None
    if creds.session_token != session_token:
        error = ("UnrecognizedClientException", MSG_UNRECOGNIZED)
    elif _expired(creds.expiration):
        error = ("ExpiredTokenException", MSG_EXPIRED)
    elif parsed.service != service:
        error = (
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{service}'. ",
        )
    elif (date_error := check_date(amz_date, parsed.date)) is not None:
        error = date_error
    elif not result.valid:
        # AWS quotes the canonical request, and with it the x-amz-security-token header's value.
        # The session token is a secret: the quote redacts it, and the message stays as useful.
        canonical = redact_text(result.canonical_request, {session_token} if session_token else set())
        error = (
            "InvalidSignatureException",
            (
                f"{MSG_INVALID_SIGNATURE}\n\nThe Canonical String for this request should have been\n"
                f"'{canonical}'\n\nThe String-to-Sign should have been\n"
                f"'{result.string_to_sign}'\n"
            ),
        )
    if error is None:
        return record
    return replace(record, error=error[0], message=error[1])


def explain(ledger: Ledger, request: BedrockRequest, problems: list[str], others: list[BedrockRequest]) -> str:
    """Why ``request`` failed an auth assertion: the verdict, who the ledger gave the key or token to,
    and the other requests; secrets the ledger issued are redacted."""
    auth = request.auth
    lines = [
        f"FakeBedrock: {request.operation} {request.raw_path}: " + "; ".join(problems),
        f"  auth: {auth!r}",
    ]
    if auth.scheme == "sigv4" and auth.access_key_id is not None:
        attribution = ledger.attribute_key(auth.access_key_id)
        hint = "" if attribution.issued or attribution.stale else unknown_key_hint(auth.access_key_id)
        lines.append("  " + attribution.describe(repr(auth.access_key_id)) + hint)
    elif auth.scheme == "bearer" and auth.token is not None:
        if not auth.token.strip():
            lines.append("  the bearer token is blank: a blank value is never attributed to a source")
        else:
            lines.append("  " + ledger.attribute_token(auth.token).describe("this bearer token"))
    elif auth.scheme == "none":
        lines.append("  the request carried no Authorization header")
    if auth.message:
        lines.append(f"  error: {auth.error}: {auth.message.splitlines()[0]}")
    if others:
        lines.append("  other requests:")
        lines += [f"    {r.operation}: {r.auth!r}" for r in others[-5:]]
    return redact_text("\n".join(lines), ledger.secrets())


_HOST = re.compile(r"^bedrock-runtime(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.")


def host_region(host: str | None) -> str | None:
    """The region a Bedrock Runtime host name carries (``bedrock-runtime.eu-west-1.amazonaws.com``);
    ``None`` for a loopback address or any host that names none."""
    match = _HOST.match((host or "").lower())
    return match.group(1) if match else None


#: "not asked" for :func:`auth_problems` (``None`` is a value one may expect).
UNSET: Any = object()


def auth_problems(
    auth: AuthRecord,
    *,
    scheme: str | None = None,
    source: str | None = UNSET,
    via: str | tuple[str, ...] = UNSET,
    signature_valid: bool | None = UNSET,
) -> list[str]:
    """What differs between ``auth`` and what an ``assert_auth`` asked for (unset: not asked).

    ``via`` is the lineage after the source: a label for one hop, a tuple for several,
    ``()`` for credentials that no fake issued on anyone's behalf.
    """
    problems = []
    if scheme is not None and auth.scheme != scheme:
        problems.append(f"scheme is {auth.scheme!r}, expected {scheme!r}")
    if source is not UNSET and auth.source != source:
        problems.append(f"source is {auth.source!r}, expected {source!r}")
    if via is not UNSET:
        expected = (via,) if isinstance(via, str) else tuple(via)
        if auth.via != expected:
            seen = " <- ".join(auth.lineage) if auth.lineage else "no lineage (source unknown)"
            problems.append(f"issued via {auth.via!r}, expected via {expected!r} (lineage: {seen})")
    if signature_valid is not UNSET and auth.signature_valid != signature_valid:
        problems.append(f"signature_valid is {auth.signature_valid!r}, expected {signature_valid!r}")
    return problems


#: The access key id moto's ``mock_aws`` puts in ``AWS_ACCESS_KEY_ID`` when it starts.
MOTO_KEY = "FOOBARKEY"


def unknown_key_hint(access_key_id: str | None) -> str:
    """Where an access key id the ledger never issued probably came from, when we can tell."""
    if access_key_id == MOTO_KEY:
        return (f" ({MOTO_KEY} is moto's: mock_aws() sets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY when it starts; "
                "use mock_aws(config={'core': {'mock_credentials': False}}) to keep the test's own credentials)")
    return ""


def _matching(issued: tuple[IssuedCredentials, ...], session_token: str | None) -> IssuedCredentials:
    for creds in issued:
        if creds.session_token == session_token:
            return creds
    return issued[-1]


def _expired(expiration: datetime | None) -> bool:
    if expiration is None:
        return False
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=timezone.utc)
    return expiration <= datetime.now(timezone.utc)


def _token_kind(token: str) -> Literal["long-term", "short-term", "unknown"]:
    if token.startswith("ABSK"):
        return "long-term"
    if token.startswith(SHORT_TERM_PREFIX):
        return "short-term"
    return "unknown"


def auth_status(code: str) -> int:
    return 400 if code == "IncompleteSignatureException" else 403
