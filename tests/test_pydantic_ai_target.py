"""pydantic-ai's Bedrock model, unmodified, against the fakes: what BedrockProvider adds on top of
the boto3 client it builds (everything else is boto3's chain: the catalogue shows it)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import PartialCredentialsError

pytest.importorskip("pydantic_ai")

from pydantic_ai import Agent
from pydantic_ai.models.bedrock import BedrockConverseModel
from pydantic_ai.providers.bedrock import BedrockProvider

from pytest_bedrock_creds import AwsEnv, FakeBedrock, Ledger
from pytest_bedrock_creds.chain import resolve

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


def _ask(**provider: str) -> None:
    Agent(BedrockConverseModel(MODEL, provider=BedrockProvider(**provider))).run_sync("hi")


def test_an_api_key_setting_that_boto3_lacks(fake_bedrock: FakeBedrock, aws_env: AwsEnv,
                                            bedrock_ledger: Ledger) -> None:
    aws_env.static_keys()
    aws_env.bearer_token()
    token = bedrock_ledger.issue_token("bearer:settings").token
    _ask(api_key=token)
    fake_bedrock.assert_auth(scheme="bearer", source="bearer:settings")  # the reference's answer too


def test_the_environments_token_is_forced_in_code(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    """It reads AWS_BEARER_TOKEN_BEDROCK itself and sets signature_version='bearer': any value, an
    empty one included, and no auth-scheme preference outside code can turn it off."""
    aws_env.static_keys()
    aws_env.set(AWS_AUTH_SCHEME_PREFERENCE="sigv4")
    aws_env.bearer_token()
    assert resolve().source == "env"
    _ask()
    fake_bedrock.assert_auth(scheme="bearer", source="bearer:env")
    aws_env.bearer_token("")
    with pytest.raises(Exception, match="AccessDeniedException"):
        _ask()
    assert fake_bedrock.last_request.header("Authorization") == "Bearer "


def test_partial_keys_in_code_are_not_refused(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    """boto3-session-partial-keys: the keys go to boto3.Session, which signs with half a pair;
    boto3's client(...) refuses the same arguments."""
    aws_env.static_keys()
    with pytest.raises(PartialCredentialsError):
        boto3.client("bedrock-runtime", aws_access_key_id="AKIAPARTIALPARTIAL00")
    with pytest.raises(Exception):  # noqa: B017 - pydantic-ai's ModelHTTPError; the fake says why
        _ask(aws_access_key_id="AKIAPARTIALPARTIAL00")
    auth = fake_bedrock.last_request.auth
    assert (auth.access_key_id, auth.error) == ("AKIAPARTIALPARTIAL00", "UnrecognizedClientException")


def test_no_region_is_an_error_as_in_boto3(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    from pydantic_ai.exceptions import UserError

    aws_env.static_keys()
    aws_env.unset("AWS_REGION", "AWS_DEFAULT_REGION")
    with pytest.raises(UserError, match="region_name"):
        BedrockProvider()
    assert fake_bedrock.requests == ()
