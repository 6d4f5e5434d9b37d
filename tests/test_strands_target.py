"""strands-agents' BedrockModel, unmodified, against the fakes: what it adds on top of the boto3
client it builds (everything else is boto3's chain: the catalogue shows it)."""

from __future__ import annotations

import asyncio

import boto3
import pytest
from botocore.exceptions import InvalidEndpointConfigurationError

pytest.importorskip("strands")

from strands.models.bedrock import BedrockModel

from pytest_bedrock_creds import AwsEnv, FakeBedrock, Ledger

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


def _converse(model: BedrockModel) -> None:
    async def call() -> None:
        async for _ in model.stream(MESSAGES):
            pass

    asyncio.run(call())


def test_an_api_key_setting_that_boto3_lacks_sent_over_plain_http_too(fake_bedrock: FakeBedrock, aws_env: AwsEnv,
                                                                     bedrock_ledger: Ledger) -> None:
    """api_key turns signing off and sets the header in a before-send hook, so it is not botocore's
    BearerAuth: it is sent over plain HTTP, where boto3 refuses a bearer token."""
    aws_env.static_keys()
    token = bedrock_ledger.issue_token("bearer:settings").token
    _converse(BedrockModel(model_id=MODEL, endpoint_url=fake_bedrock.http_url, api_key=token))
    request = fake_bedrock.assert_auth(scheme="bearer", source="bearer:settings")
    assert request.listener == "http"
    aws_env.bearer_token()
    with pytest.raises(InvalidEndpointConfigurationError, match="HTTPS"):
        boto3.client("bedrock-runtime", endpoint_url=fake_bedrock.http_url).converse(modelId=MODEL, messages=MESSAGES)


def test_without_a_region_it_signs_for_us_west_2(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    """strands-region-default: boto3 raises NoRegionError here."""
    aws_env.static_keys()
    aws_env.unset("AWS_REGION", "AWS_DEFAULT_REGION")
    _converse(BedrockModel(model_id=MODEL, endpoint_url=fake_bedrock.url))
    assert fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True).auth.region == "us-west-2"


def test_aws_region_counts_only_after_the_sessions_region(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    """strands-region-default: region_name, then the boto3 session's (AWS_DEFAULT_REGION, the config
    file), then AWS_REGION, then us-west-2."""
    aws_env.static_keys()
    aws_env.set(AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="us-east-2")
    _converse(BedrockModel(model_id=MODEL, endpoint_url=fake_bedrock.url))
    assert fake_bedrock.last_request.auth.region == "us-east-2"
    aws_env.unset("AWS_DEFAULT_REGION")
    _converse(BedrockModel(model_id=MODEL, endpoint_url=fake_bedrock.url))
    assert fake_bedrock.last_request.auth.region == "eu-west-1"


def test_partial_keys_in_its_session_are_not_refused(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    """boto3-session-partial-keys: strands takes keys as a boto3.Session, which signs with half a pair."""
    aws_env.static_keys()
    session = boto3.Session(aws_access_key_id="AKIAPARTIALPARTIAL00")
    with pytest.raises(Exception):  # noqa: B017 - strands' own error type; the fake says why
        _converse(BedrockModel(model_id=MODEL, endpoint_url=fake_bedrock.url, boto_session=session))
    auth = fake_bedrock.last_request.auth
    assert (auth.access_key_id, auth.error) == ("AKIAPARTIALPARTIAL00", "UnrecognizedClientException")
