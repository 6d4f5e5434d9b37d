"""No issued secret appears in our logs, reprs, traces or assertion messages (after smithy-rs's leak check)."""

from __future__ import annotations

import logging

import boto3
import pytest

from pytest_bedrock_creds import AwsEnv, AwsFiles, FakeBedrock, FakeContainerCredentials, FakeImds
from pytest_bedrock_creds.chain import ServiceSettings, resolve

MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


def test_flows_leak_no_secret(
    caplog: pytest.LogCaptureFixture,
    aws_env: AwsEnv,
    aws_files: AwsFiles,
    fake_imds: FakeImds,
    fake_container_credentials: FakeContainerCredentials,
    fake_bedrock: FakeBedrock,
) -> None:
    caplog.set_level(logging.DEBUG, logger="pytest_bedrock_creds")
    printed: list[str] = []

    fake_container_credentials.issue()
    printed += [repr(resolve()), resolve().explain()]
    boto3.Session().client("bedrock-runtime").converse(modelId="m", messages=MESSAGES)
    aws_env.unset("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    fake_imds.add_role("app-role")
    printed += [repr(resolve()), resolve().explain()]
    boto3.Session().client("bedrock-runtime").converse(modelId="m", messages=MESSAGES)
    env_creds = aws_env.static_keys(session_token=True)
    aws_files.credentials("dev", temporary=True)
    token = aws_env.bearer_token()
    boto3.Session().client("bedrock-runtime").converse(modelId="m", messages=MESSAGES)
    fake_bedrock.verify = "record"
    aws_env.set(AWS_BEARER_TOKEN_BEDROCK="ABSK" + "x" * 120)  # an API key the ledger never issued
    aws_env.ledger.record_token("bearer:env", "ABSK" + "x" * 120)
    boto3.Session().client("bedrock-runtime").converse(modelId="m", messages=MESSAGES)
    with pytest.raises(AssertionError) as failed:
        fake_bedrock.assert_auth(scheme="sigv4", source="imds:other-role")
    settings = ServiceSettings(env_creds.access_key_id, env_creds.secret_access_key, env_creds.session_token, token)
    printed += [
        str(failed.value),
        repr(settings),
        repr(resolve(settings=settings)),
        resolve(settings=settings).explain(),
        repr(aws_env),
        str(aws_env.snapshot()),
        repr(env_creds),
        *(repr(r) for r in fake_bedrock.requests),
        *(repr(r.auth) for r in fake_bedrock.requests),
        *(repr(r) for r in fake_imds.requests),
        *(repr(r) for r in fake_container_credentials.requests),
        repr(fake_container_credentials),
        repr(fake_imds),
        repr(fake_bedrock),
    ]
    assert [r.auth.source for r in fake_bedrock.requests] == ["container", "imds:app-role", "bearer:env", "bearer:env"]
    text = caplog.text + "\n".join(printed)
    secrets = aws_env.ledger.secrets()
    assert len(secrets) >= 8, "the flows above issued secrets of every kind"
    leaked = sum(1 for s in secrets if s in text)
    assert leaked == 0, "issued secrets were printed (not shown here, to keep them out of the report)"
    assert env_creds.access_key_id in text, "access key ids are not secret and stay visible"
