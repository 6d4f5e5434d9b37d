"""ResponsesImds: the same IMDS model, served through ``responses`` with sockets blocked."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

requests = pytest.importorskip("requests")
responses = pytest.importorskip("responses")

from pytest_bedrock_creds.servers.base import ServerError  # noqa: E402
from pytest_bedrock_creds.servers.imds import FakeImds  # noqa: E402
from pytest_bedrock_creds.servers.imds.responses import ResponsesImds  # noqa: E402

CREDS = "/latest/meta-data/iam/security-credentials"
TTL = {"X-aws-ec2-metadata-token-ttl-seconds": "21600"}


class _SocketBlocked(AssertionError):
    pass


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """What pytest-socket does: any attempt to open a socket fails the test."""

    def blocked(*args: Any, **kwargs: Any) -> socket.socket:
        raise _SocketBlocked("a socket was opened")

    monkeypatch.setattr(socket, "socket", blocked)
    monkeypatch.setattr(socket, "create_connection", blocked)


@pytest.fixture
def imds(no_sockets: None) -> Iterator[ResponsesImds]:
    with ResponsesImds() as fake:  # the real address: only reachable through the mock
        yield fake
        fake.check()


def v2_get(fake: ResponsesImds | FakeImds, path: str) -> requests.Response:
    token = requests.put(fake.url + "/latest/api/token", headers=TTL, timeout=5).text
    return requests.get(fake.url + path, headers={"X-aws-ec2-metadata-token": token}, timeout=5)


def test_token_flow_without_a_socket(imds: ResponsesImds) -> None:
    issued = imds.add_role("app-role")
    assert imds.url == "http://169.254.169.254"
    assert v2_get(imds, CREDS).text == "app-role"
    doc = v2_get(imds, CREDS + "/app-role").json()
    assert doc["AccessKeyId"] == issued.access_key_id
    assert issued.source == "imds:app-role"
    assert [(r.method, r.status, r.version) for r in imds.requests] == [
        ("PUT", 200, "v2"),
        ("GET", 200, "v2"),
        ("PUT", 200, "v2"),
        ("GET", 200, "v2"),
    ]


def test_v2_required_and_v1_enabled(imds: ResponsesImds) -> None:
    imds.add_role("app-role")
    assert requests.get(imds.url + CREDS, timeout=5).status_code == 401
    imds.v1_enabled = True
    response = requests.get(imds.url + CREDS + "/", timeout=5)
    assert (response.status_code, response.text) == (200, "app-role")
    assert imds.requests[-1].version == "v1"


def test_faults(imds: ResponsesImds) -> None:
    imds.add_role("app-role")
    imds.hang(times=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.put(imds.url + "/latest/api/token", headers=TTL, timeout=5)
    imds.reset_connection(target="role-list", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        v2_get(imds, CREDS)
    imds.fail("credentials", status=500, times=1)
    assert v2_get(imds, CREDS + "/app-role").status_code == 500
    imds.malformed_json(times=1)
    with pytest.raises(json.JSONDecodeError):
        json.loads(v2_get(imds, CREDS + "/app-role").text)
    assert [r.fault for r in imds.requests if r.fault] == [
        "hang on token",
        "reset on role-list",
        "status 500 on credentials",
        "malformed on credentials",
    ]


def test_check_reports_errors_inside_the_model(imds: ResponsesImds, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(path: str) -> bytes:
        raise RuntimeError("lookup exploded")

    monkeypatch.setattr(imds.model, "_lookup", boom)
    assert v2_get(imds, "/latest/meta-data/placement/region").status_code == 500
    with pytest.raises(ServerError, match="lookup exploded"):
        imds.check()


def test_unmatched_hosts_are_not_reached(imds: ResponsesImds) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("http://169.254.170.2/v2/credentials/x", timeout=5)


def test_bad_url_is_refused() -> None:
    with pytest.raises(ValueError, match="url"):
        ResponsesImds(url="http://169.254.169.254/latest")


def test_registers_on_a_users_mock(no_sockets: None) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, "http://example.invalid/other", body="theirs")
        fake = ResponsesImds(mock=mock)
        fake.start()
        fake.add_role("app-role")
        assert v2_get(fake, CREDS).text == "app-role"
        assert requests.get("http://example.invalid/other", timeout=5).text == "theirs"
        fake.stop()


def _script(fake: ResponsesImds | FakeImds) -> list[tuple[int, str]]:
    """The same conversation, run against either transport."""
    fake.add_role("app-role")
    out = []
    plain = requests.get(fake.url + CREDS, timeout=5)
    out.append((plain.status_code, plain.text))
    bad_ttl = requests.put(fake.url + "/latest/api/token", headers={TTL_NAME: "0"}, timeout=5)
    out.append((bad_ttl.status_code, ""))
    forwarded = requests.put(fake.url + "/latest/api/token", headers={**TTL, "X-Forwarded-For": "1.2.3.4"}, timeout=5)
    out.append((forwarded.status_code, ""))
    for path in (CREDS, CREDS + "/", "/latest/meta-data/placement/region", "/latest/meta-data/nope"):
        got = v2_get(fake, path)
        out.append((got.status_code, got.text if got.status_code == 200 else ""))
    out.append((requests.post(fake.url + CREDS, timeout=5).status_code, ""))
    return out


TTL_NAME = "X-aws-ec2-metadata-token-ttl-seconds"


def test_one_model_two_transports(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with FakeImds() as server:
        over_http = _script(server)
        http_records = [(r.method, r.path, r.status, r.version) for r in server.requests]
    with ResponsesImds(url="http://imds.invalid") as socketless:
        over_responses = _script(socketless)
        socketless_records = [(r.method, r.path, r.status, r.version) for r in socketless.requests]
    assert over_http == over_responses
    assert http_records == socketless_records
    assert [status for status, _ in over_http] == [401, 400, 403, 200, 200, 200, 404, 405]
