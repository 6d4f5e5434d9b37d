"""langchain-aws, unmodified, against the fakes: where its credential handling differs from the
boto3 client it builds, and the process-wide side effect of its Nova Sonic model."""

from __future__ import annotations

import os

import boto3
import pytest
from botocore.config import Config

langchain_aws = pytest.importorskip("langchain_aws")

from pytest_bedrock_creds import AwsEnv, FakeBedrock, Ledger  # noqa: E402
from pytest_bedrock_creds.chain import ServiceSettings, resolve  # noqa: E402

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


def test_nova_sonic_writes_its_api_key_into_the_process_environment(fake_bedrock: FakeBedrock, aws_env: AwsEnv,
                                                                    bedrock_ledger: Ledger) -> None:
    """langchain-nova-sonic-sets-bearer-env: every later client in the process then sends that key,
    also when the model could not be built (without awscrt it raises after writing the variable)."""
    pytest.importorskip("aws_sdk_bedrock_runtime")
    aws_env.static_keys()
    with AwsEnv(ledger=bedrock_ledger) as inner:
        inner.attach(fake_bedrock)
        inner.static_keys()
        token = bedrock_ledger.issue_token("bearer:settings").token
        try:
            langchain_aws.ChatBedrockNovaSonic(model="amazon.nova-sonic-v1:0", region_name="us-east-1", api_key=token)
        except ModuleNotFoundError as exc:  # awscrt (langchain-aws[nova-sonic]) is not installed
            missing = str(exc)
        else:
            missing = "awscrt: installed"
        assert "awscrt" in missing
        assert os.environ.get("AWS_BEARER_TOKEN_BEDROCK") == token
        langchain_aws.ChatBedrockConverse(model=MODEL).invoke("hi")  # a text model made afterwards, no api_key
        fake_bedrock.assert_auth(scheme="bearer", source="bearer:settings")
    assert "AWS_BEARER_TOKEN_BEDROCK" not in os.environ, "AwsEnv restored the environment"
    langchain_aws.ChatBedrockConverse(model=MODEL).invoke("hi")
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)


_KEY_WRITTEN_IN_ONE_TEST = """
import langchain_aws

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


def test_builds_nova_sonic_with_an_api_key(aws_env, fake_bedrock, bedrock_ledger):
    token = bedrock_ledger.issue_token("bearer:settings").token
    try:
        langchain_aws.ChatBedrockNovaSonic(model="amazon.nova-sonic-v1:0", region_name="us-east-1", api_key=token)
    except ModuleNotFoundError:  # awscrt is not installed: it raises after writing the variable
        pass
    langchain_aws.ChatBedrockConverse(model=MODEL).invoke("hi")
    fake_bedrock.assert_auth(scheme="bearer", source="bearer:settings")


def test_a_later_test_without_aws_env_does_not_see_the_key():
    import os

    assert "AWS_BEARER_TOKEN_BEDROCK" not in os.environ
"""


def test_the_key_nova_sonic_writes_does_not_reach_the_next_test(pytester: pytest.Pytester,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``aws_env`` fixture (not only ``AwsEnv``) undoes a variable the SDK wrote behind monkeypatch's
    back (a later test with ``aws_env`` would not see it anyway: it removes every ``AWS_*`` on entry)."""
    pytest.importorskip("aws_sdk_bedrock_runtime")
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    pytester.makepyfile(test_two=_KEY_WRITTEN_IN_ONE_TEST)
    pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_an_ambient_token_beats_an_in_code_sigv4_preference(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    """langchain-bearer-overrides-config: boto3 signs with SigV4 under the same Config."""
    aws_env.static_keys()
    aws_env.bearer_token()
    assert resolve(settings=ServiceSettings(auth_scheme_preference="sigv4")).source == "env"
    boto3.client("bedrock-runtime", config=Config(auth_scheme_preference="sigv4")).converse(modelId=MODEL,
                                                                                           messages=MESSAGES)
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)
    langchain_aws.ChatBedrockConverse(model=MODEL, config=Config(auth_scheme_preference="sigv4")).invoke("hi")
    fake_bedrock.assert_auth(scheme="bearer", source="bearer:env")
    langchain_aws.ChatBedrockConverse(model=MODEL, config=Config(signature_version="v4")).invoke("hi")
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)


def test_environment_keys_are_read_one_by_one_as_explicit_keys(fake_bedrock: FakeBedrock, aws_env: AwsEnv,
                                                               bedrock_ledger: Ledger) -> None:
    """keys-filled-per-field-from-env: each key field defaults to its own AWS_* variable."""
    env_keys = aws_env.static_keys()
    given = bedrock_ledger.issue_credentials("static")
    with pytest.raises(Exception, match=r"InvalidSignatureException|signature we calculated"):
        langchain_aws.ChatBedrockConverse(model=MODEL, aws_secret_access_key=given.secret_access_key).invoke("hi")
    auth = fake_bedrock.last_request.auth
    assert (auth.access_key_id, auth.signature_valid) == (env_keys.access_key_id, False)
    aws_env.unset("AWS_ACCESS_KEY_ID")  # a secret without a key id: the chain skips it, langchain-aws refuses it
    with pytest.raises(ValueError, match="both aws_access_key_id and aws_secret_access_key must be specified"):
        langchain_aws.ChatBedrockConverse(model=MODEL)
