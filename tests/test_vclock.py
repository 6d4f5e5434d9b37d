"""The virtual clock: sleeps and waits on the fakes cost no real time, with the outcomes of real time.

No test here times anything: each proves that the wait happened on the clock (it is listed in
``clock.sleeps``/``clock.waits`` and ``clock.elapsed`` moved by it), that the outcome is the one
real time gives, and that everything is put back exactly afterwards.
"""

from __future__ import annotations

import asyncio
import http.client
import importlib
import selectors
import socket
import ssl
import sys
import threading
import time
from pathlib import Path

import botocore.session
import botocore.utils
import pytest
from botocore.config import Config
from botocore.exceptions import CredentialRetrievalError

from pytest_bedrock_creds import vclock
from pytest_bedrock_creds.chain import resolve
from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.servers.bedrock import FakeBedrock
from pytest_bedrock_creds.servers.container import FakeContainerCredentials
from pytest_bedrock_creds.servers.imds import FakeImds
from pytest_bedrock_creds.vclock import VirtualClock, current_clock, virtual_clock

pytest_plugins = ["pytester"]


def get_credentials() -> object:
    return botocore.session.Session().get_credentials()


# -- the clock itself -----------------------------------------------------------------------------------


def test_sleeps_move_the_clock_not_the_thread() -> None:
    with virtual_clock() as clock:
        before = time.monotonic(), time.time()
        time.sleep(30)
        time.sleep(0.5)
        after = time.monotonic(), time.time()
    assert clock.sleeps == (30, 0.5)
    assert clock.elapsed == 30.5
    assert after[0] - before[0] >= 30.5 and after[1] - before[1] >= 30.5


def test_sleep_keeps_its_errors() -> None:
    with virtual_clock() as clock, pytest.raises(ValueError, match="non-negative"):
        time.sleep(-1)
    assert clock.sleeps == ()


def test_asyncio_sleep_in_tasks_started_on_the_clock() -> None:
    async def backoff() -> str:
        await asyncio.sleep(2)
        await asyncio.gather(asyncio.sleep(1), asyncio.sleep(4))
        await asyncio.sleep(0)  # still just a yield
        return "done"

    with virtual_clock() as clock:
        assert asyncio.run(backoff()) == "done"
    assert sorted(clock.sleeps) == [1, 2, 4]


def test_other_threads_keep_real_time() -> None:
    seen: list[VirtualClock | None] = []
    with virtual_clock():
        thread = threading.Thread(target=lambda: seen.append(current_clock()))
        thread.start()
        thread.join()
    assert seen == [None]
    assert current_clock() is None


def test_nested_clock_hands_its_time_to_the_outer_one() -> None:
    with virtual_clock() as outer:
        time.sleep(1)
        with virtual_clock() as inner:
            time.sleep(5)
        assert current_clock() is outer
    assert (inner.elapsed, outer.elapsed) == (5, 6)


def test_advance_by_hand() -> None:
    with virtual_clock() as clock:
        start = time.monotonic()
        clock.advance(3600)
        assert time.monotonic() - start >= 3600
    with pytest.raises(ValueError, match="finite non-negative"):
        clock.advance(-1)


def test_everything_is_put_back_exactly() -> None:
    originals = (time.sleep, time.time, time.time_ns, time.monotonic, time.monotonic_ns, asyncio.sleep)
    ssl_methods = (ssl.SSLSocket.recv, ssl.SSLSocket.recv_into)
    fetcher_defaults = botocore.utils.ContainerMetadataFetcher.__init__.__defaults__
    selector = selectors.DefaultSelector
    with virtual_clock():
        assert selectors.DefaultSelector is not selector
        assert time.sleep is not originals[0]
        assert "recv_into" in vars(socket.socket)
        assert botocore.utils.ContainerMetadataFetcher.__init__.__defaults__ != fetcher_defaults
    assert (time.sleep, time.time, time.time_ns, time.monotonic, time.monotonic_ns, asyncio.sleep) == originals
    assert "recv" not in vars(socket.socket) and "recv_into" not in vars(socket.socket)
    assert (ssl.SSLSocket.recv, ssl.SSLSocket.recv_into) == ssl_methods
    assert botocore.utils.ContainerMetadataFetcher.__init__.__defaults__ == fetcher_defaults
    assert fetcher_defaults is not None and time.sleep in fetcher_defaults
    assert selectors.DefaultSelector is selector


