"""The credential ledger: every credential the toolkit hands out, and where it went.

A fake Bedrock endpoint sees only an access key id or a bearer token. Because every
key the fixtures create is issued here, unique, and tagged with the source that
received it (``env``, ``shared-credentials-file:dev``, ``imds:app-role`` ...), a request
can be attributed to exactly one source.

Fake values have the shapes of real ones, so SDK validation and secret scanners treat
them as real: ``AKIA`` + 16 for long-term keys, ``ASIA`` + 16 plus a session token for
temporary ones, 40-character secrets, and Bedrock API keys in the ``ABSK`` form.
"""

from __future__ import annotations

import base64
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime

from pytest_bedrock_creds.redact import hidden_from_diffs, redact

__all__ = [
    "SOURCE_PREFIXES",
    "IssuedCredentials",
    "IssuedToken",
    "Ledger",
]

#: Source labels. Those ending in ``:`` take a profile or role name after the colon.
SOURCE_PREFIXES = (
    "bearer:env",
    "bearer:settings",
    "static",
    "env",
    "shared-credentials-file:",
    "config-file:",
    "container",
    "imds:",
)

_KEY_ALPHABET = string.ascii_uppercase + "234567"  # real access key ids are base32-like
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def _check_source(source: str) -> str:
    for prefix in SOURCE_PREFIXES:
        if prefix.endswith(":") and source.startswith(prefix) and len(source) > len(prefix):
            return source
        if source == prefix:
            return source
    raise ValueError(
        f"unknown credential source {source!r}; expected one of "
        + ", ".join(p + "<name>" if p.endswith(":") else p for p in SOURCE_PREFIXES)
    )


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class IssuedCredentials:
    """AWS credentials handed to one source. The repr never shows the secret or token."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None
    source: str
    expiration: datetime | None = None
    account_id: str | None = None

    @property
    def temporary(self) -> bool:
        return self.session_token is not None

    def __repr__(self) -> str:
        extra = f", expiration={self.expiration.isoformat()}" if self.expiration else ""
        return (
            f"IssuedCredentials(access_key_id={self.access_key_id!r}, "
            f"secret_access_key={redact(self.secret_access_key)}, "
            f"session_token={redact(self.session_token)}, source={self.source!r}{extra})"
        )

    __str__ = __repr__


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class IssuedToken:
    """A Bedrock API key (bearer token) handed to one source."""

    token: str
    source: str

    def __repr__(self) -> str:
        return f"IssuedToken(token={redact(self.token)}, source={self.source!r})"

    __str__ = __repr__


@dataclass
class Ledger:
    """Issues unique fake credentials and answers "who was given this key?".

    Thread-safe: servers look keys up from their handler threads while tests issue more.
    One ledger is shared by the environment, the files and every fake of a test session.
    """

    account_id: str = "123456789012"
    _keys: dict[str, list[IssuedCredentials]] = field(default_factory=dict, repr=False)
    _tokens: dict[str, list[IssuedToken]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __repr__(self) -> str:
        return f"Ledger(keys={len(self._keys)}, tokens={len(self._tokens)})"

    # -- issuing -------------------------------------------------------------------
    def issue_credentials(
        self,
        source: str,
        *,
        temporary: bool = False,
        expiration: datetime | None = None,
    ) -> IssuedCredentials:
        """Issue a fresh key pair (``ASIA`` + session token when ``temporary``)."""
        _check_source(source)
        with self._lock:
            while True:
                prefix = "ASIA" if temporary else "AKIA"
                key_id = prefix + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
                if key_id not in self._keys:
                    break
            creds = IssuedCredentials(
                access_key_id=key_id,
                secret_access_key="".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40)),
                session_token=_session_token() if temporary else None,
                source=source,
                expiration=expiration,
                account_id=self.account_id,
            )
            self._keys[key_id] = [creds]
        return creds

    def issue_token(self, source: str) -> IssuedToken:
        """Issue a fake long-term Bedrock API key (``ABSK`` + base64 of alias and secret)."""
        if source not in ("bearer:env", "bearer:settings"):
            raise ValueError(f"bearer tokens come from 'bearer:env' or 'bearer:settings', not {source!r}")
        with self._lock:
            while True:
                alias = "BedrockAPIKey-" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(4))
                secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(60))
                raw = f"{alias}-at-{self.account_id}:{secret}".encode()
                token = "ABSK" + base64.b64encode(raw).decode()
                if token not in self._tokens:
                    break
            issued = IssuedToken(token=token, source=source)
            self._tokens[token] = [issued]
        return issued

    # -- recording what the user supplied ------------------------------------------
    def record_credentials(
        self,
        source: str,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None = None,
        *,
        expiration: datetime | None = None,
    ) -> IssuedCredentials:
        """Record keys that a test wrote itself, so requests using them are attributed."""
        _check_source(source)
        creds = IssuedCredentials(
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            session_token=session_token,
            source=source,
            expiration=expiration,
            account_id=self.account_id,
        )
        with self._lock:
            entries = self._keys.setdefault(access_key_id, [])
            if creds not in entries:
                entries.append(creds)
        return creds

    def record_token(self, source: str, token: str) -> IssuedToken:
        issued = IssuedToken(token=token, source=source)
        with self._lock:
            entries = self._tokens.setdefault(token, [])
            if issued not in entries:
                entries.append(issued)
        return issued

    # -- looking up ----------------------------------------------------------------
    def credentials_for(self, access_key_id: str) -> tuple[IssuedCredentials, ...]:
        """Every issue of ``access_key_id``; more than one means the test reused a key."""
        with self._lock:
            return tuple(self._keys.get(access_key_id, ()))

    def token_for(self, token: str) -> tuple[IssuedToken, ...]:
        with self._lock:
            return tuple(self._tokens.get(token, ()))

    def source_of_key(self, access_key_id: str) -> str | None:
        """The one source ``access_key_id`` was given to; ``None`` if unknown or ambiguous."""
        found = {c.source for c in self.credentials_for(access_key_id)}
        return found.pop() if len(found) == 1 else None

    def source_of_token(self, token: str) -> str | None:
        found = {t.source for t in self.token_for(token)}
        return found.pop() if len(found) == 1 else None

    def secrets(self) -> set[str]:
        """Every secret value the ledger knows, for redacting free text."""
        with self._lock:
            out: set[str] = set(self._tokens)
            for entries in self._keys.values():
                for c in entries:
                    out.add(c.secret_access_key)
                    if c.session_token:
                        out.add(c.session_token)
        return out


def _session_token() -> str:
    # Real STS session tokens are long base64 blobs starting with "IQoJb3JpZ2luX2Vj".
    body = base64.b64encode(secrets.token_bytes(180)).decode()
    return "IQoJb3JpZ2luX2VjE" + body
