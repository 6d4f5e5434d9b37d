"""Helpers shared by the real-SDK tests of FakeImds and FakeContainerCredentials.

The hermetic environment is the plugin's ``aws_env``; the ECS container endpoint and the IMDS
are the plugin's session servers (``fake_container_credentials``, ``fake_imds``). A test
that needs its own server (the EKS flavour, or one it stops) enters it with :func:`attached`.
The smithy helpers import the experimental SDK only when called (it needs Python 3.12+).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import pytest

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.ledger import IssuedCredentials
from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse, LoopbackServer
from pytest_bedrock_creds.servers.container import FakeContainerCredentials
from pytest_bedrock_creds.servers.imds import FakeImds

if TYPE_CHECKING:
    from smithy_aws_core.identity import AWSCredentialsIdentity

FakeT = TypeVar("FakeT", FakeImds, FakeContainerCredentials)

CONVERSE_REPLY = {
    "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
    "metrics": {"latencyMs": 1},
}


@contextmanager
def attached(aws_env: AwsEnv, server: FakeT) -> Iterator[FakeT]:
    """Start ``server``, point ``aws_env`` at it, and check it after the block."""
    with server:
        aws_env.attach(server)
        yield server
        server.check()


def container_credentials(request: pytest.FixtureRequest, aws_env: AwsEnv) -> Iterator[FakeContainerCredentials]:
    """The body of a ``fake`` fixture parametrized with the flavour (``"ecs"`` or ``"eks"``)."""
    if request.param == "ecs":
        yield request.getfixturevalue("fake_container_credentials")
        return
    with attached(aws_env, FakeContainerCredentials(flavour=request.param, ledger=aws_env.ledger)) as server:
        yield server


def issued_keys(issued: IssuedCredentials) -> tuple[str, str, str | None]:
    """(access key id, secret, session token): compare with what an SDK resolved."""
    return (issued.access_key_id, issued.secret_access_key, issued.session_token)


def flow(fake: FakeImds) -> list[tuple[str, str, int | None, str | None]]:
    """What IMDS saw: (method, path, status, version) per request."""
    return [(r.method, r.path, r.status, r.version) for r in fake.requests]


# -- smithy (aws-sdk-bedrock-runtime's stack, Python 3.12+) -----------------------------------------
async def resolve_async() -> AWSCredentialsIdentity:
    """Resolve credentials with the identity chain the Bedrock client builds."""
    from smithy_aws_core.identity import AWSCredentialsIdentity
    from smithy_aws_core.identity.chain import IdentityChain
    from smithy_http.aio.aiohttp import AIOHTTPClient

    async with AIOHTTPClient() as http:
        chain = await IdentityChain.create(AWSCredentialsIdentity, http_client=http)
        return await chain.get_identity(properties={})


def resolve() -> AWSCredentialsIdentity:
    return asyncio.run(resolve_async())


def resolve_while_stopping(server: FakeT) -> tuple[bool, BaseException | None]:
    """Resolve while ``server`` holds the first request; then stop it, dropping the connection.

    Returns whether the resolver was still waiting when the request had arrived, and the
    error it ended with (``None`` if it succeeded).
    """

    async def scenario() -> tuple[bool, BaseException | None]:
        task = asyncio.create_task(resolve_async())
        while not server.requests:  # the request has arrived and is being held
            await asyncio.sleep(0.01)
        still_waiting = not task.done()
        await asyncio.to_thread(server.stop)  # drop the held connection
        try:
            await task
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            return still_waiting, exc
        return still_waiting, None

    return asyncio.run(scenario())


async def converse(url: str) -> str:
    """One ``converse`` call with aws-sdk-bedrock-runtime against ``url``; returns the stop reason."""
    from aws_sdk_bedrock_runtime.client import AsyncBedrockRuntimeClient
    from aws_sdk_bedrock_runtime.config import AsyncBedrockRuntimeConfig
    from aws_sdk_bedrock_runtime.models import ContentBlockText, ConverseInput, Message

    config = await AsyncBedrockRuntimeConfig.resolve(region="us-east-1", endpoint_uri=url)
    client = AsyncBedrockRuntimeClient(config=config)
    try:
        message = Message(role="user", content=[ContentBlockText(value="hi")])
        out = await client.converse(ConverseInput(model_id="test-model", messages=[message]))
        return str(out.stop_reason.value if out.stop_reason else None)
    finally:
        await client.close()


class SigningRecorder(LoopbackServer):
    """Records each request's ``Authorization`` and ``X-Amz-Security-Token`` and answers ``body``."""

    name = "signing recorder"

    def __init__(self, body: bytes, content_type: str) -> None:
        super().__init__()
        self._reply = (body, content_type)
        self.seen: list[tuple[str, str | None]] = []

    @classmethod
    def converse(cls) -> SigningRecorder:
        """A Bedrock endpoint whose every answer is a successful Converse reply."""
        return cls(json.dumps(CONVERSE_REPLY).encode(), "application/json")

    def __enter__(self) -> SigningRecorder:
        self.start()
        return self

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.seen.append((request.header("Authorization") or "", request.header("X-Amz-Security-Token")))
        body, content_type = self._reply
        return HttpResponse(200, body, {"Content-Type": content_type})
