"""The smithy-based stack (aws-sdk-bedrock-runtime + aws-credentials-imds) against FakeImds.

Python 3.12+ only; skipped cleanly elsewhere. The identity chain is built the way the
Bedrock client builds it (``IdentityChain.create``), and one test signs a real ``converse``
call with the credentials. Observed behaviour: IMDSv2 only (no v1 fallback), the legacy
credentials path without a trailing slash, no timeout, no retry.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse, LoopbackServer
from pytest_bedrock_creds.servers.imds import FakeImds

pytest.importorskip("aws_credentials_imds")
runtime = pytest.importorskip("aws_sdk_bedrock_runtime.client")
from aws_sdk_bedrock_runtime.config import AsyncBedrockRuntimeConfig  # noqa: E402
from aws_sdk_bedrock_runtime.models import ContentBlockText, ConverseInput, Message  # noqa: E402
from smithy_aws_core.identity import AWSCredentialsIdentity  # noqa: E402
from smithy_aws_core.identity.chain import IdentityChain  # noqa: E402
from smithy_core.exceptions import SmithyError  # noqa: E402
from smithy_http.aio.aiohttp import AIOHTTPClient  # noqa: E402

LIST = "/latest/meta-data/iam/security-credentials"
ROLE = LIST + "/app-role"
TOKEN = "/latest/api/token"


@pytest.fixture
def hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    return monkeypatch


@pytest.fixture
def imds(hermetic: pytest.MonkeyPatch) -> Iterator[FakeImds]:
    with FakeImds() as fake:
        for name, value in fake.env().items():
            hermetic.setenv(name, value)
        yield fake
        fake.check()


async def _resolve() -> AWSCredentialsIdentity:
    async with AIOHTTPClient() as http:
        chain = await IdentityChain.create(AWSCredentialsIdentity, http_client=http)
        return await chain.get_identity(properties={})


def resolve() -> AWSCredentialsIdentity:
    return asyncio.run(_resolve())


def flow(fake: FakeImds) -> list[tuple[str, str, int | None, str | None]]:
    return [(r.method, r.path, r.status, r.version) for r in fake.requests]


@pytest.mark.parametrize("v1_enabled", [False, True])
def test_smithy_gets_credentials_with_the_token_flow(imds: FakeImds, v1_enabled: bool) -> None:
    issued = imds.add_role("app-role")
    imds.v1_enabled = v1_enabled
    identity = resolve()
    assert (identity.access_key_id, identity.secret_access_key, identity.session_token) == (
        issued.access_key_id,
        issued.secret_access_key,
        issued.session_token,
    )
    assert identity.expiration == issued.expiration
    assert identity.account_id is None  # the legacy path carries no AccountId
    assert flow(imds) == [("PUT", TOKEN, 200, "v2"), ("GET", LIST, 200, "v2"), ("GET", ROLE, 200, "v2")]
    assert all((r.user_agent or "").startswith("aws-sdk-python-imds-client/") for r in imds.requests)


def test_bedrock_converse_is_signed_with_the_imds_credentials(imds: FakeImds) -> None:
    issued = imds.add_role("app-role")
    with _ConverseRecorder() as bedrock:
        assert asyncio.run(_converse(bedrock.url)) == "end_turn"
    ((auth, security_token),) = bedrock.seen
    assert f"Credential={issued.access_key_id}/" in auth
    assert security_token == issued.session_token


@pytest.mark.parametrize("status", [403, 404, 405, 500])
def test_token_refused_smithy_raises_even_with_v1_enabled(imds: FakeImds, status: int) -> None:
    """No IMDSv1 fallback: the chain fails on the token step."""
    imds.add_role("app-role")
    imds.v1_enabled = True
    imds.fail("token", status=status)
    with pytest.raises(SmithyError, match=f"IMDS returned {status} when fetching a metadata token"):
        resolve()
    assert flow(imds) == [("PUT", TOKEN, status, None)]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (lambda f: f.fail("role-list", status=500), f"IMDS returned 500 for path '{LIST}'"),
        (lambda f: f.fail("credentials", status=500), f"IMDS returned 500 for path '{ROLE}'"),
        (lambda f: f.add_role("app-role", unauthorized=True), "AccessKeyId and SecretAccessKey are required"),
    ],
    ids=["role-list-500", "credentials-500", "unauthorized"],
)
def test_metadata_faults_smithy_chain_raises(imds: FakeImds, fault: Callable[[FakeImds], object], message: str) -> None:
    imds.add_role("app-role")
    fault(imds)
    with pytest.raises(SmithyError, match=message):
        resolve()


def test_malformed_json_escapes_the_chain_as_a_json_error(imds: FakeImds) -> None:
    """aws-credentials-imds 0.4.0 does not wrap the parse error in SmithyIdentityError."""
    imds.add_role("app-role")
    imds.malformed_json()
    with pytest.raises(json.JSONDecodeError):
        resolve()


def test_connection_reset_escapes_the_chain_as_an_aiohttp_error(imds: FakeImds) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    imds.add_role("app-role")
    imds.reset_connection(target="token")
    with pytest.raises(aiohttp.ClientError):
        resolve()
    assert all(r.fault == "reset on token" for r in imds.requests)


def test_delay_is_ridden_out(imds: FakeImds) -> None:
    imds.add_role("app-role")
    imds.delay(0.2)
    assert resolve().access_key_id == imds.credentials("app-role").access_key_id


def test_hop_limit_hang_smithy_waits_until_the_connection_drops(imds: FakeImds) -> None:
    """No effective timeout: the resolver is still waiting when the PUT is known to hang."""
    imds.add_role("app-role")
    imds.hang(target="token")

    async def scenario() -> tuple[bool, BaseException | None]:
        task = asyncio.create_task(_resolve())
        while not imds.requests:  # the PUT has arrived and is being held
            await asyncio.sleep(0.01)
        still_waiting = not task.done()
        await asyncio.to_thread(imds.stop)  # drop the held connection
        try:
            await task
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            return still_waiting, exc
        return still_waiting, None

    still_waiting, error = asyncio.run(scenario())
    assert still_waiting
    assert error is not None
    assert imds.requests[0].fault == "hang on token"


def test_expired_credentials_smithy_refuses_to_sign(imds: FakeImds) -> None:
    imds.add_role("app-role", expired=True)
    with _ConverseRecorder() as bedrock, pytest.raises(SmithyError, match="Provided identity expired"):
        asyncio.run(_converse(bedrock.url))
    assert bedrock.seen == []


def test_credentials_expire_and_smithy_fetches_new_ones(imds: FakeImds) -> None:
    """No early refresh: the cached identity is used until it expires, then IMDS is asked again."""

    async def scenario(frozen: Any) -> tuple[str, str, str]:
        async with AIOHTTPClient() as http:
            chain = await IdentityChain.create(AWSCredentialsIdentity, http_client=http)
            first = (await chain.get_identity(properties={})).access_key_id
            frozen.tick(timedelta(hours=5, minutes=59))
            cached = (await chain.get_identity(properties={})).access_key_id
            frozen.tick(timedelta(minutes=1))
            renewed = (await chain.get_identity(properties={})).access_key_id
        return first, cached, renewed

    with freeze_time("2026-11-21T10:00:00Z", real_asyncio=True) as frozen:
        issued = imds.add_role("app-role")
        first, cached, renewed = asyncio.run(scenario(frozen))
        current = imds.credentials("app-role")
    assert first == cached == issued.access_key_id
    assert renewed == current.access_key_id != issued.access_key_id
    # the token (6 h client-side TTL) expired too, so the refresh starts with a new PUT
    assert [r.method for r in imds.requests] == ["PUT", "GET", "GET", "PUT", "GET", "GET"]


# -- a recording Bedrock endpoint --------------------------------------------------------------------
async def _converse(url: str) -> str:
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
