"""A scenario's ``faults`` entry, given to the fake it names (IMDS, the container endpoint, the SSO portal)."""

from __future__ import annotations

from typing import Any

from pytest_bedrock_creds.servers.container import FakeContainerCredentials
from pytest_bedrock_creds.servers.imds import FakeImds
from pytest_bedrock_creds.servers.sso import FakeSsoPortal

__all__ = ["apply_fault"]


def apply_fault(
    server: FakeImds | FakeContainerCredentials | FakeSsoPortal, fault: dict[str, Any], *, default_target: str
) -> None:
    """Arm ``server`` with one fault (``kind``, and optionally ``target``, ``status``, ``seconds``, ``times``)."""
    kind, target, times = fault["kind"], fault.get("target", default_target), fault.get("times")
    if kind == "fail":
        server.fail(target, status=fault.get("status", 500), times=times)
    elif kind == "delay":
        server.delay(float(fault.get("seconds", 1.5)), target=target, times=times)
    elif kind == "hang":
        server.hang(target=target, times=times)
    elif kind == "malformed_json":
        server.malformed_json(target=target, times=times)
    else:
        server.reset_connection(target=target, times=times)
