"""The loopback server base under hostile and careless clients: idle and trickling
connections, stop() with connections open, bad framing. Raw sockets, so nothing in a client
library smooths over what the server does."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse, LoopbackServer

#: How long a client here waits for the server before the test fails (a bound, not a timing claim).
PATIENCE = 10.0


class Echo(LoopbackServer):
    name = "echo server"

    def start(self) -> None:
        self.threads_before = set(threading.enumerate())
        super().start()
        self.threads_before |= set(threading.enumerate())  # with the thread that accepts

    def handle(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/boom":
            raise RuntimeError("boom")
        return HttpResponse(200, request.body or b"ok", {"Content-Type": "text/plain"})


@pytest.fixture
def echo() -> Iterator[Echo]:
    server = Echo()
    server.idle_timeout = 0.2
    server.request_timeout = 0.5
    with server:
        yield server


def connect(server: LoopbackServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE)
    return sock


def read_reply(sock: socket.socket) -> bytes:
    """One whole reply (head and Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    length = lengths[0] if lengths else 0
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def ask(server: LoopbackServer, raw: bytes) -> bytes:
    with connect(server) as sock:
        sock.sendall(raw)
        return read_reply(sock)


def status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def serving(server: LoopbackServer) -> bool:
    return ask(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").endswith(b"\r\n\r\nok")


def connection_threads(server: Echo) -> list[threading.Thread]:
    """Threads started since the server started: the ones serving its connections."""
    return [t for t in threading.enumerate() if t not in server.threads_before]


def wait_until(condition: object) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


# -- idle and trickling connections ---------------------------------------------------------------------


def test_an_idle_kept_alive_connection_is_closed(echo: Echo) -> None:
    with connect(echo) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_reply(sock).endswith(b"ok")
        assert sock.recv(1) == b""  # the server closed it after idle_timeout (before: never, the recv timed out)
    wait_until(lambda: not connection_threads(echo))
    assert connection_threads(echo) == []


def test_a_connection_that_never_sends_is_closed(echo: Echo) -> None:
    with connect(echo) as sock:
        assert sock.recv(1) == b""


def test_slowloris_gets_408_and_frees_its_thread(echo: Echo) -> None:
    """Each connection trickles a request head one byte at a time, faster than idle_timeout:
    only the whole-request deadline stops it. (Timeouts wide enough that a loaded machine
    cannot turn the trickle into idleness.)"""
    echo.idle_timeout, echo.request_timeout = 3.0, 1.5
    socks = [connect(echo) for _ in range(40)]
    try:
        wait_until(lambda: len(connection_threads(echo)) == 40)
        assert len(connection_threads(echo)) == 40
        replies = {id(s): b"" for s in socks}
        for byte in b"GET / HTTP/1.1\r\nX-Slow: " + b"a" * 200:
            for sock in socks:
                if not replies[id(sock)]:
                    try:
                        sock.sendall(bytes([byte]))
                    except OSError:  # the server answered and closed
                        replies[id(sock)] = read_reply(sock)
            if all(replies.values()):
                break
            time.sleep(0.05)
        for sock in socks:
            replies[id(sock)] = replies[id(sock)] or read_reply(sock)
        assert {status(reply) for reply in replies.values()} == {408}
    finally:
        for sock in socks:
            sock.close()
    wait_until(lambda: not connection_threads(echo))
    assert connection_threads(echo) == []
    assert serving(echo)


def test_connections_over_the_limit_are_refused_with_503() -> None:
    server = Echo()
    server.max_connections = 3
    with server:
        held = [connect(server) for _ in range(3)]
        try:
            wait_until(lambda: len(connection_threads(server)) == 3)
            assert status(ask(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")) == 503
        finally:
            for sock in held:
                sock.close()
        wait_until(lambda: not connection_threads(server))
        assert serving(server)


def test_stop_closes_open_connections_and_joins_their_threads() -> None:
    server = Echo()
    server.start()
    socks = []
    try:
        for _ in range(20):
            sock = connect(server)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_reply(sock).endswith(b"ok")
            socks.append(sock)
        assert len(connection_threads(server)) == 20
        server.stop()
        assert connection_threads(server) == []  # before: every kept-alive handler outlived stop()
        assert all(sock.recv(1) == b"" for sock in socks)
    finally:
        server.stop()
        for sock in socks:
            sock.close()


class Hanging(Echo):
    """Holds every reply back (a hop-limit IMDS); ``asked`` is set once a request arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = threading.Event()

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.asked.set()
        return HttpResponse(200, hang=600)


def test_stop_releases_a_hung_reply() -> None:
    server = Hanging()
    server.start()
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert server.asked.wait(PATIENCE)
        server.stop()
        assert connection_threads(server) == []
        assert sock.recv(1) == b""


def test_a_hung_reply_ends_when_the_client_gives_up() -> None:
    with Hanging() as server:
        sock = connect(server)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert server.asked.wait(PATIENCE)
        sock.close()
        wait_until(lambda: not connection_threads(server))
        assert connection_threads(server) == []


# -- framing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        (b"Content-Length: -1", b"", 400),
        (b"Content-Length: +5", b"hello", 400),
        (b"Content-Length: 0x10", b"", 400),
        (b"Content-Length: five", b"", 400),
        (b"Content-Length: 99999999999999999999999999", b"", 413),
        (b"Content-Length: 67108865", b"", 413),
        (b"Content-Length: 2\r\nContent-Length: 3", b"abc", 400),
        (b"Content-Length: 2, 3", b"abc", 400),
        (b"Content-Length: 3\r\nTransfer-Encoding: chunked", b"3\r\nabc\r\n0\r\n\r\n", 400),
        (b"Transfer-Encoding: gzip", b"", 400),
        (b"Transfer-Encoding: gzip, chunked", b"", 501),
        (b"Transfer-Encoding: chunked", b"zz\r\nabc\r\n0\r\n\r\n", 400),
        (b"Transfer-Encoding: chunked", b"-5\r\nabc\r\n0\r\n\r\n", 400),
        (b"Transfer-Encoding: chunked", b"\r\nabc\r\n0\r\n\r\n", 400),
        (b"Transfer-Encoding: chunked", b"ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n", 413),
        (b"Transfer-Encoding: chunked", b"3\r\nabcXY0\r\n\r\n", 400),
        (b"Bad Header: x", b"", 400),
        (b" folded: x", b"", 400),
        (b"NoColon", b"", 400),
    ],
)
def test_bad_framing_gets_a_4xx_and_the_server_keeps_serving(
    echo: Echo, head: bytes, body: bytes, expected: int
) -> None:
    reply = ask(echo, b"POST /x HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n\r\n" + body)
    assert status(reply) == expected, reply
    assert b"Connection: close" in reply
    assert serving(echo)


@pytest.mark.parametrize(
    ("request_line", "expected"),
    [(b"GET /", 400), (b"GET / HTTP/1.1 extra", 400), (b"G(T / HTTP/1.1", 400), (b"GET / HTTP/2.0", 505),
     (b"BREW / HTTP/1.1", 501), (b"GET / FTP/1.0", 400)],
)
def test_bad_request_lines(echo: Echo, request_line: bytes, expected: int) -> None:
    assert status(ask(echo, request_line + b"\r\nHost: x\r\n\r\n")) == expected
    assert serving(echo)


def test_chunked_body_with_extensions_and_trailers(echo: Echo) -> None:
    body = b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n"
    assert ask(echo, b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body).endswith(b"abcde")


def test_expect_100_continue(echo: Echo) -> None:
    with connect(echo) as sock:
        sock.sendall(b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello")
        assert read_reply(sock).endswith(b"\r\n\r\nhello")


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_pipelined_requests_are_answered_in_order(echo: Echo) -> None:
    with connect(echo) as sock:
        sock.sendall(b"POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
                     b"POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\ntwo")
        first, second = read_until_closed(sock).split(b"HTTP/1.1 ")[1:]
        assert first.endswith(b"\r\n\r\none") and second.endswith(b"\r\n\r\ntwo")
        assert b"Connection: close" in second


def test_head_gets_no_body_and_http_1_0_closes(echo: Echo) -> None:
    with connect(echo) as sock:
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.0\r\n\r\n")
        head, get = read_until_closed(sock).split(b"HTTP/1.1 ")[1:]
        assert b"Content-Length: 2" in head and head.endswith(b"\r\n\r\n")
        assert get.endswith(b"\r\n\r\nok")


def test_an_error_in_the_handler_is_a_500_and_check_names_it(echo: Echo) -> None:
    assert status(ask(echo, b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")) == 500
    with pytest.raises(AssertionError, match=r"echo server: error while handling GET /boom: RuntimeError\('boom'\)"):
        echo.check()
    assert serving(echo)


def test_a_refused_header_line_is_not_echoed(echo: Echo) -> None:
    """A malformed header may carry a secret: the 400 names the line, never its content."""
    reply = ask(echo, b"GET / HTTP/1.1\r\nHost: x\r\nX-Amz-Security-Token : IQoJb3JpZ2luX2VjSECRET\r\n\r\n")
    assert status(reply) == 400 and b"line 3" in reply
    assert b"SECRET" not in reply
