"""A network guard: nothing in the process may leave loopback.

:func:`install` adds an audit hook (PEP 578) that sees every ``socket.connect`` and
``getaddrinfo``. A connection to anything but loopback, or a lookup of
``*.amazonaws.com`` or a link-local (``169.254.*``) name, raises
:class:`RealNetworkAccess` and is recorded in :data:`BLOCKED`. SDKs often swallow
connection errors and fall through quietly (botocore's IMDS fetcher does), so the pytest
option ``--bedrock-network-guard`` also fails the run when anything was blocked.
Audit hooks cannot be removed: the guard lasts for the life of the process.
"""

from __future__ import annotations

import ipaddress
import sys
from typing import Any

__all__ = ["BLOCKED", "RealNetworkAccess", "install", "installed"]

#: What was blocked, as ``"connect ('169.254.169.254', 80)"`` / ``"getaddrinfo 'x.amazonaws.com'"``.
BLOCKED: list[str] = []
_installed = False


class RealNetworkAccess(ConnectionRefusedError):
    """Raised instead of connecting outside loopback (a ``ConnectionRefusedError``, so callers
    see an ordinary connection failure; the run still fails through :data:`BLOCKED`)."""


def _loopback(host: object) -> bool:
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        address = args[1]
        host = address[0] if isinstance(address, tuple) else address
        if not _loopback(host):
            BLOCKED.append(f"connect {address!r}")
            raise RealNetworkAccess(f"blocked a connection to {address!r}: only loopback is allowed")
    elif event == "socket.getaddrinfo":
        host = args[0].decode("ascii", "replace") if isinstance(args[0], bytes) else args[0]
        if isinstance(host, str) and (host.endswith("amazonaws.com") or host.startswith("169.254.")):
            BLOCKED.append(f"getaddrinfo {host!r}")
            raise RealNetworkAccess(f"blocked a lookup of {host!r}")


def install() -> None:
    """Install the guard once per process."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def installed() -> bool:
    return _installed
