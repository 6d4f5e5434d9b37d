"""langchain-aws ChatBedrockConverse, unmodified, against FakeBedrock."""

from __future__ import annotations

import logging

import pytest

langchain_aws = pytest.importorskip("langchain_aws")

from pytest_bedrock_creds.env import AwsEnv  # noqa: E402
from pytest_bedrock_creds.ledger import Ledger  # noqa: E402
from pytest_bedrock_creds.servers.bedrock import FakeBedrock  # noqa: E402

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


def test_sigv4_from_env(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys(session_token=True)
    chat = langchain_aws.ChatBedrockConverse(model=MODEL)
    reply = chat.invoke("Hello")
    assert reply.content == "Hello from FakeBedrock."
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["total_tokens"] > 0
    request = fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)
    assert request.operation == "Converse"


def test_bearer_from_env_wins_over_explicit_keys(
    fake_bedrock: FakeBedrock, aws_env: AwsEnv, bedrock_ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    aws_env.bearer_token()
    creds = bedrock_ledger.issue_credentials("static")
    caplog.set_level(logging.WARNING)
    chat = langchain_aws.ChatBedrockConverse(
        model=MODEL, aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key
    )
    chat.invoke("Hello")
    fake_bedrock.assert_auth(scheme="bearer", source="bearer:env", signature_valid=None)


def test_bearer_through_api_key_argument(fake_bedrock: FakeBedrock, aws_env: AwsEnv, bedrock_ledger: Ledger) -> None:
    token = bedrock_ledger.issue_token("bearer:settings").token
    chat = langchain_aws.ChatBedrockConverse(model=MODEL, api_key=token)
    chat.invoke("Hello")
    fake_bedrock.assert_auth(scheme="bearer", source="bearer:settings", signature_valid=None)


def test_streaming(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.respond("ConverseStream", text="streamed words here")
    chat = langchain_aws.ChatBedrockConverse(model=MODEL)
    text = "".join(str(chunk.content[0]["text"]) for chunk in chat.stream("Hello") if chunk.content)
    assert text == "streamed words here"
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True, operation="ConverseStream")
