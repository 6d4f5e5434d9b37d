"""Tests of the example app, as a user of pytest-bedrock-creds writes them."""

from __future__ import annotations

import pytest
from summarize import summarize

from pytest_bedrock_creds import AwsEnv, AwsFiles, FakeBedrock, FakeImds, VirtualClock


def test_summarize_returns_the_model_text(aws_env: AwsEnv, fake_bedrock: FakeBedrock) -> None:
    aws_env.static_keys()
    fake_bedrock.respond("Converse", text="A short summary.")
    assert summarize("a long text") == "A short summary."
    assert "a long text" in fake_bedrock.last_request.json()["messages"][0]["content"][0]["text"]


def test_the_api_key_wins_over_leftover_developer_keys(aws_env: AwsEnv, fake_bedrock: FakeBedrock) -> None:
    aws_env.static_keys()                  # a developer's keys left in the shell
    aws_env.bearer_token()                 # the Bedrock API key the deployment sets
    summarize("text")
    fake_bedrock.assert_auth(scheme="bearer", source="bearer:env")


@pytest.mark.bedrock_fake_imds(roles=("summarizer-role",))
def test_on_ec2_the_instance_role_signs(aws_env: AwsEnv, fake_imds: FakeImds, fake_bedrock: FakeBedrock) -> None:
    summarize("text")
    fake_bedrock.assert_auth(scheme="sigv4", source="imds:summarizer-role", signature_valid=True)


def test_the_profile_option_beats_environment_keys(
    aws_env: AwsEnv, aws_files: AwsFiles, fake_bedrock: FakeBedrock
) -> None:
    aws_env.static_keys()
    aws_files.credentials("reporting")
    summarize("text", profile="reporting")
    fake_bedrock.assert_auth(scheme="sigv4", source="shared-credentials-file:reporting", signature_valid=True)


@pytest.mark.bedrock_virtual_clock  # boto3 backs off between its attempts; on the virtual clock nobody waits
def test_a_throttled_call_surfaces_to_the_caller(aws_env: AwsEnv, fake_bedrock: FakeBedrock) -> None:
    from botocore.exceptions import ClientError

    aws_env.static_keys()
    fake_bedrock.fail("Converse", "ThrottlingException", times=10)
    with pytest.raises(ClientError, match="ThrottlingException"):
        summarize("text")


@pytest.mark.bedrock_virtual_clock
def test_survives_a_hung_imds(aws_env: AwsEnv, fake_imds: FakeImds, fake_bedrock: FakeBedrock) -> None:
    fake_imds.add_role("app-role")
    fake_imds.v1_enabled = True
    fake_imds.hang(target="token")  # the hop-limit case: the token never arrives
    summarize("hello")  # botocore times out (1 s, virtual) and uses IMDSv1
    fake_bedrock.assert_auth(scheme="sigv4", source="imds:app-role")


def test_backs_off_when_throttled(aws_env: AwsEnv, fake_bedrock: FakeBedrock, virtual_clock: VirtualClock) -> None:
    aws_env.static_keys()
    fake_bedrock.fail("Converse", "ThrottlingException", times=2)
    summarize("hello")  # boto3's retries
    assert len(virtual_clock.sleeps) == 2  # two backoff sleeps, none of them waited
