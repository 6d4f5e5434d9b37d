"""Data types of the reference chain: settings, trace steps, the resolution, errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pytest_bedrock_creds.redact import hidden_from_diffs, redact

__all__ = [
    "ERROR_KINDS",
    "ChainError",
    "ConfigFileError",
    "Found",
    "Outcome",
    "Resolution",
    "Scheme",
    "ServiceSettings",
    "Skip",
    "TraceStep",
]

Scheme = Literal["bearer", "sigv4"]
Outcome = Literal["used", "skipped", "error", "not reached"]


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class ServiceSettings:
    """What a program gives the Bedrock client in code (the "service settings").

    ``auth_scheme_preference`` is the in-code form of ``AWS_AUTH_SCHEME_PREFERENCE``
    (e.g. ``"sigv4"``, ``"httpBearerAuth,sigv4"``); ``region`` the client's region setting,
    which wins over ``AWS_REGION``.
    """

    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    bearer_token: str | None = None
    profile: str | None = None
    auth_scheme_preference: str | None = None
    region: str | None = None

    def as_kwargs(self, **names: str) -> dict[str, str]:
        """The settings that are given, under a client's own argument names.

        >>> ServiceSettings(access_key_id="AKIA...").as_kwargs(access_key_id="aws_access_key_id", profile="profile")
        {'aws_access_key_id': 'AKIA...'}
        """
        given = {name: getattr(self, field) for field, name in names.items()}
        return {name: value for name, value in given.items() if value is not None}

    def __repr__(self) -> str:
        return (
            f"ServiceSettings(access_key_id={self.access_key_id!r}, "
            f"secret_access_key={redact(self.secret_access_key)}, session_token={redact(self.session_token)}, "
            f"bearer_token={redact(self.bearer_token)}, profile={self.profile!r}, "
            f"auth_scheme_preference={self.auth_scheme_preference!r}, region={self.region!r})"
        )


@dataclass(frozen=True)
class TraceStep:
    """One source consulted: ``used``, ``skipped`` (and why), ``error`` or ``not reached``."""

    resolver: str
    outcome: Outcome
    reason: str

    def __str__(self) -> str:
        return f"{self.resolver}: {self.outcome} - {self.reason}"


@dataclass(frozen=True)
class Skip:
    """A resolver's answer: this source has nothing; the chain goes on."""

    reason: str


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class Found:
    """A resolver's answer: use this identity; the chain stops."""

    scheme: Scheme
    source: str
    reason: str
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    token: str | None = None

    def __repr__(self) -> str:
        return f"Found(scheme={self.scheme!r}, source={self.source!r}, access_key_id={self.access_key_id!r})"


#: The kinds of error the reference chain reports (``Resolution.error_kind``, ``ChainError.kind``).
ERROR_KINDS = (
    "no-credentials",
    "no-region",
    "partial-credentials",
    "expired-credentials",
    "profile-not-found",
    "config-file-error",
    "container-error",
    "imds-error",
    "invalid-config",
)


class ChainError(Exception):
    """A configuration error that stops the chain (partial keys, missing profile ...).

    ``kind`` is one of :data:`ERROR_KINDS` (``"invalid-config"`` unless said otherwise).
    """

    kind: str = "invalid-config"

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            if kind not in ERROR_KINDS:
                raise ValueError(f"unknown error kind {kind!r}; expected one of {', '.join(ERROR_KINDS)}")
            self.kind = kind

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_chain_error, (type(self), str(self), self.kind))


def _rebuild_chain_error(cls: type[ChainError], message: str, kind: str) -> ChainError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.kind = kind
    return error


class ConfigFileError(ChainError):
    """A shared credentials or config file that cannot be parsed; names the file and line."""

    kind = "config-file-error"

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = Path(path)
        self.line = line
        self.problem = problem

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (str(self.path), self.line, self.problem))


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class Resolution:
    """What the reference chain decided, and why.

    ``scheme`` is ``"bearer"`` or ``"sigv4"``, or ``None`` with ``error`` set when no
    source produced credentials, a configuration error stopped the chain, or there is no
    region (a client cannot be made without one). ``error_kind`` names the error's kind
    (:data:`ERROR_KINDS`). ``region`` is the region the call goes to and ``region_source``
    where it came from (``settings``, ``env:AWS_REGION``, ``env:AWS_DEFAULT_REGION``,
    ``config-file:<profile>``, ``shared-credentials-file:<profile>``), also when the
    credentials failed.
    """

    operation: str
    scheme: Scheme | None
    source: str | None
    profile: str
    trace: tuple[TraceStep, ...]
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    token: str | None = None
    error: str | None = None
    region: str | None = None
    region_source: str | None = None
    error_kind: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def explain(self) -> str:
        """The trace as text, one source a line (no secrets)."""
        head = (
            f"{self.operation}: {self.scheme} from {self.source}"
            if self.ok
            else f"{self.operation}: error ({self.error_kind}): {self.error}"
        )
        if self.region is not None:
            head += f"; region {self.region} from {self.region_source}"
        return "\n".join([head, *(f"  {i}. {step}" for i, step in enumerate(self.trace, 1))])

    def __repr__(self) -> str:
        return (
            f"Resolution(operation={self.operation!r}, scheme={self.scheme!r}, source={self.source!r}, "
            f"profile={self.profile!r}, access_key_id={self.access_key_id!r}, "
            f"secret_access_key={redact(self.secret_access_key)}, session_token={redact(self.session_token)}, "
            f"token={redact(self.token)}, error={self.error!r}, region={self.region!r})"
        )
