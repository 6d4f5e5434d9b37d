"""Ask a real boto3 client which credentials it would use, without any network.

:func:`botocore_outcome` builds an unmodified boto3 ``bedrock-runtime`` client in the
current environment, calls one operation, and catches the signed request at botocore's
documented ``before-send`` event, answering it locally, so nothing leaves the process.
The ``Authorization`` header is then attributed through the ledger: ``Bearer`` tokens
and SigV4 access key ids map back to the source that was issued them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pytest_bedrock_creds.chain.model import Resolution, ServiceSettings
from pytest_bedrock_creds.ledger import Ledger

__all__ = ["BOTO3_CLIENT_ARGS", "OPERATION_CALLS", "Observed", "botocore_outcome", "observed_from_resolution"]

#: ServiceSettings fields -> boto3 ``client(...)`` arguments.
BOTO3_CLIENT_ARGS = {
    "access_key_id": "aws_access_key_id",
    "secret_access_key": "aws_secret_access_key",
    "session_token": "aws_session_token",
}

_CREDENTIAL = re.compile(r"Credential=([^/]*)/")

#: How each operation is called on a boto3 client, with the smallest valid input.
OPERATION_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "Converse": ("converse", {"modelId": "anthropic.claude-3-haiku-20240307-v1:0",
                              "messages": [{"role": "user", "content": [{"text": "hi"}]}]}),
    "InvokeModel": ("invoke_model", {"modelId": "anthropic.claude-3-haiku-20240307-v1:0", "body": b"{}"}),
    "CountTokens": ("count_tokens", {"modelId": "anthropic.claude-3-haiku-20240307-v1:0",
                                     "input": {"converse": {"messages": [
                                         {"role": "user", "content": [{"text": "hi"}]}]}}}),
    "ListAsyncInvokes": ("list_async_invokes", {}),
    "InvokeModelWithBidirectionalStream": ("invoke_model_with_bidirectional_stream", {"modelId": "m"}),
}


@dataclass(frozen=True)
class Observed:
    """What a target did: the scheme and attributed source, or an error."""

    scheme: str | None
    source: str | None
    access_key_id: str | None = None
    error: str | None = None

    def describe(self) -> str:
        if self.error is not None:
            return f"error: {self.error}"
        return f"{self.scheme} from {self.source}" + (f" ({self.access_key_id})" if self.access_key_id else "")


def observed_from_resolution(resolution: Resolution) -> Observed:
    return Observed(resolution.scheme, resolution.source, resolution.access_key_id, resolution.error)


class _Body:
    def stream(self, **_: Any) -> Any:
        yield b"{}"


def botocore_outcome(
    ledger: Ledger,
    *,
    operation: str = "Converse",
    settings: ServiceSettings | None = None,
) -> Observed:
    """Run ``operation`` on a real boto3 client in the current environment and report the auth used."""
    import boto3
    from botocore.awsrequest import AWSResponse, HTTPHeaders
    from botocore.config import Config

    settings = settings or ServiceSettings()
    seen: dict[str, str] = {}

    def capture(request: Any, **_: Any) -> AWSResponse:
        auth = request.headers.get("Authorization")
        seen["authorization"] = auth.decode() if isinstance(auth, bytes) else (auth or "")
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/json"
        return AWSResponse(request.url, 200, headers, _Body())

    client_kwargs: dict[str, Any] = {"endpoint_url": "https://127.0.0.1:9"}  # never contacted
    client_kwargs.update(settings.as_kwargs(**BOTO3_CLIENT_ARGS))
    if settings.auth_scheme_preference is not None:
        client_kwargs["config"] = Config(auth_scheme_preference=settings.auth_scheme_preference)  # type: ignore[call-arg]
    method, params = OPERATION_CALLS[operation]
    try:
        session = boto3.Session(profile_name=settings.profile)
        client = session.client("bedrock-runtime", **client_kwargs)
        client.meta.events.register("before-send.bedrock-runtime", capture)
        getattr(client, method)(**params)
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        return Observed(None, None, error=f"{type(exc).__name__}: {exc}")
    return _attribute(seen.get("authorization", ""), ledger)


def _attribute(authorization: str, ledger: Ledger) -> Observed:
    if authorization.startswith("Bearer"):
        token = authorization[len("Bearer ") :]
        return Observed("bearer", ledger.source_of_token(token) if token.strip() else "bearer:<empty>")
    match = _CREDENTIAL.search(authorization)
    if match:
        key = match.group(1)
        return Observed("sigv4", ledger.source_of_key(key) or f"<unknown key {key!r}>", key)
    return Observed(None, None, error=f"unrecognised Authorization header ({len(authorization)} chars)")
