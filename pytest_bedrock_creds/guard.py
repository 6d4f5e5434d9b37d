"""A network guard: nothing in the process may leave loopback.

:func:`install` adds an audit hook (PEP 578) that sees every ``socket.connect`` (and
``connect_ex``), ``socket.sendto``/``sendmsg`` (UDP), ``getaddrinfo`` and ``gethostbyname``.
Refused, before any packet leaves:

* a connection or datagram to anything but loopback (an IP literal or a host name other than
  ``localhost``);
* a lookup of an AWS name (``*.amazonaws.com``, ``*.amazonaws.com.cn``, ``*.api.aws``, in any
  case, with or without the trailing dot), of EC2's ``instance-data`` name, or of a metadata
  address (link-local ``169.254.*`` such as 169.254.169.254 and 169.254.170.2/.23, and
  ``fd00:ec2::/32`` such as ``fd00:ec2::254`` and ``fd00:ec2::23``).

A refused attempt raises :class:`RealNetworkAccess` and is recorded in :data:`BLOCKED` with the
test that made it (:func:`set_current_test`), because SDKs often swallow connection errors
and fall through quietly (botocore's IMDS fetcher does): the pytest plugin fails that test
and the run, also under xdist. Audit hooks cannot be removed: the guard lasts for the life
of the process.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BLOCKED",
    "Attempt",
    "RealNetworkAccess",
    "blocked_reason",
    "expect_blocked",
    "install",
    "installed",
    "set_current_test",
    "take",
]

_AWS_SUFFIXES = ("amazonaws.com", "amazonaws.com.cn", "api.aws")
_METADATA_NAMES = ("instance-data", "instance-data.ec2.internal")
_EC2_V6 = ipaddress.ip_network("fd00:ec2::/32")


@dataclass(frozen=True)
class Attempt:
    """One refused attempt: ``what`` (``"connect ('169.254.169.254', 80)"``) and the test it came from."""

    what: str
    test: str | None


#: Every refused attempt not made inside :func:`expect_blocked`, in order.
BLOCKED: list[Attempt] = []
_lock = threading.Lock()
_state: dict[str, Any] = {"installed": False, "test": None, "expecting": 0}


class RealNetworkAccess(ConnectionRefusedError):
    """Raised instead of connecting outside loopback (a ``ConnectionRefusedError``, so callers
    see an ordinary connection failure; the run still fails through :data:`BLOCKED`)."""


def _normal(host: str) -> str:
    return host.strip().strip("[]").split("%", 1)[0].rstrip(".").lower()


def blocked_reason(host: object, *, lookup: bool) -> str | None:
    """Why talking to (``lookup=False``) or resolving (``lookup=True``) ``host`` is refused, else ``None``."""
    if not isinstance(host, str):
        return None  # AF_UNIX paths, file descriptors and the like
    name = _normal(host)
    if any(name == s or name.endswith("." + s) for s in _AWS_SUFFIXES):
        return f"{host!r} is an AWS endpoint name"
    if name in _METADATA_NAMES:
        return f"{host!r} is the EC2 instance metadata service's name"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if lookup or name in ("localhost", ""):
            return None
        return f"{host!r} is not a loopback address"
    if address.is_link_local or address in _EC2_V6:
        return f"{host!r} is a metadata-service address"
    if not lookup and not address.is_loopback:
        return f"{host!r} is not a loopback address"
    return None


def _record(what: str) -> None:
    with _lock:
        if _state["expecting"]:
            return
        BLOCKED.append(Attempt(what, _state["test"]))


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        if getattr(args[0], "family", None) not in (socket.AF_INET, socket.AF_INET6):
            return  # AF_UNIX, netlink ...: not the network
        address = args[1]
        host = address[0] if isinstance(address, tuple) and address else address
        verb = event.split(".", 1)[1]
        reason = blocked_reason(host, lookup=False)
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        raw = args[0]
        host = raw.decode("ascii", "replace") if isinstance(raw, bytes) else raw
        address, verb = host, event.split(".", 1)[1]
        reason = blocked_reason(host, lookup=True)
    else:
        return
    if reason is not None:
        _record(f"{verb} {address!r}")
        raise RealNetworkAccess(f"blocked {verb} {address!r}: {reason}; only loopback is allowed")


def install() -> None:
    """Install the guard once per process."""
    with _lock:
        if not _state["installed"]:
            sys.addaudithook(_hook)
            _state["installed"] = True


def installed() -> bool:
    return bool(_state["installed"])


def set_current_test(test: str | None) -> None:
    """Attempts from now on are recorded as made by ``test`` (a pytest node id), or by no test."""
    with _lock:
        _state["test"] = test


def take(test: str | None = None, *, every: bool = False) -> list[Attempt]:
    """Remove and return the recorded attempts of ``test`` (or, with ``every``, all of them)."""
    with _lock:
        taken = [a for a in BLOCKED if every or a.test == test]
        BLOCKED[:] = [a for a in BLOCKED if a not in taken]
    return taken


@contextmanager
def expect_blocked() -> Iterator[None]:
    """Attempts inside are refused as usual but not recorded (for tests of the guard itself)."""
    with _lock:
        _state["expecting"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["expecting"] -= 1
