"""Tests of the triage app, as a user of pytest-bedrock-creds writes them: which credentials and
which region its Bedrock calls really use."""

from __future__ import annotations

import pytest
from triage import ConfigurationError, triage

from pytest_bedrock_creds import AwsEnv, AwsFiles, FakeBedrock, FakeContainerCredentials, FakeImds


def test_triage_returns_the_models_label(aws_env: AwsEnv, bedrock: FakeBedrock) -> None:
    aws_env.static_keys()
    bedrock.respond("Converse", text="Billing")
    assert triage("I was charged twice") == "billing"
    assert "charged twice" in bedrock.last_request.json()["messages"][0]["content"][0]["text"]


def test_calls_are_signed_for_the_configured_region(aws_env: AwsEnv, bedrock: FakeBedrock) -> None:
    aws_env.static_keys()
    aws_env.set(AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")  # the runner's own region
    triage("ticket")
    request = bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)
    assert request.auth.region == "eu-central-1"


def test_the_app_refuses_to_run_without_a_region(aws_env: AwsEnv, bedrock: FakeBedrock) -> None:
    """Why the app pins the region: left to itself, litellm signs for us-west-2."""
    aws_env.static_keys()
    aws_env.unset("TRIAGE_AWS_REGION")
    with pytest.raises(ConfigurationError, match="TRIAGE_AWS_REGION"):
        triage("ticket")
    assert bedrock.requests == ()


def test_the_api_key_wins_over_leftover_developer_keys(aws_env: AwsEnv, bedrock: FakeBedrock) -> None:
    aws_env.static_keys()      # a developer's keys left in the shell
    aws_env.bearer_token()     # the Bedrock API key the deployment sets
    triage("ticket")
    bedrock.assert_auth(scheme="bearer", source="bearer:env")


def test_in_ecs_the_task_role_signs(aws_env: AwsEnv, bedrock: FakeBedrock, fake_imds: FakeImds,
                                    fake_container_credentials: FakeContainerCredentials) -> None:
    fake_container_credentials.issue()
    fake_imds.add_role("host-role")            # the host's role must not be used
    triage("ticket")
    request = bedrock.assert_auth(scheme="sigv4", source="container", signature_valid=True)
    assert request.auth.region == "eu-central-1"


def test_the_configured_profile_beats_environment_keys(aws_env: AwsEnv, aws_files: AwsFiles,
                                                       bedrock: FakeBedrock) -> None:
    aws_env.static_keys()
    aws_files.credentials("triage")
    aws_env.set(TRIAGE_AWS_PROFILE="triage")
    triage("ticket")
    bedrock.assert_auth(scheme="sigv4", source="shared-credentials-file:triage", signature_valid=True)


def test_rotated_keys_are_not_seen_until_litellms_cache_expires(aws_env: AwsEnv, aws_files: AwsFiles,
                                                                bedrock: FakeBedrock) -> None:
    """litellm caches credentials it found through the chain for the process (up to 10 minutes):
    after a rotation of the shared credentials file the app still signs with the old keys.
    (aws_env flushes that cache between tests, so no other test sees these keys.)"""
    old = aws_files.credentials("default")
    triage("ticket")
    aws_files.credentials("default")        # the file now holds new keys
    triage("ticket")
    assert bedrock.last_request.auth.access_key_id == old.access_key_id
