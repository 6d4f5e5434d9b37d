"""A loopback HTTP(S) server base shared by every fake.

Each fake subclasses :class:`LoopbackServer` and implements :meth:`LoopbackServer.handle`,
which takes our own :class:`HttpRequest` and returns an :class:`HttpResponse`. The base owns
the sockets and threads, so the rules live in one place:

* binds ``127.0.0.1`` (or ``::1``) on port 0 inside :meth:`start`; one thread accepts, one
  thread serves each connection (at most :attr:`~LoopbackServer.max_connections` at once;
  more are refused with a 503); :meth:`stop` closes every connection and joins every thread;
* sets ``TCP_NODELAY`` on accepted sockets and writes head and body in one ``sendall``,
  avoiding the 40 ms Nagle/delayed-ACK stall on kept-alive connections;
* a kept-alive connection that stays idle for :attr:`~LoopbackServer.idle_timeout` is closed;
  a request must arrive whole within :attr:`~LoopbackServer.request_timeout` (else 408), so a
  client that trickles bytes cannot hold a thread;
* an exception inside ``handle`` never vanishes: the client gets a 500, and
  :meth:`check` raises :class:`ServerError` naming the request that caused it;
* malformed HTTP gets a 400 (a bad ``Content-Length``, chunk size, header line or request
  line), a body over :attr:`~LoopbackServer.max_body` a 413, and the server keeps serving;
* a reply held back (``delay``/``hang``) is settled at once for a client on a
  :mod:`virtual clock <pytest_bedrock_creds.vclock>`.
"""

from __future__ import annotations

import logging
import re
import select
import selectors
import socket
import ssl
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import cached_property
from http import HTTPStatus
from typing import Any

from pytest_bedrock_creds import vclock
from pytest_bedrock_creds.redact import hidden_from_diffs

__all__ = ["HttpRequest", "HttpResponse", "LoopbackServer", "ServerError", "header_value"]

log = logging.getLogger("pytest_bedrock_creds.servers")

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"})
#: The characters of an HTTP token (a method, a header name): ``bytes.translate`` deletes them all
#: from a valid token, leaving nothing.
_TOKEN = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_HEX = b"0123456789abcdefABCDEF"
_MAX_HEADERS = 100
_MAX_LINE = 8192


def header_value(headers: tuple[tuple[str, str], ...], name: str, default: str | None = None) -> str | None:
    """The first value of header ``name`` (case-insensitive), else ``default``."""
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return default


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class HttpRequest:
    """One request as it arrived: method, the raw (still percent-encoded) path, headers, body.

    Its repr names the headers and the body's size, never their values (an Authorization
    header, a security token or a form body can hold secrets)."""

    method: str
    raw_path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    client: str = ""

    def header(self, name: str, default: str | None = None) -> str | None:
        return self._first_values.get(name.lower(), default)

    @cached_property
    def _first_values(self) -> dict[str, str]:
        """The first value of each header, by lower-case name (built once, on first lookup)."""
        values: dict[str, str] = {}
        for key, value in self.headers:
            values.setdefault(key.lower(), value)
        return values

    @property
    def path(self) -> str:
        """The raw path without the query string."""
        return self.raw_path.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.raw_path.split("?", 1)[1] if "?" in self.raw_path else ""

    def __repr__(self) -> str:
        names = ", ".join(name for name, _ in self.headers)
        return f"HttpRequest({self.method} {self.path} headers=[{names}] body={len(self.body)} bytes)"


@dataclass
class HttpResponse:
    """A reply. ``body`` may be bytes, or an iterable of chunks for a streamed reply.

    ``delay`` holds the reply back that many seconds; ``hang`` keeps the connection open
    without answering for that many seconds (then closes it); ``reset`` closes the
    connection abruptly instead of answering.
    """

    status: int
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    reset: bool = False
    delay: float = 0.0


class ServerError(AssertionError):
    """Raised by :meth:`LoopbackServer.check` for an exception inside a fake's handler."""

    def __init__(self, server: str, request: str, error: str) -> None:
        super().__init__(f"{server}: error while handling {request}: {error}")
        self.server = server
        self.request = request
        self.error = error

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across xdist workers
        return (type(self), (self.server, self.request, self.error))


