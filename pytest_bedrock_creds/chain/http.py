"""The one place where the reference chain speaks HTTP (to the container and IMDS endpoints).

It refuses, before any socket is opened, to contact the real metadata services
(169.254.169.254, 169.254.170.2, any link-local address, ``fd00:ec2::/``) and
``*.amazonaws.com``: the reference chain is meant to run inside tests, and a test that
reaches a real metadata service either hangs for seconds or, on EC2, picks up real keys.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["HttpFailure", "HttpResult", "RefusedAddress", "refusal_reason", "request"]


class RefusedAddress(Exception):
    """The URL points at a real AWS endpoint; the reference chain never contacts those."""


class HttpFailure(Exception):
    """Connection refused, reset, timed out, or an unreadable reply.

    ``read_timeout`` is true when the connection was made but no reply came in time
    (botocore treats that apart from other failures: an IMDSv2 token request that times
    out falls back to IMDSv1 at once, without a retry).
    """

    def __init__(self, message: str, *, read_timeout: bool = False) -> None:
        super().__init__(message)
        self.read_timeout = read_timeout


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def json(self) -> object:
        return json.loads(self.body.decode("utf-8"))


def refusal_reason(host: str) -> str | None:
    """Why ``host`` must not be contacted from a test, or ``None`` if it may be."""
    bare = host.strip("[]").lower()
    if bare.endswith(".amazonaws.com") or bare == "amazonaws.com":
        return f"{bare} is a real AWS endpoint"
    try:
        address = ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        return None
    if address.is_link_local:
        return f"{bare} is link-local (the real EC2/ECS metadata service)"
    if address in ipaddress.ip_network("fd00:ec2::/32"):
        return f"{bare} is the real EC2/EKS metadata service (IPv6)"
    return None


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 1.0,
) -> HttpResult:
    """Send one request and read the whole reply; every failure is an :class:`HttpFailure`
    (or :class:`RefusedAddress`), never a raw exception, and never quotes a header's value."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port  # .port raises for a port out of range
    except ValueError as exc:  # "http://[::1", "http://127.0.0.1:99999"
        raise HttpFailure(f"{method} {url!r}: not a usable URL ({exc})") from None
    reason = refusal_reason(host)
    if reason:
        raise RefusedAddress(f"refusing to contact {url}: {reason}")
    if parts.scheme not in ("http", "https"):
        raise HttpFailure(f"unsupported URL scheme in {url!r}")
    conn_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    try:
        conn = conn_type(host, port, timeout=timeout)
    except (http.client.InvalidURL, ValueError) as exc:
        raise HttpFailure(f"{method} {url!r}: not a usable host ({exc})") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connected = False
    try:
        conn.connect()
        connected = True
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return HttpResult(response.status, body, tuple(response.getheaders()))
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        read_timeout = connected and isinstance(exc, TimeoutError)
        raise HttpFailure(f"{method} {url}: {type(exc).__name__}: {exc}", read_timeout=read_timeout) from None
    except ValueError as exc:  # its message quotes the offending value, which may be a token: not shown
        problem = "a host name that cannot be encoded" if not connected else "a header value that cannot be sent"
        raise HttpFailure(f"{method} {url}: {type(exc).__name__}: {problem}") from None
    finally:
        conn.close()
