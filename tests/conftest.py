"""Suite-wide guard: no test of this project may reach a real AWS endpoint.

An audit hook sees every ``socket.connect`` and ``getaddrinfo`` in the process; a
connection to anything but loopback, or a lookup of ``*.amazonaws.com`` or a link-local
address, fails loudly. ``tests/test_network_guard.py`` proves that it does.
"""

from __future__ import annotations

import ipaddress
import sys
from typing import Any

import pytest

pytest_plugins = ["pytester"]

BLOCKED: list[str] = []


def _loopback(host: object) -> bool:
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class RealNetworkAccess(RuntimeError):
    pass


def _guard(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        address = args[1]
        host = address[0] if isinstance(address, tuple) else address
        if not _loopback(host):
            BLOCKED.append(f"connect {address!r}")
            raise RealNetworkAccess(f"test tried to connect to {address!r}; only loopback is allowed")
    elif event == "socket.getaddrinfo":
        host = args[0]
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if isinstance(host, str) and (host.endswith("amazonaws.com") or host.startswith("169.254.")):
            BLOCKED.append(f"getaddrinfo {host!r}")
            raise RealNetworkAccess(f"test tried to resolve {host!r}")


sys.addaudithook(_guard)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # An SDK may swallow the guard's exception and fall through quietly; the run still fails.
    if BLOCKED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if BLOCKED:
        terminalreporter.write_line(
            f"FAILED: the network guard blocked {len(BLOCKED)} attempt(s) to leave loopback: "
            f"{sorted(set(BLOCKED))[:5]}",
            red=True,
        )