def test_a_module_first_imported_on_the_clock_gets_the_originals_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "binds_sleep_early.py").write_text("from time import monotonic, sleep\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with virtual_clock():
        module = importlib.import_module("binds_sleep_early")
        assert module.sleep is time.sleep and time.sleep is not vclock.real_sleep  # it bound the wrapper
    try:
        assert module.sleep is time.sleep and module.monotonic is time.monotonic
    finally:
        sys.modules.pop("binds_sleep_early", None)


# -- the SDKs' waits ------------------------------------------------------------------------------------


def test_botocore_container_retries_sleep_on_the_clock(fake_container_credentials: FakeContainerCredentials) -> None:
    fake_container_credentials.issue()
    fake_container_credentials.fail(status=500)
    with virtual_clock() as clock, pytest.raises(CredentialRetrievalError):
        get_credentials()
    assert clock.sleeps == (1, 1, 1)  # ContainerMetadataFetcher: 3 attempts, 1 s after each failure
    assert [r.status for r in fake_container_credentials.requests] == [500, 500, 500]


def test_botocore_container_hang_times_out_on_the_clock_then_retries(
    fake_container_credentials: FakeContainerCredentials,
) -> None:
    issued = fake_container_credentials.issue()
    fake_container_credentials.hang(times=1)
    with virtual_clock() as clock:
        creds = botocore.session.Session().get_credentials()
    assert creds.get_frozen_credentials().access_key == issued.access_key_id
    assert (clock.waits, clock.sleeps) == ((2,), (1,))  # its 2 s read timeout, then its 1 s pause
    assert [r.status for r in fake_container_credentials.requests] == [None, 200]


@pytest.mark.parametrize("v1_enabled", [False, True])
def test_imds_hop_limit_hang_times_out_on_the_clock(fake_imds: FakeImds, v1_enabled: bool) -> None:
    """The token PUT never answers: botocore gives up after its 1 s timeout and tries IMDSv1."""
    fake_imds.add_role("app-role")
    fake_imds.v1_enabled = v1_enabled
    fake_imds.hang(target="token")
    with virtual_clock() as clock:
        creds = get_credentials()
    assert (creds is not None) is v1_enabled
    assert clock.waits == (1,)
    assert [r.status for r in fake_imds.requests] == [None, 200, 200] if v1_enabled else [None, 401]


def test_imds_delay_shorter_than_the_timeout_is_ridden_out(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    fake_imds.delay(0.4)
    with virtual_clock() as clock:
        assert get_credentials() is not None
    assert clock.waits == (0.4, 0.4, 0.4)


def test_imds_delay_longer_than_the_timeout_times_out(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    fake_imds.delay(5, target="credentials")
    with virtual_clock() as clock:
        assert get_credentials() is None
    assert clock.waits == (1,)


def test_the_reference_chain_times_out_on_the_clock(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    fake_imds.v1_enabled = True
    fake_imds.hang(target="token")
    with virtual_clock() as clock:
        resolution = resolve()
    assert resolution.source == "imds:app-role"
    assert "IMDSv1" in resolution.explain()
    assert clock.waits == (1,)


async def _imds_token(url: str, timeout: float | None) -> bytes:
    """An asyncio client (the event loop's selector waits, no blocking read): PUT the IMDS token."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(b"PUT /latest/api/token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                     b"X-aws-ec2-metadata-token-ttl-seconds: 60\r\n\r\n")
        await writer.drain()
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    finally:
        writer.close()


def test_an_event_loop_rides_out_a_delay_shorter_than_its_timeout(fake_imds: FakeImds) -> None:
    fake_imds.delay(1.5, target="token")
    with virtual_clock() as clock:
        head = asyncio.run(_imds_token(fake_imds.url, 3))
    assert head.startswith(b"HTTP/1.1 200")
    assert clock.waits == (1.5,)


def test_an_event_loop_times_out_on_a_delay_longer_than_its_timeout(fake_imds: FakeImds) -> None:
    fake_imds.delay(5, target="token")
    with virtual_clock() as clock, pytest.raises(TimeoutError):
        asyncio.run(_imds_token(fake_imds.url, 1))
    assert len(clock.waits) == 1 and clock.waits[0] == pytest.approx(1, abs=0.05)  # to the loop's next timer


def test_an_event_loop_without_a_timeout_waits_out_the_delay_on_the_clock(fake_imds: FakeImds) -> None:
    fake_imds.delay(30, target="token")
    with virtual_clock() as clock:
        head = asyncio.run(_imds_token(fake_imds.url, None))
    assert head.startswith(b"HTTP/1.1 200")
    assert clock.waits == (30,)


def test_a_client_without_a_clock_still_waits_in_real_time(fake_imds: FakeImds) -> None:
    """Another thread's clock changes nothing for this one: the fake answers after the real delay."""
    fake_imds.add_role("app-role")
    fake_imds.delay(2, target="token")
    ready, done = threading.Event(), threading.Event()

    def other_thread_on_a_clock() -> None:
        with virtual_clock():
            ready.set()
            done.wait(10)

    thread = threading.Thread(target=other_thread_on_a_clock)
    thread.start()
    try:
        assert ready.wait(10)
        host, port = fake_imds.url.removeprefix("http://").rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=0.05)
        conn.request("PUT", "/latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        with pytest.raises(TimeoutError):  # real time: 50 ms is shorter than the 2 s delay
            conn.getresponse()
        conn.close()
    finally:
        done.set()
        thread.join()


def test_boto3_retry_backoff_sleeps_on_the_clock(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.fail("Converse", "ThrottlingException", times=2)
    client = fake_bedrock.boto3_client(config=Config(retries={"mode": "standard", "total_max_attempts": 3}))
    with virtual_clock() as clock:
        client.converse(modelId="m", messages=[{"role": "user", "content": [{"text": "hi"}]}])
    assert len(clock.sleeps) == 2 and all(s > 0 for s in clock.sleeps)
    assert [r.status for r in fake_bedrock.requests] == [429, 429, 200]


def test_anthropic_retry_backoff_sleeps_on_the_clock(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    pytest.importorskip("anthropic")
    aws_env.static_keys()
    fake_bedrock.fail("InvokeModel", "ThrottlingException", times=2)
    client = fake_bedrock.anthropic_client(max_retries=2)
    with virtual_clock() as clock:
        client.messages.create(model="m", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert len(clock.sleeps) == 2 and all(s > 0 for s in clock.sleeps)
    assert [r.status for r in fake_bedrock.requests] == [429, 429, 200]


def test_experimental_client_container_retries_sleep_on_the_clock(
    fake_container_credentials: FakeContainerCredentials,
) -> None:
    pytest.importorskip("aws_credentials_http")
    from _fake_helpers import resolve as smithy_resolve
    from smithy_core.exceptions import SmithyError

    fake_container_credentials.issue()
    fake_container_credentials.fail(status=500)
    with virtual_clock() as clock, pytest.raises(SmithyError, match="Failed to retrieve container metadata"):
        smithy_resolve()
    assert clock.sleeps == (1, 1)  # aws-credentials-http: 3 attempts, asyncio.sleep(1) between
    assert [r.status for r in fake_container_credentials.requests] == [500, 500, 500]


# -- the pytest face ------------------------------------------------------------------------------------


def test_fixture_and_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        import pytest

        def test_fixture(virtual_clock):
            start = time.monotonic()
            time.sleep(3600)
            assert time.monotonic() - start >= 3600
            assert virtual_clock.sleeps == (3600,)

        @pytest.mark.bedrock_virtual_clock
        def test_marker():
            from pytest_bedrock_creds.vclock import current_clock
            time.sleep(60)
            assert current_clock().elapsed == 60

        def test_unmarked_is_real():
            from pytest_bedrock_creds.vclock import current_clock
            assert current_clock() is None
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


def test_scenario_runs_are_on_a_virtual_clock(pytester: pytest.Pytester) -> None:
    """A container endpoint that always fails: botocore's three 1 s pauses land on the clock."""
    pytester.makeconftest(
        """
        import json
        from pytest_bedrock_creds import vclock

        clocks = []
        original = vclock.VirtualClock.__init__

        def recording_init(self):
            original(self)
            clocks.append(self)

        vclock.VirtualClock.__init__ = recording_init

        def pytest_sessionfinish(session):
            with open("clocks.json", "w") as out:
                json.dump([list(c.sleeps) for c in clocks], out)
        """
    )
    pytester.makefile(
        ".bedrock.yaml",
        down="""
        scenarios:
          - name: container-down
            container: {faults: [{kind: fail, status: 500}]}
            expect: {error: container-error}
        """,
    )
    pytester.runpytest("-p", "no:randomly", "--bedrock-targets=botocore").assert_outcomes(passed=1)
    assert (pytester.path / "clocks.json").read_text() == "[[1.0, 1.0, 1.0]]"