class _Refused(Exception):
    """The request cannot be served: answer ``status`` with ``message`` and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Gone(Exception):
    """The client went away (or the server is stopping): close without answering."""


_PHRASES = {status.value: status.phrase for status in HTTPStatus}
_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The ``Date`` header line, made once a second."""
    global _date_cache
    now = int(vclock.real_time())
    if _date_cache[0] != now:
        _date_cache = (now, "Date: " + formatdate(now, usegmt=True))
    return _date_cache[1]


class _Slot:
    """The socket of one connection (replaced once TLS wraps it), so stop() can shut it down."""

    __slots__ = ("sock",)

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock


class _Connection:
    """One client connection: read requests, dispatch, write replies, until close."""

    def __init__(self, owner: LoopbackServer, sock: socket.socket, client: tuple[Any, ...]) -> None:
        self.owner = owner
        self.sock = sock
        self.client = client
        self.buf = bytearray()
        self.deadline = 0.0
        self.timeout: float | None = -1.0  # what the socket has now; -1: not set by us yet

    # -- reading ------------------------------------------------------------------------------
    def use_timeout(self, seconds: float | None) -> None:
        """Set the socket's timeout (for reads and writes), skipping the system calls when unchanged."""
        if self.timeout != seconds:
            self.timeout = seconds
            self.sock.settimeout(seconds)

    def _recv(self, idle: bool) -> bytes:
        if idle:
            self.use_timeout(self.owner.idle_timeout)
        else:
            left = self.deadline - vclock.real_monotonic()
            if left <= 0:
                raise _Refused(408, "the request did not arrive in time")
            self.use_timeout(left)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            if idle:
                raise _Gone from None
            raise _Refused(408, "the request did not arrive in time") from None
        except (OSError, ValueError):
            raise _Gone from None
        if not data:
            raise _Gone
        return data

    def read_head(self) -> bytes:
        buf = self.buf
        started = bool(buf)
        if started:
            self.deadline = vclock.real_monotonic() + self.owner.request_timeout
        while True:
            while buf and buf[0] in (0x0D, 0x0A):  # empty lines before a request line are ignored (RFC 9112 2.2)
                del buf[:1]
            end = buf.find(b"\r\n\r\n")
            size = 4
            if end < 0:
                end, size = buf.find(b"\n\n"), 2
            if end >= 0:
                head = bytes(buf[:end])
                del buf[: end + size]
                return head
            if len(buf) > self.owner.max_head:
                raise _Refused(431, "the request head is too large")
            data = self._recv(idle=not started)
            if not started:
                started = True
                self.deadline = vclock.real_monotonic() + self.owner.request_timeout
            buf += data

    def read_exact(self, size: int) -> bytes:
        buf = self.buf
        while len(buf) < size:
            buf += self._recv(False)
        data = bytes(buf[:size])
        del buf[:size]
        return data

    def read_line(self) -> bytes:
        buf = self.buf
        while True:
            end = buf.find(b"\n")
            if end >= 0:
                line = bytes(buf[:end]).rstrip(b"\r")
                del buf[: end + 1]
                return line
            if len(buf) > _MAX_LINE:
                raise _Refused(400, "a chunk-size or trailer line is too long")
            buf += self._recv(False)

    def read_body(self, headers: tuple[tuple[str, str], ...], version: str) -> bytes:
        owner = self.owner
        encodings = [v for k, v in headers if k.lower() == "transfer-encoding"]
        lengths = [v for k, v in headers if k.lower() == "content-length"]
        if encodings:
            if lengths:
                raise _Refused(400, "both Transfer-Encoding and Content-Length")
            codings = [c.strip().lower() for c in ",".join(encodings).split(",")]
            if codings[-1] != "chunked":
                raise _Refused(400, f"Transfer-Encoding {', '.join(encodings)[:60]!r} does not end in chunked")
            if len(codings) > 1:
                raise _Refused(501, f"unsupported Transfer-Encoding {', '.join(encodings)[:60]!r}")
            self._continue(headers, version)
            return self._read_chunked()
        if not lengths:
            return b""
        values = {v.strip() for value in lengths for v in value.split(",")}
        text = values.pop() if len(values) == 1 else ""
        if not text or not all(0x30 <= c <= 0x39 for c in text.encode("latin-1")):
            raise _Refused(400, f"invalid Content-Length {', '.join(lengths)[:60]!r}")
        length = int(text)
        if length > owner.max_body:
            raise _Refused(413, f"Content-Length {length} is over the limit of {owner.max_body} bytes")
        if length:
            self._continue(headers, version)
        return self.read_exact(length)

    def _continue(self, headers: tuple[tuple[str, str], ...], version: str) -> None:
        expect = header_value(headers, "Expect")
        if expect is not None and expect.strip().lower() == "100-continue" and version == "HTTP/1.1":
            self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        limit = self.owner.max_body
        while True:
            line = self.read_line()
            size_text = line.split(b";", 1)[0].strip(b" \t")
            if not size_text or size_text.translate(None, _HEX):
                raise _Refused(400, f"invalid chunk size {line[:40]!r}")
            size = int(size_text, 16)
            if size > limit - total:
                raise _Refused(413, f"the chunked body is over the limit of {limit} bytes")
            if size == 0:
                for _ in range(_MAX_HEADERS + 1):  # trailer fields, then the empty line
                    if not self.read_line():
                        return b"".join(parts)
                raise _Refused(400, "too many trailer fields")
            parts.append(self.read_exact(size))
            total += size
            if self.read_exact(2) != b"\r\n":
                raise _Refused(400, "a chunk is not followed by CRLF")

    # -- the loop -----------------------------------------------------------------------------
    def serve(self) -> None:
        owner = self.owner
        while not owner._stopping.is_set():
            try:
                head = self.read_head()
                method, target, version, headers = _parse_head(head)
                body = self.read_body(headers, version)
            except _Gone:
                return
            except _Refused as refused:
                self.write(HttpResponse(refused.status, refused.message.encode(), {"Content-Type": "text/plain"}),
                           close=True, head_only=False)
                return
            self.use_timeout(owner.idle_timeout)  # the reply is written with the idle timeout
            request = HttpRequest(method, target, headers, body, str(self.client[0]))
            connection = (header_value(headers, "Connection") or "").lower()
            keep = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
            if not self.respond(request, keep):
                return

    def respond(self, request: HttpRequest, keep: bool) -> bool:
        """Answer one request; ``False`` when the connection must close."""
        owner = self.owner
        try:
            response = owner.handle(request)
        except Exception as exc:  # noqa: BLE001 - reported through check()
            owner._record_error(request, exc)
            response = HttpResponse(500, b"internal error in fake server; call .check() for details")
        if response.hang or response.delay:
            limit = response.hang or response.delay
            with vclock.hold_reply(self.client, None if response.hang else response.delay) as hold:
                answered = hold.wait_for_client(limit, owner._stopping, self._peer_closed)
            if response.hang or not answered:
                return False
        if response.reset:
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            return False
        close = not keep or (response.headers.get("Connection", "").lower() == "close")
        return self.write(response, close=close, head_only=request.method == "HEAD") and not close

    def _peer_closed(self) -> bool:
        try:
            if not _readable(self.sock):
                return False
            return not socket.socket.recv(self.sock, 1, socket.MSG_PEEK)
        except (OSError, ValueError):
            return True

    # -- writing ------------------------------------------------------------------------------
    def write(self, response: HttpResponse, *, close: bool, head_only: bool) -> bool:
        """Send ``response``; ``False`` if the client went away."""
        body = response.body
        streamed = not isinstance(body, bytes | bytearray)
        lines = [f"HTTP/1.1 {response.status} {_PHRASES.get(response.status, '')}"]
        lines.extend(f"{k}: {v}" for k, v in response.headers.items() if not (close and k == "Connection"))
        if streamed:
            lines.append("Transfer-Encoding: chunked")
        elif "Content-Length" not in response.headers:
            lines.append(f"Content-Length: {len(body)}")  # type: ignore[arg-type]
        if close:
            lines.append("Connection: close")
        if "Date" not in response.headers:
            lines.append(_http_date())
        lines.append("\r\n")
        head = "\r\n".join(lines).encode("latin-1")
        try:
            if not streamed or head_only:
                assert head_only or isinstance(body, bytes | bytearray)
                self.sock.sendall(head if head_only else head + bytes(body))  # type: ignore[arg-type]
                return True
            assert not isinstance(body, bytes | bytearray)
            self.sock.sendall(head)
            return self._write_chunks(body)
        except (OSError, ValueError):
            log.debug("%s: the client went away while the reply was sent", self.owner.name, exc_info=True)
            return False

    def _write_chunks(self, body: Iterable[bytes]) -> bool:
        chunks = iter(body)
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except Exception as exc:  # noqa: BLE001 - a broken streamed reply; reported through check()
                self.owner._record_error(HttpRequest("STREAM", "(streamed reply)", (), b""), exc)
                return False
            if chunk:
                self.sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.sock.sendall(b"0\r\n\r\n")
        return True


