"""The credential ledger: every credential the toolkit hands out, and where it went.

A fake Bedrock endpoint sees only an access key id or a bearer token. Because every
key the fixtures create is issued here, unique, and tagged with the source that
received it (``env``, ``shared-credentials-file:dev``, ``imds:app-role`` ...), a request
can be attributed to exactly one source. A label may carry a ``#tag`` after the source
(``config-file:default#plain``) to tell apart two pairs given to the same source.

Lineage: credentials that a fake issued *because of* other credentials (STS ``AssumeRole``
signed with a profile's keys) carry their ``issuer``, so a request can be traced back hop by
hop: ``("assume-role:bedrock-invoker", "shared-credentials-file:base")``.

Attribution is scoped: :meth:`Ledger.scope` (opened by every ``AwsEnv``, so by every test
and scenario) makes what is issued inside it visible only until it closes. A key issued
in one test and arriving in another is *stale*: the fakes do not attribute it, and their
explanations say which earlier scope it came from. Blank values (empty or whitespace) are
never issued or recorded as credentials, so an empty ``Bearer `` is never attributed.

Fake values have the shapes of real ones, so SDK validation and secret scanners treat
them as real: ``AKIA`` + 16 for long-term keys, ``ASIA`` + 16 plus a session token for
temporary ones, 40-character secrets, and Bedrock API keys in the ``ABSK`` form.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from pytest_bedrock_creds.redact import hidden_from_diffs, redact

__all__ = [
    "SOURCE_PREFIXES",
    "Attribution",
    "IssuedCredentials",
    "IssuedToken",
    "Ledger",
    "is_source_label",
    "source_of_label",
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
    "assume-role:",
    "web-identity:",
    "sso:",
    "process:",
    "login:",
)

#: Token kinds by source prefix: Bedrock API keys, web identity (OIDC) tokens, SSO access tokens.
_TOKEN_SOURCES = {"bearer:": "bedrock-api-key", "web-identity:": "web-identity", "sso:": "sso"}

_KEY_ALPHABET = string.ascii_uppercase + "234567"  # real access key ids are base32-like
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def source_of_label(label: str) -> str:
    """The source part of a label: ``config-file:default#plain`` -> ``config-file:default``."""
    return label.split("#", 1)[0]


def is_source_label(label: str) -> bool:
    """Whether ``label`` is a known source, optionally followed by ``#tag``."""
    source, _, tag = label.partition("#")
    if "#" in label and not tag.strip():
        return False
    for prefix in SOURCE_PREFIXES:
        if prefix.endswith(":"):
            if source.startswith(prefix) and source[len(prefix) :].strip():
                return True
        elif source == prefix:
            return True
    return False


def _check_source(source: str) -> str:
    if not is_source_label(source):
        raise ValueError(
            f"unknown credential source {source!r}; expected one of "
            + ", ".join(p + "<name>" if p.endswith(":") else p for p in SOURCE_PREFIXES)
            + " (optionally followed by #tag)"
        )
    return source


