"""aws-sdk-bedrock-runtime (the experimental smithy client, Python 3.12+) against FakeBedrock."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest

pytest.importorskip("aws_sdk_bedrock_runtime")
aiohttp = pytest.importorskip("aiohttp")

from aws_sdk_bedrock_runtime.client import AsyncBedrockRuntimeClient  # noqa: E402
from aws_sdk_bedrock_runtime.config import AsyncBedrockRuntimeConfig  # noqa: E402
from aws_sdk_bedrock_runtime.models import (  # noqa: E402
    ContentBlockText,
    ConverseInput,
    ConverseStreamInput,
    ConverseStreamOutputContentBlockDelta,
    ConverseStreamOutputMessageStart,
    ConverseStreamOutputMessageStop,
    ConverseStreamOutputMetadata,
    Message,
    ThrottlingException,
)
from smithy_aws_core.identity import AWSCredentialsIdentity  # noqa: E402
from smithy_aws_core.identity.static import StaticCredentialsResolver  # noqa: E402
from smithy_http.aio.aiohttp import AIOHTTPClient  # noqa: E402

from pytest_bedrock_creds.env import AwsEnv  # noqa: E402
from pytest_bedrock_creds.ledger import Ledger  # noqa: E402
from pytest_bedrock_creds.servers.bedrock import FakeBedrock, StreamException  # noqa: E402

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


def _messages() -> list[Message]:
    return [Message(role="user", content=[ContentBlockText(value="Hello")])]


async def _with_client(fake_bedrock: FakeBedrock, body: Any, *, https: bool = True, **config: Any) -> Any:
    """Run ``body(client)`` with a client whose aiohttp session trusts the fake's CA (bedrock.md §5.2)."""
    session = None
    if https:
        context = ssl.create_default_context(cafile=fake_bedrock.ca_bundle)
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=context),
            auto_decompress=False,
            headers={"Accept-Encoding": "identity"},
        )
        config["transport"] = AIOHTTPClient(_session=session)
    else:
        config["endpoint_uri"] = fake_bedrock.http_url
    try:
        resolved = await AsyncBedrockRuntimeConfig.resolve(max_attempts=1, **config)
        return await body(AsyncBedrockRuntimeClient(config=resolved))
    finally:
        if session is not None:
            await session.close()


async def _converse(client: AsyncBedrockRuntimeClient) -> Any:
    return await client.converse(ConverseInput(model_id=MODEL, messages=_messages()))


async def _stream(client: AsyncBedrockRuntimeClient) -> list[Any]:
    stream = await client.converse_stream(ConverseStreamInput(model_id=MODEL, messages=_messages()))
    events = []
    try:
        async for event in stream.output_stream:
            events.append(event)
    except ThrottlingException as exc:  # the in-stream exception ends the list
        events.append(exc)
    finally:
        await stream.close()
    return events


def test_converse_with_a_static_resolver(fake_bedrock: FakeBedrock, aws_env: AwsEnv, bedrock_ledger: Ledger) -> None:
    creds = bedrock_ledger.issue_credentials("static", temporary=True)
    resolver = StaticCredentialsResolver(
        AWSCredentialsIdentity(
            access_key_id=creds.access_key_id,
            secret_access_key=creds.secret_access_key,
            session_token=creds.session_token,
        )
    )
    out = asyncio.run(_with_client(fake_bedrock, _converse, aws_credentials_identity_resolver=resolver))
    assert out.output.value.content[0].value == "Hello from FakeBedrock."
    assert out.stop_reason == "end_turn"
    request = fake_bedrock.assert_auth(scheme="sigv4", source="static", signature_valid=True)
    assert request.auth.service == "bedrock"
    assert "content-length" in request.auth.signed_headers  # smithy signs it; boto3 does not
    assert "v1%3A0" in request.raw_path


def test_converse_with_explicit_keys(fake_bedrock: FakeBedrock, aws_env: AwsEnv, bedrock_ledger: Ledger) -> None:
    creds = bedrock_ledger.issue_credentials("static")
    asyncio.run(
        _with_client(
            fake_bedrock,
            _converse,
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
        )
    )
    fake_bedrock.assert_auth(scheme="sigv4", source="static", signature_valid=True)


def test_converse_with_the_default_chain(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys(session_token=True)
    asyncio.run(_with_client(fake_bedrock, _converse))  # endpoint from AWS_ENDPOINT_URL_BEDROCK_RUNTIME
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)


def test_env_bearer_token_is_ignored(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    aws_env.bearer_token()
    asyncio.run(_with_client(fake_bedrock, _converse))
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)


def test_plain_http_listener(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    asyncio.run(_with_client(fake_bedrock, _converse, https=False))
    request = fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)
    assert request.listener == "http"


def test_converse_stream_reads_every_event(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.respond("ConverseStream", text="a b c d e f")
    events = asyncio.run(_with_client(fake_bedrock, _stream))
    assert isinstance(events[0], ConverseStreamOutputMessageStart)
    assert isinstance(events[-2], ConverseStreamOutputMessageStop)
    assert isinstance(events[-1], ConverseStreamOutputMetadata)
    deltas = [e.value.delta.value for e in events if isinstance(e, ConverseStreamOutputContentBlockDelta)]
    assert "".join(deltas) == "a b c d e f"
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True, operation="ConverseStream")


def test_converse_stream_in_stream_exception(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.respond(
        "ConverseStream",
        stream=[{"messageStart": {"role": "assistant"}}, StreamException("throttlingException", "slow down")],
    )
    events = asyncio.run(_with_client(fake_bedrock, _stream))
    assert isinstance(events[0], ConverseStreamOutputMessageStart)
    assert isinstance(events[1], ThrottlingException)
    assert events[1].message == "slow down"


def test_unmodeled_auth_error(fake_bedrock: FakeBedrock, aws_env: AwsEnv, bedrock_ledger: Ledger) -> None:
    creds = bedrock_ledger.issue_credentials("static")
    with pytest.raises(Exception, match="InvalidSignatureException"):
        asyncio.run(
            _with_client(fake_bedrock, _converse, aws_access_key_id=creds.access_key_id, aws_secret_access_key="W" * 40)
        )
    assert fake_bedrock.last_request.auth.signature_valid is False
