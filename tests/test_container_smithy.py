"""aws-credentials-http (the smithy stack of aws-sdk-bedrock-runtime) against FakeContainerCredentials.

Python 3.12+ only; skipped cleanly elsewhere. Observed behaviour: 3 attempts with a 1 s
sleep between them for any failure, the token file is stripped, and the declared 2 s read
timeout is not applied by the aiohttp transport.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse, LoopbackServer
from pytest_bedrock_creds.servers.container import FakeContainerCredentials

pytest.importorskip("aws_credentials_http")
from smithy_aws_core.identity import AWSCredentialsIdentity
from smithy_aws_core.identity.chain import IdentityChain
from smithy_core.exceptions import SmithyError
from smithy_http.aio.aiohttp import AIOHTTPClient


@pytest.fixture
def hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture(params=["ecs", "eks"])
def fake(request: pytest.FixtureRequest, hermetic: pytest.MonkeyPatch) -> Iterator[FakeContainerCredentials]:
    with FakeContainerCredentials(flavour=request.param) as server:
        for name, value in server.env().items():
            hermetic.setenv(name, value)
        yield server
        server.check()


async def _resolve() -> AWSCredentialsIdentity:
    async with AIOHTTPClient() as http:
        chain = await IdentityChain.create(AWSCredentialsIdentity, http_client=http)
        return await chain.get_identity(properties={})


def resolve() -> AWSCredentialsIdentity:
    return asyncio.run(_resolve())


def test_smithy_gets_the_issued_credentials(fake: FakeContainerCredentials) -> None:
    issued = fake.issue()
    identity = resolve()
    assert (identity.access_key_id, identity.secret_access_key, identity.session_token) == (
        issued.access_key_id,
        issued.secret_access_key,
        issued.session_token,
    )
    assert identity.expiration == issued.expiration
    assert identity.account_id == (fake.ledger.account_id if fake.flavour == "eks" else None)
    assert [(r.status, r.authorization) for r in fake.requests] == [(200, "valid")]


def test_token_file_with_trailing_newline_is_stripped(
    fake: FakeContainerCredentials, hermetic: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    issued = fake.issue()
    token_file = tmp_path / "token"
    token_file.write_text(f"{fake.auth_token}\n")
    hermetic.delenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    hermetic.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token_file))
    assert resolve().access_key_id == issued.access_key_id
    assert fake.requests[0].authorization == "valid"


@pytest.mark.parametrize("fake", ["ecs"], indirect=True)
def test_one_failure_smithy_retries_and_succeeds(fake: FakeContainerCredentials) -> None:
    issued = fake.issue()
    fake.fail(status=503, times=1)
    assert resolve().access_key_id == issued.access_key_id
    assert [r.status for r in fake.requests] == [503, 200]


@pytest.mark.parametrize(
    ("fault", "requests"),
    [
        (lambda f: f.fail(status=500), 3),
        (lambda f: f.malformed_json(), 3),
        (lambda f: f.reset_connection(), 6),  # aiohttp itself retries a reset idempotent GET once
    ],
    ids=["status-500", "malformed-json", "reset"],
)
@pytest.mark.parametrize("fake", ["eks"], indirect=True)  # the same in both flavours; 2 s each
def test_persistent_fault_smithy_raises_after_three_attempts(
    fake: FakeContainerCredentials, fault: Callable[[FakeContainerCredentials], None], requests: int
) -> None:
    fake.issue()
    fault(fake)
    with pytest.raises(SmithyError, match="Failed to retrieve container metadata after 3 attempt"):
        resolve()
    assert len(fake.requests) == requests


@pytest.mark.parametrize(("fake", "status"), [("ecs", 403), ("eks", 403)], indirect=["fake"])
def test_wrong_token_smithy_raises(fake: FakeContainerCredentials, hermetic: pytest.MonkeyPatch, status: int) -> None:
    fake.issue()
    hermetic.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "not-the-token")
    with pytest.raises(SmithyError, match="Failed to retrieve container metadata"):
        resolve()
    assert [r.status for r in fake.requests] == [status] * 3


@pytest.mark.parametrize("fake", ["ecs"], indirect=True)
def test_hang_smithy_waits_despite_its_2s_timeout(fake: FakeContainerCredentials) -> None:
    """The declared read timeout is not applied: the resolver waits until the connection drops."""
    fake.issue()
    fake.hang()

    async def scenario() -> tuple[bool, BaseException | None]:
        task = asyncio.create_task(_resolve())
        while not fake.requests:
            await asyncio.sleep(0.01)
        still_waiting = not task.done()
        await asyncio.to_thread(fake.stop)
        try:
            await task
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            return still_waiting, exc
        return still_waiting, None

    still_waiting, error = asyncio.run(scenario())
    assert still_waiting
    assert isinstance(error, SmithyError)
    assert fake.requests[0].fault == "hang on any"


# -- a real Bedrock call signed with the container credentials ----------------------------------------
runtime = pytest.importorskip("aws_sdk_bedrock_runtime.client")


async def _converse(url: str) -> str:
    from aws_sdk_bedrock_runtime.config import AsyncBedrockRuntimeConfig
    from aws_sdk_bedrock_runtime.models import ContentBlockText, ConverseInput, Message

    config = await AsyncBedrockRuntimeConfig.resolve(region="us-east-1", endpoint_uri=url)
    client = runtime.AsyncBedrockRuntimeClient(config=config)
    try:
        message = Message(role="user", content=[ContentBlockText(value="hi")])
        out = await client.converse(ConverseInput(model_id="test-model", messages=[message]))
        return str(out.stop_reason.value if out.stop_reason else None)
    finally:
        await client.close()


class _ConverseRecorder(LoopbackServer):
    name = "converse recorder"

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str | None]] = []

    def __enter__(self) -> _ConverseRecorder:
        self.start()
        return self

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.seen.append((request.header("Authorization") or "", request.header("X-Amz-Security-Token")))
        body = {
            "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
            "metrics": {"latencyMs": 1},
        }
        return HttpResponse(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


def test_bedrock_converse_is_signed_with_the_container_credentials(fake: FakeContainerCredentials) -> None:
    issued = fake.issue()
    fake.delay(0.1)  # a slow agent is ridden out
    with _ConverseRecorder() as bedrock:
        assert asyncio.run(_converse(bedrock.url)) == "end_turn"
    ((auth, security_token),) = bedrock.seen
    assert f"Credential={issued.access_key_id}/" in auth
    assert security_token == issued.session_token
    assert fake.requests[0].fault == "delay 0.1s on any"


def test_expired_container_credentials_smithy_refuses_to_sign(fake: FakeContainerCredentials) -> None:
    fake.issue(expired=True)
    with _ConverseRecorder() as bedrock, pytest.raises(SmithyError, match="Provided identity expired"):
        asyncio.run(_converse(bedrock.url))
    assert bedrock.seen == []