#: Header field lines, one per line: ``token ":" value`` (no folded lines, no bare CR).
_FIELD_LINES = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n]*\r?(?:\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n]*\r?)*")


def _parse_head(head: bytes) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
    text = head.decode("latin-1")
    request_line, _, fields = text.partition("\n")
    request_line = request_line.removesuffix("\r")
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[0] or not parts[1] or parts[0].encode("latin-1").translate(None, _TOKEN):
        raise _Refused(400, "bad request line: expected 'METHOD target HTTP/1.1'")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        if version.startswith("HTTP/") and version[5:6].isdigit():
            raise _Refused(505, f"HTTP version {version[:20]!r} is not supported")
        raise _Refused(400, "bad request line: expected 'METHOD target HTTP/1.1'")
    if method not in _METHODS:
        raise _Refused(501, f"method {method[:20]!r} is not supported")
    if not fields:
        return method, target, version, ()
    lines = fields.split("\n")
    if len(lines) > _MAX_HEADERS:
        raise _Refused(431, f"more than {_MAX_HEADERS} header fields")
    if _FIELD_LINES.fullmatch(fields) is None:
        # Which line, never what it says: a header value may be a secret.
        number = next(n for n, line in enumerate(lines, 2) if _FIELD_LINES.fullmatch(line) is None)
        raise _Refused(400, f"bad header line {number}: expected 'Name: value' (no folded or empty lines)")
    headers = []
    for line in lines:
        name, _, value = line.removesuffix("\r").partition(":")
        headers.append((name, value.lstrip(" \t")))
    return method, target, version, tuple(headers)


