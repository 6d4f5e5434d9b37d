"""The fakes on the wire, beside a floor measured in the same run.

The floor is a bare stdlib server (``ThreadingHTTPServer``, ``TCP_NODELAY``) that answers each
request with the very bytes the fake answered it with, read from the fake first: what any
server must cost. The fakes also parse, verify SigV4 against the ledger, attribute and record.

* boto3 ``converse`` (SigV4) over HTTP and over HTTPS, median ms per call;
* one kept-alive ``http.client`` connection replaying one signed ``converse``: requests per
  second (the fake verifies the signature every time);
* botocore's instance-role fetch from ``FakeImds`` (PUT token, GET role, GET credentials).

Not a test; loopback only.  ``python bench/bench_wire.py [--calls 200] [--rounds 5]``
"""

from __future__ import annotations

import http.client
import socket
import ssl
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import botocore.session
from _timing import Figure, bench_main, interleaved_ms
from botocore.config import Config

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.ledger import Ledger
from pytest_bedrock_creds.servers.bedrock import FakeBedrock
from pytest_bedrock_creds.servers.imds import FakeImds

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]
CONFIG = Config(retries={"total_max_attempts": 1})
FLOOR = "floor: bare stdlib server, TCP_NODELAY, same bytes"


class _FloorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _FloorServer

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        replies = self.server.replies
        self.wfile.write(replies.get((self.command, self.path.split("?")[0])) or replies[("*", "*")])

    do_GET = do_PUT = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class _FloorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, replies: dict[tuple[str, str], bytes], tls: ssl.SSLContext | None) -> None:
        self.replies = replies
        self.tls = tls
        super().__init__(("127.0.0.1", 0), _FloorHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True)
        return sock, address


