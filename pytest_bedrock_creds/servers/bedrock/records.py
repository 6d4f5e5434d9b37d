"""The records FakeBedrock keeps: one :class:`BedrockRequest` per request, with its :class:`AuthRecord`.

Both are frozen, and their reprs never show a token, a secret or a signature; neither do
pytest's diffs of two of them (:func:`~pytest_bedrock_creds.redact.hidden_from_diffs`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pytest_bedrock_creds.redact import hidden_from_diffs, redact
from pytest_bedrock_creds.servers.base import header_value
from pytest_bedrock_creds.servers.bedrock.useragent import witness

__all__ = ["AuthRecord", "BedrockRequest", "Scheme"]

Scheme = Literal["sigv4", "bearer", "none", "unknown"]
_SECRET_HEADERS = frozenset({"authorization", "x-amz-security-token"})


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class AuthRecord:
    """How one request authenticated. The repr never shows a token.

    * ``scheme``: ``"sigv4"``, ``"bearer"``, ``"none"`` (no Authorization header) or ``"unknown"``.
    * ``source``: the ledger source of the access key or token (``"env"``, ``"imds:app-role"``,
      ``"bearer:env"``...), ``None`` when the ledger does not know it.
    * ``lineage``: ``source`` and then the source of each credential that signed the call which
      issued the one before, e.g. ``("assume-role:bedrock-invoker", "shared-credentials-file:base")``;
      ``()`` when the source is unknown.
    * ``signature_valid``: for SigV4, whether the signature matched the ledger's secret
      (``None`` when the key is unknown, so no secret could be tried). For a short-term
      ``bedrock-api-key-`` bearer token, whether its presigned URL verified; else ``None``.
    * ``token_kind``: for bearer, ``"long-term"`` (``ABSK``), ``"short-term"`` or ``"unknown"``.
    * ``region``: the region the SigV4 credential scope names (or a short-term API key was minted
      for); ``host_region``: the region the Host header names (``None`` for the loopback fakes).
    * ``sdk_reported``: the credential metric ids the SDK wrote into its User-Agent (botocore's
      ``m/…``: ``g`` environment, ``n`` profile, ``0`` IMDS, ``3`` bearer env …); ``None`` when it
      reports none. :attr:`witness` compares that claim with ``source``.
    * ``error``: the AWS error code this request earns (``InvalidSignatureException``...), or
      ``None`` when AWS would accept it. In ``verify="record"`` mode it is recorded but not returned.
    """

    scheme: Scheme
    source: str | None = None
    access_key_id: str | None = None
    signature_valid: bool | None = None
    error: str | None = None
    message: str | None = None
    region: str | None = None
    service: str | None = None
    signed_headers: tuple[str, ...] = ()
    session_token_sent: bool = False
    amz_date: str | None = None
    token: str | None = None
    token_kind: Literal["long-term", "short-term", "unknown"] | None = None
    canonical_request: str | None = None
    sdk_reported: tuple[str, ...] | None = None
    host_region: str | None = None
    lineage: tuple[str, ...] = ()

    @property
    def witness(self) -> bool | None:
        """Whether the SDK's own claim (``sdk_reported``, botocore's User-Agent metrics) agrees with
        the ledger's ``source``; ``None`` when there is nothing to compare."""
        return witness(self.source, self.sdk_reported)

    @property
    def accepted(self) -> bool:
        return self.error is None

    @property
    def via(self) -> tuple[str, ...]:
        """The lineage after the source: who signed the call that issued these credentials."""
        return self.lineage[1:]

    def __repr__(self) -> str:
        parts = [f"scheme={self.scheme!r}", f"source={self.source!r}"]
        if len(self.lineage) > 1:
            parts.append(f"via={self.via!r}")
        if self.scheme == "sigv4":
            parts += [
                f"access_key_id={self.access_key_id!r}",
                f"signature_valid={self.signature_valid!r}",
                f"region={self.region!r}",
                f"session_token_sent={self.session_token_sent!r}",
            ]
        if self.token is not None:
            parts.append(f"token={redact(self.token)}")
            parts.append(f"token_kind={self.token_kind!r}")
            if self.access_key_id:
                parts += [f"access_key_id={self.access_key_id!r}", f"signature_valid={self.signature_valid!r}"]
        if self.sdk_reported:
            parts.append(f"sdk_reported={','.join(self.sdk_reported)!r}")
        parts.append(f"error={self.error!r}")
        return f"AuthRecord({', '.join(parts)})"

    __str__ = __repr__


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class BedrockRequest:
    """One request the fake received, with what it answered. The repr hides secrets."""

    operation: str | None
    model_id: str | None
    method: str
    raw_path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    auth: AuthRecord
    status: int
    error_code: str | None
    listener: Literal["https", "http"]
    resource: str | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        return header_value(self.headers, name, default)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def redacted_headers(self) -> tuple[tuple[str, str], ...]:
        return tuple((k, redact(v) if k.lower() in _SECRET_HEADERS else v) for k, v in self.headers)

    def __repr__(self) -> str:
        return (
            f"BedrockRequest({self.method} {self.raw_path} operation={self.operation!r} "
            f"model_id={self.model_id!r} status={self.status} error_code={self.error_code!r} "
            f"listener={self.listener!r} auth={self.auth!r})"
        )

    __str__ = __repr__