def _readable(sock: socket.socket) -> bool:
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


class LoopbackServer:
    """Base of every fake: subclass and implement :meth:`handle`.

    Usable without pytest::

        with FakeSomething() as fake:
            ... fake.url ...

    The limits are attributes; set them on an instance before :meth:`start` to change them.
    """

    name = "loopback server"
    #: Connections served at once; one more is answered 503 and closed.
    max_connections = 128
    #: Seconds a kept-alive connection may wait for its next request before it is closed.
    idle_timeout = 30.0
    #: Seconds from a request's first byte until it must have arrived whole (else 408).
    request_timeout = 10.0
    #: Bytes a request body may have (else 413).
    max_body = 64 * 1024 * 1024
    #: Bytes a request line plus headers may have (else 431).
    max_head = 64 * 1024

    def __init__(self, *, host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None) -> None:
        if host not in _LOOPBACK:
            raise ValueError(f"fake servers bind loopback only (127.0.0.1 or ::1), not {host!r}")
        self.host = "127.0.0.1" if host == "localhost" else host
        self._ssl_context = ssl_context
        self._listener: socket.socket | None = None
        self._address: tuple[Any, ...] | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._thread: threading.Thread | None = None
        self._connections: dict[_Slot, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        self._errors: list[ServerError] = []
        self._errors_lock = threading.Lock()
        self._stopping = threading.Event()

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        if self._listener is not None:
            raise RuntimeError(f"{self.name} is already running at {self.url}")
        self._stopping.clear()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.bind((self.host, 0))
            listener.listen(128)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self._address = listener.getsockname()
        self._wake = socket.socketpair()
        self._thread = threading.Thread(target=self._accept_loop, name=self.name, daemon=True)
        self._thread.start()
        vclock.listener_started(self._address)
        log.debug("%s listening on %s", self.name, self.url)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close every connection (a held reply is abandoned) and join every thread."""
        if self._listener is None:
            return
        assert self._address is not None and self._wake is not None
        deadline = vclock.real_monotonic() + timeout
        self._stopping.set()
        vclock.listener_stopped(self._address)
        try:
            self._wake[1].send(b"x")
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(timeout)
        with self._connections_lock:
            connections = list(self._connections.items())
        for slot, _ in connections:
            try:
                socket.socket.shutdown(slot.sock, socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass
        for _, thread in connections:
            thread.join(max(0.0, deadline - vclock.real_monotonic()))
        for sock in (self._listener, *self._wake):
            sock.close()
        self._listener = None
        self._address = None
        self._wake = None
        self._thread = None

    @property
    def running(self) -> bool:
        return self._listener is not None

    def __enter__(self) -> Any:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------
    def _accept_loop(self) -> None:
        listener, wake = self._listener, self._wake
        assert listener is not None and wake is not None
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            selector.register(wake[0], selectors.EVENT_READ)
            while not self._stopping.is_set():
                try:
                    ready = [key.fileobj for key, _ in selector.select()]
                except (OSError, ValueError):
                    return
                if wake[0] in ready or self._stopping.is_set():
                    return
                self._accept(listener)

    def _accept(self, listener: socket.socket) -> None:
        try:
            sock, client = listener.accept()
        except OSError:
            return
        slot = _Slot(sock)
        with self._connections_lock:
            if len(self._connections) >= self.max_connections:
                thread = None
            else:
                thread = threading.Thread(target=self._serve, args=(slot, client), daemon=True,
                                          name=f"{self.name} connection {client[0]}:{client[1]}")
                self._connections[slot] = thread
        if thread is None:
            self._refuse(sock)
        else:
            thread.start()

    def _refuse(self, sock: socket.socket) -> None:
        log.warning("%s: more than %d connections at once; refusing one", self.name, self.max_connections)
        try:
            if self._ssl_context is None:
                sock.settimeout(1.0)
                sock.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
                             b"Connection: close\r\n\r\ntoo many connections")
        except OSError:
            pass
        finally:
            sock.close()

    def _serve(self, slot: _Slot, client: tuple[Any, ...]) -> None:
        try:
            slot.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._ssl_context is not None:
                slot.sock.settimeout(self.request_timeout)
                slot.sock = self._ssl_context.wrap_socket(slot.sock, server_side=True)
            if not self._stopping.is_set():
                _Connection(self, slot.sock, client).serve()
        except (OSError, ssl.SSLError):
            # Client-side disconnects and TLS handshakes a client abandons are normal here.
            log.debug("%s: connection error from %s", self.name, client, exc_info=True)
        finally:
            try:
                slot.sock.close()
            finally:
                with self._connections_lock:
                    self._connections.pop(slot, None)

    # -- address ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._address is None:
            raise RuntimeError(f"{self.name} is not running; call start() or use it in a with block")
        return int(self._address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl_context is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    # -- errors ----------------------------------------------------------------------
    def _record_error(self, request: HttpRequest, exc: BaseException) -> None:
        log.exception("%s failed on %s %s", self.name, request.method, request.raw_path)
        with self._errors_lock:
            self._errors.append(ServerError(self.name, f"{request.method} {request.raw_path}", repr(exc)))

    def check(self) -> None:
        """Raise the first error that happened inside the server since the last reset."""
        with self._errors_lock:
            errors, self._errors = self._errors, []
        if errors:
            raise errors[0]

    def handle(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError
