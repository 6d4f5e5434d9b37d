"""Parsing the JSON credentials documents of IMDS and the container endpoint."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pytest_bedrock_creds.chain.model import ChainError
from pytest_bedrock_creds.redact import hidden_from_diffs

__all__ = ["CredentialsDocument", "parse_credentials_document"]


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class CredentialsDocument:
    access_key_id: str
    secret_access_key: str
    session_token: str | None
    expiration: str | None


def parse_credentials_document(body: bytes, what: str) -> CredentialsDocument:
    """Read ``AccessKeyId``/``SecretAccessKey``/``Token``/``Expiration``; errors name ``what``."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ChainError(f"{what}: the reply is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ChainError(f"{what}: expected a JSON object, got {type(doc).__name__}")
    code = doc.get("Code", "Success")
    if code != "Success":
        raise ChainError(f"{what}: Code={code!r} ({doc.get('Message', 'no message')})")
    missing = [k for k in ("AccessKeyId", "SecretAccessKey") if not isinstance(doc.get(k), str) or not doc[k]]
    if missing:
        raise ChainError(f"{what}: missing field(s) {', '.join(missing)}")
    token = doc.get("Token")
    expiration = doc.get("Expiration")
    return CredentialsDocument(
        doc["AccessKeyId"],
        doc["SecretAccessKey"],
        token if isinstance(token, str) and token else None,
        expiration if isinstance(expiration, str) else None,
    )
