"""How FakeBedrock authenticates a request and attributes it to a ledger source.

:func:`authenticate` turns the ``Authorization`` header into an
:class:`~pytest_bedrock_creds.servers.bedrock_records.AuthRecord`: a bearer API key (long-term
``ABSK…`` from the ledger, or a short-term ``bedrock-api-key-`` presigned URL verified against
the key that signed it) or a SigV4 signature verified against the secret the ledger issued,
with the error AWS would answer. :func:`explain` words a failed auth assertion.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Literal

from pytest_bedrock_creds.ledger import IssuedCredentials, Ledger
from pytest_bedrock_creds.redact import redact_text
from pytest_bedrock_creds.servers import bedrock_ops as ops
from pytest_bedrock_creds.servers.base import HttpRequest
from pytest_bedrock_creds.servers.bedrock_records import AuthRecord, BedrockRequest
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
    "auth_status",
    "authenticate",
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
    header = request.header("Authorization")
    if header is None or not header.strip():
        return AuthRecord("none", error="AccessDeniedException", message=MSG_MISSING_AUTH)
    if header[:7].lower() == "bearer ":
        return _authenticate_bearer(ledger, header[7:].strip(), found)
    if header.startswith("AWS4-HMAC-SHA256"):
        return _authenticate_sigv4(ledger, request, listener)
    return AuthRecord(
        "unknown",
        error="IncompleteSignatureException",
        message=f"Authorization header requires 'Credential' parameter. Authorization={header.split(' ')[0]}",
    )


def _authenticate_bearer(ledger: Ledger, token: str, found: ops.Route | None) -> AuthRecord:
    kind = _token_kind(token)
    record = AuthRecord("bearer", source=ledger.source_of_token(token), token=token, token_kind=kind)
    known = bool(ledger.token_for(token))
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
    record = replace(record, signature_valid=key.verify(creds.secret_access_key))
    if creds.session_token != key.session_token or _expired(creds.expiration):
        return replace(record, error="AccessDeniedException", message=MSG_BAD_KEY)
    if key.expires_at <= datetime.now(timezone.utc):
        return replace(record, error="AccessDeniedException", message=MSG_BAD_KEY)
    return record


def _authenticate_sigv4(ledger: Ledger, request: HttpRequest, listener: str) -> AuthRecord:
    try:
        parsed = SigV4Authorization.parse(request.header("Authorization") or "")
    except IncompleteSignature as exc:
        return AuthRecord("sigv4", error="IncompleteSignatureException", message=str(exc))
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
    scheme = "https" if listener == "https" else "http"
    result = compute_signature(request, parsed, creds.secret_access_key, scheme=scheme)
    record = replace(record, signature_valid=result.valid, canonical_request=result.canonical_request)
    error: tuple[str, str] | None = None
    if creds.session_token != session_token:
        error = ("UnrecognizedClientException", MSG_UNRECOGNIZED)
    elif _expired(creds.expiration):
        error = ("ExpiredTokenException", MSG_EXPIRED)
    elif parsed.service != _SIGNING_SERVICE:
        error = (
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{_SIGNING_SERVICE}'. ",
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
    if auth.scheme == "sigv4" and auth.access_key_id:
        issued = ledger.credentials_for(auth.access_key_id)
        lines.append(
            f"  the ledger issued {auth.access_key_id} to: {', '.join(c.source for c in issued)}"
            if issued
            else f"  the ledger never issued {auth.access_key_id}: it came from outside the test's sandbox"
            + unknown_key_hint(auth.access_key_id)
        )
    elif auth.scheme == "bearer" and auth.token:
        issued_tokens = ledger.token_for(auth.token)
        lines.append(
            f"  the ledger issued this token to: {', '.join(t.source for t in issued_tokens)}"
            if issued_tokens
            else "  the ledger never issued this bearer token"
        )
    elif auth.scheme == "none":
        lines.append("  the request carried no Authorization header")
    if auth.message:
        lines.append(f"  error: {auth.error}: {auth.message.splitlines()[0]}")
    if others:
        lines.append("  other requests:")
        lines += [f"    {r.operation}: {r.auth!r}" for r in others[-5:]]
    return redact_text("\n".join(lines), ledger.secrets())


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
