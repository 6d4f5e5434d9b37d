"""What every target's runner shares: reading the outcome off the fake, and refusing settings.

A runner maps the scenario's client settings to the client's own parameters. A setting the
client has no parameter for is refused with ``unsupported-setting: <client> has no <name>
setting`` before anything runs; it is never dropped silently (the client would then run a
different scenario than the one written).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Iterator
from typing import Any, TypeVar

from pytest_bedrock_creds.scenarios.outcome import Observation, classify_error
from pytest_bedrock_creds.scenarios.world import Prepared
from pytest_bedrock_creds.servers.bedrock import FakeBedrock

__all__ = [
    "CALL_TIMEOUT",
    "KEYS",
    "ONE_ATTEMPT",
    "auth_config",
    "given_settings",
    "observe",
    "precheck",
    "refuse_resolver",
    "refuse_settings",
    "run_async",
    "unsupported_operation",
]

#: Seconds a runner gives one client call (a hung IMDS fault must not hang the run).
CALL_TIMEOUT = 20.0
#: The scenario settings that are AWS keys given in code.
KEYS = ("access_key_id", "secret_access_key", "session_token")

#: botocore ``Config`` options for one attempt and short timeouts (scenarios may not set retries).
ONE_ATTEMPT: dict[str, Any] = {"retries": {"total_max_attempts": 1}, "connect_timeout": 5, "read_timeout": 10}

_T = TypeVar("_T")


def observe(fake: FakeBedrock, error: BaseException | str | None) -> Observation:
    """The outcome is what reached the fake; without a request, the client's error."""
    requests = fake.requests
    if requests:
        return Observation.from_request(requests[-1])
    if error is None:
        return Observation.failure("other: the client returned without sending a request")
    if isinstance(error, str):
        return Observation.failure(error)
    message = f"{type(error).__name__}: {error}"
    kind = next((k for k in map(classify_error, _chain(error)) if k != "other"), "other")
    return Observation.failure(message if kind == "other" else f"{kind}: {message}")


def _chain(error: BaseException) -> Iterator[str]:
    """``error`` and what it wraps, outermost first, each as ``"<type>: <message>"``: the error a
    client raised from (``__cause__``, ``__context__``) and, for pydantic's ``ValidationError``,
    the errors its validators raised. A wrapper (litellm's ``APIConnectionError``, langchain-aws's
    ``ValidationError``, pydantic-ai's ``ModelRequestRejectedError``) then has the kind of the SDK
    error it wraps."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending and len(seen) < 16:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield f"{type(current).__name__}: {current}"
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        errors = getattr(current, "errors", None)
        if callable(errors) and type(current).__name__ == "ValidationError":
            try:
                details = errors()
            except Exception:  # noqa: BLE001 - not pydantic's after all
                details = []
            pending.extend(d["ctx"]["error"] for d in details
                           if isinstance(d, dict) and isinstance(d.get("ctx", {}).get("error"), BaseException))


def given_settings(prepared: Prepared) -> list[str]:
    """The client settings the scenario gives, by name (``keys`` counts as the key settings)."""
    spec = prepared.scenario.settings
    given: list[str] = []
    if spec.keys:
        given += ["access_key_id", "secret_access_key"] + (["session_token"] if spec.keys == "issued-temporary" else [])
    for name in (*KEYS, "bearer_token", "profile", "auth_scheme_preference", "signature_version", "region"):
        if getattr(spec, name) is not None and name not in given:
            given.append(name)
    if spec.resolver not in (None, "default"):
        given.append("resolver")
    return given


def refuse_settings(prepared: Prepared, client: str, supported: Iterable[str]) -> Observation | None:
    """``unsupported-setting`` naming the first setting ``client`` has no parameter for, or ``None``."""
    missing = [name for name in given_settings(prepared) if name not in set(supported)]
    if not missing:
        return None
    if missing[0] == "resolver":
        return refuse_resolver(client, prepared)
    return Observation.failure(f"unsupported-setting: {client} has no {missing[0].replace('_', ' ')} setting")


def refuse_resolver(client: str, prepared: Prepared) -> Observation | None:
    """``unsupported-setting`` when the scenario names one specific credentials resolver, or ``None``."""
    resolver = prepared.scenario.settings.resolver
    if resolver in (None, "default"):
        return None
    return Observation.failure(f"unsupported-setting: {client} has no setting for one specific credentials "
                               f"resolver ({resolver}); it always runs its default chain")


def unsupported_operation(client: str, operation: str, has: str) -> Observation:
    """``unsupported-operation``: ``client`` has no call for ``operation``; ``has`` says what it has."""
    return Observation.failure(f"unsupported-operation: {client} has {has}; it has no {operation}")


def precheck(prepared: Prepared, client: str, supported: Iterable[str], operations: Iterable[str],
             has: str) -> Observation | None:
    """What ``client`` answers before it runs: a refused setting, or an operation it has no call for."""
    refused = refuse_settings(prepared, client, supported)
    if refused is not None:
        return refused
    operation = prepared.scenario.operation
    return None if operation in set(operations) else unsupported_operation(client, operation, has)


def auth_config(prepared: Prepared) -> dict[str, Any]:
    """The scenario's ``signature_version`` and ``auth_scheme_preference`` as botocore ``Config`` options
    (only those it gives: the reference's reading of ``signature_version`` is not one of them)."""
    config: dict[str, Any] = {}
    if prepared.signature_version:
        config["signature_version"] = prepared.signature_version
    if prepared.scenario.settings.auth_scheme_preference is not None:
        config["auth_scheme_preference"] = prepared.settings.auth_scheme_preference
    return config


def run_async(call: Awaitable[_T], timeout: float = CALL_TIMEOUT) -> _T:
    """Run one async client call to the end in a fresh event loop."""

    async def bounded() -> Any:
        return await asyncio.wait_for(call, timeout=timeout)

    result: _T = asyncio.run(bounded())
    return result
