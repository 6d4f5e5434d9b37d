"""What aws-sdk-bedrock-runtime 0.12 (the experimental client, Python 3.12+, with the credential
packages this project installs: aws-credentials-imds and aws-credentials-http, not
aws-credentials-sts) does with the rest of the chain. Observed rows for the divergence table:
credential_process works; assume-role, web identity, SSO and login profiles resolve nothing."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("aws_sdk_bedrock_runtime")

from _fake_helpers import converse
from smithy_aws_core.identity.chain import IdentityChainError

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.files import AwsFiles
from pytest_bedrock_creds.servers.bedrock import FakeBedrock
from pytest_bedrock_creds.servers.sso import FakeSsoPortal
from pytest_bedrock_creds.servers.sts import FakeSts


def test_credential_process_is_used(fake_bedrock: FakeBedrock, aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    aws_files.credential_process("helper")
    aws_env.profile("helper")
    assert asyncio.run(converse(fake_bedrock.http_url)) == "end_turn"
    fake_bedrock.assert_auth(source="process:helper", via=(), signature_valid=True)


@pytest.mark.parametrize("source", ["assume-role", "web-identity-profile", "web-identity-env", "sso", "login"])
def test_profiles_it_has_no_provider_for_resolve_nothing(
    source: str, fake_bedrock: FakeBedrock, fake_sts: FakeSts, fake_sso_portal: FakeSsoPortal,
    aws_env: AwsEnv, aws_files: AwsFiles,
) -> None:
    aws_files.credentials("base")
    if source == "assume-role":
        aws_files.assume_role("p", fake_sts.role_arn("r"), source_profile="base")
    elif source == "web-identity-profile":
        aws_files.web_identity_profile("p", fake_sts.role_arn("r"))
    elif source == "sso":
        aws_files.sso_profile("p")
    elif source == "login":
        aws_files.login_profile("p")
    if source == "web-identity-env":
        aws_env.web_identity(fake_sts.role_arn("r"))
    else:
        aws_env.profile("p")
    with pytest.raises(IdentityChainError, match="No credential providers were configured") as exc:
        asyncio.run(converse(fake_bedrock.http_url))
    if source == "web-identity-env":
        assert "install 'aws-credentials-sts'" in str(exc.value)
    assert (fake_sts.requests, fake_sso_portal.requests, fake_bedrock.requests) == ((), (), ())
