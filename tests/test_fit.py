"""What a new user meets: SDK conveniences without the SDKs, assert_auth with nothing recorded,
moto's mock_aws in the same test."""

from __future__ import annotations

import logging
import sys

import boto3
import botocore.exceptions
import pytest
from moto import mock_aws

from pytest_bedrock_creds import AwsEnv, FakeBedrock

MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


@pytest.mark.parametrize(
    ("missing", "method"),
    [("boto3", "boto3_client"), ("anthropic", "anthropic_client"), ("httpx2", "anthropic_client")],
)
def test_a_missing_sdk_names_the_extra(
    fake_bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch, missing: str, method: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # what an environment without the SDK looks like to import
    with pytest.raises(ModuleNotFoundError) as failed:
        getattr(fake_bedrock, method)()
    message = str(failed.value)
    assert f"FakeBedrock.{method}() needs {missing!r}, which is not installed" in message
    assert "pip install 'pytest-bedrock-creds[sdks]'" in message
    assert failed.value.name == missing


def test_the_sdk_conveniences_work_when_installed(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.boto3_client().converse(modelId="m", messages=MESSAGES)
    fake_bedrock.anthropic_client().messages.create(
        model="anthropic.claude-3-5-haiku-20241022-v1:0", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert [r.auth.source for r in fake_bedrock.requests] == ["env", "env"]


def test_assert_auth_with_no_request_says_so(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    with pytest.raises(AssertionError) as nothing:
        fake_bedrock.assert_auth(scheme="sigv4")
    assert str(nothing.value) == "FakeBedrock received no request (requests seen: none)"
    aws_env.static_keys()
    fake_bedrock.boto3_client().converse(modelId="m", messages=MESSAGES)
    with pytest.raises(AssertionError) as other:
        fake_bedrock.assert_auth(scheme="sigv4", operation="InvokeModel")
    assert str(other.value) == "FakeBedrock received no InvokeModel request (requests seen: Converse)"


# -- moto: mock_aws sets its own keys when it starts ---------------------------------------------------


def test_inside_mock_aws_calls_are_signed_with_motos_key(
    fake_bedrock: FakeBedrock, aws_env: AwsEnv, caplog: pytest.LogCaptureFixture
) -> None:
    aws_env.static_keys()
    with mock_aws(), pytest.raises(botocore.exceptions.ClientError, match="UnrecognizedClientException"):
        boto3.client("bedrock-runtime").converse(modelId="m", messages=MESSAGES)
    auth = fake_bedrock.last_request.auth
    assert (auth.access_key_id, auth.source) == ("FOOBARKEY", None)  # mock_aws's AWS_ACCESS_KEY_ID, not ours
    assert "FOOBARKEY is moto's: mock_aws() sets AWS_ACCESS_KEY_ID" in caplog.text
    with pytest.raises(AssertionError) as explained:
        fake_bedrock.assert_auth(scheme="sigv4", source="env")
    assert "mock_credentials': False" in str(explained.value)


def test_with_mock_credentials_off_moto_and_the_fakes_live_together(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    issued = aws_env.static_keys()
    with mock_aws(config={"core": {"mock_credentials": False}}):
        identity = boto3.client("sts").get_caller_identity()  # moto answers STS
        boto3.client("bedrock-runtime").converse(modelId="m", messages=MESSAGES)  # the fake answers Bedrock
    assert identity["Account"] == "123456789012"
    request = fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)
    assert request.auth.access_key_id == issued.access_key_id


def test_no_moto_hint_for_other_unknown_keys(aws_env: AwsEnv, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with FakeBedrock() as fake:
        client = fake.boto3_client(aws_access_key_id="AKIAUNKNOWNUNKNOWN00", aws_secret_access_key="x" * 40)
        with pytest.raises(botocore.exceptions.ClientError):
            client.converse(modelId="m", messages=MESSAGES)
        assert fake.last_request.auth.source is None
    assert "moto" not in caplog.text