@contextmanager
def floor(replies: dict[tuple[str, str], bytes], tls: ssl.SSLContext | None = None) -> Iterator[str]:
    server = _FloorServer(replies, tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def raw_reply(url: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """Send one request over a fresh plain-HTTP connection and return the reply's exact bytes."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        length = next(int(v) for k, _, v in (h.partition(b":") for h in head.split(b"\r\n")[1:])
                      if k.strip().lower() == b"content-length")
        while len(rest) < length:
            rest += sock.recv(65536)
    return head + b"\r\n\r\n" + rest[:length]


def _replayer(url: str, method: str, path: str, headers: dict[str, str], body: bytes) -> Callable[[], None]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)

    def once() -> None:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"replay answered {response.status}")

    return once


def _rate(call: Callable[[], None], seconds: float) -> tuple[float, float]:
    """Calls per wall-clock second, and per second of process CPU (all threads)."""
    call()
    done, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        call()
        done += 1
    return done / (time.perf_counter() - start), done / (time.process_time() - cpu)


def measure(calls: int = 200, rounds: int = 5) -> list[Figure]:
    figures: list[Figure] = []
    ledger = Ledger()
    with AwsEnv(ledger=ledger) as env, FakeBedrock(ledger=ledger) as fake:
        env.static_keys()
        http_client = boto3.client("bedrock-runtime", endpoint_url=fake.http_url, config=CONFIG)
        http_client.converse(modelId=MODEL, messages=MESSAGES)
        signed = fake.requests[-1]
        headers = {k: v for k, v in signed.headers if k.lower() not in ("content-length", "host")}
        headers["Host"] = fake.http_url.removeprefix("http://")
        reply = raw_reply(fake.http_url, signed.method, signed.raw_path, headers, signed.body)
        assert b" 200 " in reply.split(b"\r\n", 1)[0], reply[:200]
        tls = fake._tls.server_context() if fake._tls else None  # the fake's own certificate
        with floor({("*", "*"): reply}) as floor_http, floor({("*", "*"): reply}, tls) as floor_https:
            clients = {
                "http": http_client,
                "https": boto3.client("bedrock-runtime", endpoint_url=fake.url, verify=fake.ca_bundle, config=CONFIG),
                "floor http": boto3.client("bedrock-runtime", endpoint_url=floor_http, config=CONFIG),
                "floor https": boto3.client("bedrock-runtime", endpoint_url=floor_https, verify=fake.ca_bundle,
                                            config=CONFIG),
            }
            converse = {name: (lambda c=client: c.converse(modelId=MODEL, messages=MESSAGES))
                        for name, client in clients.items()}
            medians = interleaved_ms(converse, calls // 5 or 1, rounds * 5)
            for kind, goal in (("http", "≤ 1.15x"), ("https", "≤ 1.25x")):
                what = f"boto3 converse over {kind.upper()} (SigV4 verified)"
                figures.append(Figure(what, medians[kind][0], "ms", FLOOR, medians[f"floor {kind}"][0], goal))
                figures.append(Figure(f"{what}, process CPU", medians[kind][1], "ms", FLOOR,
                                      medians[f"floor {kind}"][1], goal))
            ours = _replayer(fake.http_url, signed.method, signed.raw_path, headers, signed.body)
            theirs = _replayer(floor_http, signed.method, signed.raw_path, headers, signed.body)
            ours_rates, floor_rates = [], []
            for _ in range(rounds * 10):  # short turns, so both meet the same machine
                ours_rates.append(_rate(ours, 0.05))
                floor_rates.append(_rate(theirs, 0.05))
            fake.reset()
            ours()
            assert fake.requests[-1].auth.signature_valid, "the replayed request did not verify"
            for column, what in ((0, ""), (1, ", per CPU second")):
                figures.append(Figure(f"one connection replaying a signed converse (verified){what}",
                                      statistics.median(r[column] for r in ours_rates), "req/s", FLOOR,
                                      statistics.median(r[column] for r in floor_rates), "≤ 1.5x",
                                      higher_is_better=True))
        fake.reset()

    with AwsEnv(ledger=ledger) as env, FakeImds(ledger=ledger) as imds:
        imds.add_role("bench-role")
        env.attach(imds)
        env.set(AWS_METADATA_SERVICE_TIMEOUT="5")  # a loaded machine must not turn a slow reply into no credentials
        token_reply = raw_reply(imds.url, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
        token = token_reply.rpartition(b"\r\n\r\n")[2].decode()
        base = "/latest/meta-data/iam/security-credentials/"
        auth = {"X-aws-ec2-metadata-token": token}
        replies = {
            ("PUT", "/latest/api/token"): token_reply,
            ("GET", base): raw_reply(imds.url, "GET", base, auth),
            ("GET", base + "bench-role"): raw_reply(imds.url, "GET", base + "bench-role", auth),
        }
        replies[("*", "*")] = replies[("GET", base + "bench-role")]

        def fetch() -> None:
            creds = botocore.session.Session().get_credentials()
            assert creds is not None and creds.method == "iam-role", "no instance-role credentials"

        with floor(replies) as floor_url:
            def from_floor() -> None:
                env.set(AWS_EC2_METADATA_SERVICE_ENDPOINT=floor_url + "/")
                fetch()

            def from_fake() -> None:
                env.set(AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url + "/")
                fetch()

            medians = interleaved_ms({"fake": from_fake, "floor": from_floor}, max(1, calls // 20), rounds * 4)
        figures.append(Figure("botocore instance-role fetch from FakeImds", medians["fake"][0], "ms", FLOOR,
                              medians["floor"][0]))
        figures.append(Figure("botocore instance-role fetch from FakeImds, process CPU", medians["fake"][1], "ms",
                              FLOOR, medians["floor"][1]))
    return figures


if __name__ == "__main__":
    bench_main(__doc__, measure, "the fakes on the wire (medians; ratio = our cost / the floor's; {rounds} rounds)",
               calls=(200, 5, 5000), rounds=(5, 1, 50))
