"""The suite's guard really blocks the real metadata services and AWS endpoints, and a blocked
attempt fails the test that made it and the run, serial and under xdist."""

from __future__ import annotations

import socket

import pytest

from pytest_bedrock_creds.guard import BLOCKED, RealNetworkAccess, blocked_reason, expect_blocked, installed


def test_the_suite_runs_with_the_guard_installed() -> None:
    assert installed()


@pytest.mark.parametrize(
    "address",
    [("169.254.169.254", 80), ("169.254.170.2", 80), ("169.254.170.23", 80), ("10.1.2.3", 443)],
)
def test_connect_outside_loopback_is_blocked(address: tuple[str, int]) -> None:
    before = len(BLOCKED)
    sock = socket.socket()
    try:
        with expect_blocked(), pytest.raises(RealNetworkAccess):
            sock.connect(address)
    finally:
        sock.close()
    assert len(BLOCKED) == before, "expected attempts are not recorded"


@pytest.mark.parametrize("address", ["fd00:ec2::254", "fd00:ec2::23"])
def test_connect_to_the_ipv6_metadata_addresses_is_blocked(address: str) -> None:
    sock = socket.socket(socket.AF_INET6)
    try:
        with expect_blocked(), pytest.raises(RealNetworkAccess):
            sock.connect((address, 80))
    finally:
        sock.close()


@pytest.mark.parametrize(
    "name",
    ["bedrock-runtime.us-east-1.amazonaws.com", "bedrock-runtime.us-east-1.amazonaws.com.",
     "BEDROCK-Runtime.US-EAST-1.AmazonAWS.com", "sts.cn-north-1.amazonaws.com.cn", "bedrock-runtime.us-east-1.api.aws",
     "amazonaws.com", "instance-data", "instance-data.", "169.254.169.254", "169.254.170.23", "fd00:ec2::23",
     "fd00:ec2::254", "[fd00:ec2::254]"],
)
def test_lookups_of_aws_and_metadata_names_are_blocked(name: str) -> None:
    with expect_blocked(), pytest.raises(RealNetworkAccess):
        socket.getaddrinfo(name, 443)
    with expect_blocked(), pytest.raises(RealNetworkAccess):
        socket.gethostbyname(name.strip("[]"))


@pytest.mark.parametrize("address", ["169.254.169.254", "169.254.170.2"])
def test_udp_to_the_metadata_addresses_is_blocked(address: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with expect_blocked(), pytest.raises(RealNetworkAccess):
            sock.sendto(b"x", (address, 53))
    finally:
        sock.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_and_ordinary_lookups_are_allowed(host: str) -> None:
    assert blocked_reason(host, lookup=False) is None
    assert blocked_reason("example.org", lookup=True) is None
    assert blocked_reason("notamazonaws.com", lookup=True) is None


def test_loopback_is_allowed() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket()
    try:
        client.connect(server.getsockname())
    finally:
        client.close()
        server.close()


def test_unix_sockets_are_not_the_network(tmp_path: pytest.TempPathFactory) -> None:
    path = str(tmp_path / "s")  # type: ignore[operator]
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(1)
    client = socket.socket(socket.AF_UNIX)
    try:
        client.connect(path)
    finally:
        client.close()
        server.close()


SWALLOWS = """\
import socket

def _try(address):
    sock = socket.socket()
    try:
        sock.connect(address)
    except OSError:
        pass  # as botocore's IMDS fetcher does
    finally:
        sock.close()

def test_clean():
    pass

def test_swallows_two():
    _try(("169.254.169.254", 80))
    _try(("169.254.170.2", 80))

def test_swallows_one():
    try:
        socket.getaddrinfo("bedrock-runtime.us-east-1.amazonaws.com.", 443)
    except OSError:
        pass
"""


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_swallowed_attempt_fails_its_test_and_the_run(pytester: pytest.Pytester, workers: tuple[str, ...]) -> None:
    pytester.makepyfile(test_swallow=SWALLOWS)
    result = pytester.runpytest_subprocess("--bedrock-network-guard", "-p", "no:cacheprovider", "-p", "no:randomly",
                                           *workers)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(["*3 attempt(s) to leave loopback were blocked, made by 2 test(s):*"])
    for line in ("*test_swallow.py::test_swallows_two: connect ('169.254.169.254', 80)",
                 "*test_swallow.py::test_swallows_two: connect ('169.254.170.2', 80)",
                 "*test_swallow.py::test_swallows_one: getaddrinfo 'bedrock-runtime.us-east-1.amazonaws.com.'",
                 "FAILED *test_swallows_two*", "FAILED *test_swallows_one*"):
        result.stdout.fnmatch_lines([line])
    assert "test_clean: " not in out
    assert out.strip().splitlines()[-1].startswith("=") and "2 failed" in out.strip().splitlines()[-1]


def test_an_attempt_outside_any_test_fails_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import socket\n"
        "def pytest_sessionstart(session):\n"
        "    try:\n"
        "        socket.getaddrinfo('instance-data', 80)\n"
        "    except OSError:\n"
        "        pass\n"
    )
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    result = pytester.runpytest_subprocess("--bedrock-network-guard", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*1 attempt(s) to leave loopback were blocked, made by 0 test(s) and outside any*",
                                 "*(outside any test): getaddrinfo 'instance-data'*",
                                 "ERROR bedrock-creds network guard*",
                                 "*1 passed, 1 error*"])