def _check_value(what: str, value: str | None) -> None:
    if value is None or not value.strip():
        raise ValueError(
            f"{what} is blank: blank values are never issued or recorded as credentials, so a request "
            "carrying one is reported as blank, never attributed to a source"
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
    #: the ledger scope it was issued in (0: the whole session)
    scope: int = field(default=0, compare=False)
    #: the credentials (or token) that signed or authorized the call that issued these
    issuer: IssuedCredentials | IssuedToken | None = field(default=None, compare=False)

    @property
    def temporary(self) -> bool:
        return self.session_token is not None

    @property
    def lineage(self) -> tuple[str, ...]:
        """This source, then the source of each credential issuer back to the first one:
        ``("assume-role:invoker", "assume-role:middle", "shared-credentials-file:base")``.

        A token issuer (web identity, SSO) authorizes without signing: it ends the lineage."""
        if isinstance(self.issuer, IssuedCredentials):
            return (self.source, *self.issuer.lineage)
        return (self.source,)

    def __repr__(self) -> str:
        extra = f", expiration={self.expiration.isoformat()}" if self.expiration else ""
        if len(self.lineage) > 1:
            extra += f", via={self.lineage[1:]!r}"
        return (
            f"IssuedCredentials(access_key_id={self.access_key_id!r}, "
            f"secret_access_key={redact(self.secret_access_key)}, "
            f"session_token={redact(self.session_token)}, source={self.source!r}{extra})"
        )

    __str__ = __repr__


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class IssuedToken:
    """A token handed to one source: a Bedrock API key (``bearer:*``), a web identity token
    (``web-identity:<role>``) or an SSO access token (``sso:<session>``)."""

    token: str
    source: str
    #: the ledger scope it was issued in (0: the whole session)
    scope: int = field(default=0, compare=False)
    expiration: datetime | None = field(default=None, compare=False)

    @property
    def kind(self) -> str:
        """``"bedrock-api-key"``, ``"web-identity"`` or ``"sso"``."""
        return _token_kind(self.source)

    def __repr__(self) -> str:
        extra = f", expiration={self.expiration.isoformat()}" if self.expiration else ""
        return f"IssuedToken(token={redact(self.token)}, source={self.source!r}{extra})"

    __str__ = __repr__


@dataclass(frozen=True)
class Attribution:
    """Who the ledger says was given an access key id or a token, in the current scope.

    ``source`` is the label when exactly one source holds it now, else ``None``; ``issued`` are
    the visible issues; ``stale`` are issues from scopes that have closed (an earlier test).
    """

    source: str | None
    issued: tuple[IssuedCredentials | IssuedToken, ...] = ()
    stale: tuple[IssuedCredentials | IssuedToken, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return len({i.source for i in self.issued}) > 1

    def describe(self, what: str) -> str:
        """One line for a failure message (no secret: ``what`` is a key id or ``'this token'``)."""
        if self.issued:
            return f"the ledger issued {what} to: {', '.join(sorted({_chain(i) for i in self.issued}))}"
        if self.stale:
            scopes = ", ".join(sorted({f"{i.source} (scope {i.scope})" for i in self.stale}))
            return f"the ledger issued {what} in an earlier test or scenario, now closed: {scopes}"
        return f"the ledger never issued {what}: it came from outside the test's sandbox"


@dataclass
class Ledger:
    """Issues unique fake credentials and answers "who was given this key?".

    Thread-safe: servers look keys up from their handler threads while tests issue more.
    One ledger is shared by the environment, the files and every fake of a test session;
    :meth:`scope` keeps one test's issues out of another test's verdicts.
    """

    account_id: str = "123456789012"
    _keys: dict[str, list[IssuedCredentials]] = field(default_factory=dict, repr=False)
    _tokens: dict[str, list[IssuedToken]] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _open: list[int] = field(default_factory=list, repr=False)
    _last_scope: int = field(default=0, repr=False)

    def __repr__(self) -> str:
        return f"Ledger(keys={len(self._keys)}, tokens={len(self._tokens)}, open_scopes={len(self._open)})"

    # -- scopes ----------------------------------------------------------------------
    def open_scope(self) -> int:
        """Start a scope (one test, one scenario): what is issued from now on is visible only
        while it is open. Scopes nest; returns the scope's number for :meth:`close_scope`."""
        with self._lock:
            self._last_scope += 1
            self._open.append(self._last_scope)
            return self._last_scope

    def close_scope(self, number: int) -> None:
        """Close scope ``number`` (and any still open inside it)."""
        with self._lock:
            if number in self._open:
                del self._open[self._open.index(number) :]

    @contextmanager
    def scope(self) -> Iterator[int]:
        number = self.open_scope()
        try:
            yield number
        finally:
            self.close_scope(number)

    @property
    def current_scope(self) -> int:
        with self._lock:
            return self._open[-1] if self._open else 0

    def _visible(self, scope: int) -> bool:
        return scope == 0 or scope in self._open

    # -- issuing -------------------------------------------------------------------
    def issue_credentials(
        self,
        source: str,
        *,
        temporary: bool = False,
        expiration: datetime | None = None,
        issuer: IssuedCredentials | IssuedToken | None = None,
    ) -> IssuedCredentials:
        """Issue a fresh key pair (``ASIA`` + session token when ``temporary``).

        ``issuer``: the credentials or token whose call made a fake issue these (lineage).
        """
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
                scope=self.current_scope,
                issuer=issuer,
            )
            self._keys[key_id] = [creds]
        return creds

    def issue_token(self, source: str, *, expiration: datetime | None = None) -> IssuedToken:
        """Issue a fake token, shaped by its source:

        * ``bearer:env`` / ``bearer:settings``: a long-term Bedrock API key (``ABSK`` + base64);
        * ``web-identity:<role>``: an OIDC token with a JWT's shape (``header.payload.signature``);
        * ``sso:<session>``: an IAM Identity Center access token (``aoa…``).
        """
        bearer = source_of_label(source) in ("bearer:env", "bearer:settings")
        if not bearer and source_of_label(source).startswith("bearer:"):
            raise ValueError(f"bearer tokens come from 'bearer:env' or 'bearer:settings', not {source!r}")
        if not bearer and not source.startswith(("web-identity:", "sso:")):
            raise ValueError(
                f"tokens are issued to 'bearer:env', 'bearer:settings', 'web-identity:<role>' or "
                f"'sso:<session>', not {source!r}"
            )
        _check_source(source)
        with self._lock:
            while True:
                token = _make_token(_token_kind(source), self.account_id, expiration)
                if token not in self._tokens:
                    break
            issued = IssuedToken(token=token, source=source, scope=self.current_scope, expiration=expiration)
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
        """Record keys that a test wrote itself, so requests using them are attributed.

        Blank key ids or secrets are refused (``ValueError``): they are never attributed.
        """
        _check_source(source)
        _check_value(f"access key id for {source!r}", access_key_id)
        _check_value(f"secret access key for {source!r}", secret_access_key)
        with self._lock:
            creds = IssuedCredentials(
                access_key_id=access_key_id,
                secret_access_key=secret_access_key,
                session_token=session_token,
                source=source,
                expiration=expiration,
                account_id=self.account_id,
                scope=self.current_scope,
            )
            entries = self._keys.setdefault(access_key_id, [])
            if not any(e == creds and self._visible(e.scope) for e in entries):
                entries.append(creds)
        return creds

    def record_token(self, source: str, token: str) -> IssuedToken:
        """Record a bearer token a test chose itself; blank tokens are refused (``ValueError``)."""
        _check_source(source)
        _check_value(f"bearer token for {source!r}", token)
        with self._lock:
            issued = IssuedToken(token=token, source=source, scope=self.current_scope)
            entries = self._tokens.setdefault(token, [])
            if not any(e == issued and self._visible(e.scope) for e in entries):
                entries.append(issued)
        return issued

    # -- looking up ----------------------------------------------------------------
    def credentials_for(self, access_key_id: str) -> tuple[IssuedCredentials, ...]:
        """Every issue of ``access_key_id`` visible in the current scope; more than one means
        the test reused a key."""
        with self._lock:
            return tuple(c for c in self._keys.get(access_key_id, ()) if self._visible(c.scope))

    def token_for(self, token: str) -> tuple[IssuedToken, ...]:
        with self._lock:
            return tuple(t for t in self._tokens.get(token, ()) if self._visible(t.scope))

    def attribute_key(self, access_key_id: str) -> Attribution:
        """Who holds ``access_key_id`` now, and who held it in scopes that have closed."""
        with self._lock:
            entries = tuple(self._keys.get(access_key_id, ()))
            visible = tuple(c for c in entries if self._visible(c.scope))
        return _attribution(visible, tuple(c for c in entries if c not in visible))

    def attribute_token(self, token: str) -> Attribution:
        with self._lock:
            entries = tuple(self._tokens.get(token, ()))
            visible = tuple(t for t in entries if self._visible(t.scope))
        return _attribution(visible, tuple(t for t in entries if t not in visible))

    def source_of_key(self, access_key_id: str) -> str | None:
        """The one source ``access_key_id`` was given to in this scope; ``None`` if unknown or ambiguous."""
        return self.attribute_key(access_key_id).source

    def source_of_token(self, token: str) -> str | None:
        return self.attribute_token(token).source

    def secrets(self) -> set[str]:
        """Every secret value the ledger ever knew (closed scopes too), for redacting free text."""
        with self._lock:
            out: set[str] = set(self._tokens)
            for entries in self._keys.values():
                for c in entries:
                    out.add(c.secret_access_key)
                    if c.session_token:
                        out.add(c.session_token)
        return out


def _chain(issued: IssuedCredentials | IssuedToken) -> str:
    """``assume-role:invoker (via shared-credentials-file:base)`` for a failure message."""
    if isinstance(issued, IssuedCredentials) and len(issued.lineage) > 1:
        return f"{issued.source} (via {' <- '.join(issued.lineage[1:])})"
    return issued.source


def _attribution(
    visible: tuple[IssuedCredentials, ...] | tuple[IssuedToken, ...],
    stale: tuple[IssuedCredentials, ...] | tuple[IssuedToken, ...],
) -> Attribution:
    sources = {i.source for i in visible}
    return Attribution(sources.pop() if len(sources) == 1 else None, visible, stale)


def _token_kind(source: str) -> str:
    for prefix, kind in _TOKEN_SOURCES.items():
        if source.startswith(prefix):
            return kind
    raise ValueError(f"{source!r} is not a token source")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _make_token(kind: str, account_id: str, expiration: datetime | None) -> str:
    if kind == "bedrock-api-key":
        alias = "BedrockAPIKey-" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(4))
        secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(60))
        return "ABSK" + base64.b64encode(f"{alias}-at-{account_id}:{secret}".encode()).decode()
    if kind == "web-identity":
        header = {"alg": "RS256", "kid": "bedrock-creds", "typ": "JWT"}
        claims: dict[str, object] = {
            "iss": "https://oidc.bedrock-creds.invalid",
            "sub": "system:serviceaccount:default:app",
            "aud": "sts.amazonaws.com",
        }
        if expiration is not None:
            claims["exp"] = int(expiration.timestamp())
        parts = (json.dumps(header).encode(), json.dumps(claims).encode(), secrets.token_bytes(64))
        return ".".join(_b64url(p) for p in parts)
    # IAM Identity Center access tokens are opaque strings starting with "aoa".
    return "aoa" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(60)) + ":" + _b64url(
        secrets.token_bytes(48)
    )


def _session_token() -> str:
    # Real STS session tokens are long base64 blobs starting with "IQoJb3JpZ2luX2Vj".
    body = base64.b64encode(secrets.token_bytes(180)).decode()
    return "IQoJb3JpZ2luX2VjE" + body
