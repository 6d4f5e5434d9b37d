"""A loopback HTTP(S) server base shared by every fake.

Each fake subclasses :class:`LoopbackServer` and implements :meth:`LoopbackServer.handle`,
which takes our own :class:`HttpRequest` and returns an :class:`HttpResponse`. The base owns
the sockets and threads, so the rules live in one place:

* binds ``127.0.0.1`` (or ``::1``) on port 0 inside :meth:`start`, serves on daemon threads,
  and :meth:`stop` joins with a timeout;
* sets ``TCP_NODELAY`` on accepted sockets and writes head and body in one ``sendall``,
  avoiding the 40 ms Nagle/delayed-ACK stall on kept-alive connections;
* an exception inside ``handle`` never vanishes: the client gets a 500, and
  :meth:`check` raises :class:`ServerError` naming the request that caused it;
* malformed HTTP gets a 400 and the server keeps serving.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pytest_bedrock_creds.redact import hidden_from_diffs

__all__ = ["HttpRequest", "HttpResponse", "LoopbackServer", "ServerError", "header_value"]

log = logging.getLogger("pytest_bedrock_creds.servers")

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


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
        return header_value(self.headers, name, default)

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

    ``hang`` keeps the connection open without answering for that many seconds;
    ``reset`` closes the connection abruptly instead of answering.
    """

    status: int
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    reset: bool = False


class ServerError(AssertionError):
    """Raised by :meth:`LoopbackServer.check` for an exception inside a fake's handler."""

    def __init__(self, server: str, request: str, error: str) -> None:
        super().__init__(f"{server}: error while handling {request}: {error}")
        self.server = server
        self.request = request
        self.error = error

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across xdist workers
        return (type(self), (self.server, self.request, self.error))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, owner: LoopbackServer, host: str, ssl_context: ssl.SSLContext | None) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.owner = owner
        self.ssl_context = ssl_context
        super().__init__((host, 0), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Client-side disconnects and TLS handshakes a client abandons are normal here.
        log.debug("connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.settimeout(10)
            try:
                self.connection.do_handshake()
            except (OSError, ssl.SSLError):
                log.debug("TLS handshake failed", exc_info=True)
                raise

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.server.owner.name, format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed request line or headers: answer 400 in one write and keep serving.
        body = (message or "Bad Request").encode()
        self._write(HttpResponse(code, body, {"Content-Type": "text/plain"}), close=True)

    def _dispatch(self) -> None:
        owner = self.server.owner
        length_header = self.headers.get("Content-Length")
        body = b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        elif length_header:
            try:
                length = int(length_header)
            except ValueError:
                self.send_error(400, f"invalid Content-Length {length_header!r}")
                return
            body = self.rfile.read(length)
        request = HttpRequest(
            method=self.command,
            raw_path=self.path,
            headers=tuple(self.headers.items()),
            body=body,
            client=str(self.client_address[0]),
        )
        try:
            response = owner.handle(request)
        except Exception as exc:  # noqa: BLE001 - reported through check()
            owner._record_error(request, exc)
            response = HttpResponse(500, b"internal error in fake server; call .check() for details")
        if response.reset:
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            self.connection.close()
            return
        if response.hang:
            deadline = time.monotonic() + response.hang
            while time.monotonic() < deadline and not owner._stopping.is_set():
                owner._stopping.wait(0.05)
            self.close_connection = True
            return
        self._write(response)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _write(self, response: HttpResponse, close: bool = False) -> None:
        phrase = self.responses.get(response.status, ("",))[0]
        head = [f"HTTP/1.1 {response.status} {phrase}"]
        headers = dict(response.headers)
        streamed = not isinstance(response.body, bytes | bytearray)
        if streamed:
            headers["Transfer-Encoding"] = "chunked"
        else:
            assert isinstance(response.body, bytes | bytearray)
            headers.setdefault("Content-Length", str(len(response.body)))
        if close:
            headers["Connection"] = "close"
            self.close_connection = True
        headers.setdefault("Date", self.date_time_string())
        head.extend(f"{k}: {v}" for k, v in headers.items())
        raw_head = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if not streamed:
            assert isinstance(response.body, bytes | bytearray)
            self.wfile.write(raw_head + bytes(response.body))  # one write: no Nagle stall
            return
        self.wfile.write(raw_head)
        assert not isinstance(response.body, bytes | bytearray)
        for chunk in _iter(response.body):
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _dispatch


def _iter(body: Iterable[bytes]) -> Iterator[bytes]:
    yield from body


class LoopbackServer:
    """Base of every fake: subclass and implement :meth:`handle`.

    Usable without pytest::

        with FakeSomething() as fake:
            ... fake.url ...
    """

    name = "loopback server"

    def __init__(self, *, host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None) -> None:
        if host not in _LOOPBACK:
            raise ValueError(f"fake servers bind loopback only (127.0.0.1 or ::1), not {host!r}")
        self.host = "127.0.0.1" if host == "localhost" else host
        self._ssl_context = ssl_context
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._errors: list[ServerError] = []
        self._errors_lock = threading.Lock()
        self._stopping = threading.Event()

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError(f"{self.name} is already running at {self.url}")
        self._stopping.clear()
        self._server = _Server(self, self.host, self._ssl_context)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name=self.name, daemon=True
        )
        self._thread.start()
        log.debug("%s listening on %s", self.name, self.url)

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout)
        self._server = None
        self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> Any:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- address ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self.name} is not running; call start() or use it in a with block")
        return int(self._server.server_address[1])

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
