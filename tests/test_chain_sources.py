"""The rest of the chain, end to end: unmodified boto3, anthropic's AnthropicBedrock and langchain-aws
reach FakeBedrock with credentials that FakeSts, FakeSsoPortal or a credential_process issued, and
each request is attributed to its source *and* lineage; each STS call is verified as signed by the
source profile's keys. The network guard is on for this suite (pyproject), so nothing leaves loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    CredentialRetrievalError,
    InfiniteLoopConfigError,
    SSOTokenLoadError,
    TokenRetrievalError,
)

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.files import AwsFiles
from pytest_bedrock_creds.servers.bedrock import FakeBedrock
from pytest_bedrock_creds.servers.container import FakeContainerCredentials
from pytest_bedrock_creds.servers.imds import FakeImds
from pytest_bedrock_creds.servers.sso import FakeSsoPortal
from pytest_bedrock_creds.servers.sts import FakeSts

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]
CLIENTS = ("boto3", "anthropic", "langchain")


def converse(client: str, fake_bedrock: FakeBedrock, profile: str | None = None) -> None:
    """One model call with ``client``, choosing ``profile`` the way that client offers:
    boto3 through ``AWS_PROFILE`` (the environment), the others through their own setting."""
    if client == "boto3":
        if profile is not None:
            os.environ["AWS_PROFILE"] = profile  # aws_env restores the environment after the test
        boto3.client("bedrock-runtime").converse(modelId=MODEL, messages=MESSAGES)
    elif client == "anthropic":
        pytest.importorskip("anthropic")
        kwargs = {"aws_profile": profile} if profile is not None else {}
        fake_bedrock.anthropic_client(**kwargs).messages.create(
            model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "Hello"}])
    else:
        langchain_aws = pytest.importorskip("langchain_aws")
        kwargs = {"credentials_profile_name": profile} if profile is not None else {}
        langchain_aws.ChatBedrockConverse(model=MODEL, **kwargs).invoke("Hello")


# -- assume-role -------------------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
def test_assume_role_with_source_profile(
    client: str, fake_bedrock: FakeBedrock, fake_sts: FakeSts, aws_files: AwsFiles
) -> None:
    base = aws_files.credentials("base")
    aws_files.assume_role("invoker", fake_sts.role_arn("bedrock-invoker"), source_profile="base")
    converse(client, fake_bedrock, "invoker")
    call = fake_sts.assert_auth(role="bedrock-invoker", source="shared-credentials-file:base", via=(),
                                signature_valid=True)
    assert call.auth.access_key_id == base.access_key_id
    fake_bedrock.assert_auth(scheme="sigv4", source="assume-role:bedrock-invoker",
                             via="shared-credentials-file:base", signature_valid=True)
    assert fake_bedrock.last_request.auth.access_key_id == call.issued_access_key_id


def test_two_hops_make_two_sts_calls_each_signed_by_the_hop_before(
    fake_bedrock: FakeBedrock, fake_sts: FakeSts, aws_files: AwsFiles
) -> None:
    aws_files.credentials("base")
    aws_files.assume_role("middle", fake_sts.role_arn("middle"), source_profile="base")
    aws_files.assume_role("invoker", fake_sts.role_arn("invoker"), source_profile="middle")
    converse("boto3", fake_bedrock, "invoker")
    assert [r.role_name for r in fake_sts.requests] == ["middle", "invoker"]
    fake_sts.assert_auth(role="middle", source="shared-credentials-file:base", via=(), signature_valid=True)
    fake_sts.assert_auth(role="invoker", source="assume-role:middle", via="shared-credentials-file:base",
                         signature_valid=True)
    fake_bedrock.assert_auth(source="assume-role:invoker", via=("assume-role:middle", "shared-credentials-file:base"),
                             signature_valid=True)


def test_lineage_mismatch_fails_with_the_lineage_in_the_message(
    fake_bedrock: FakeBedrock, fake_sts: FakeSts, aws_files: AwsFiles
) -> None:
    aws_files.credentials("base")
    aws_files.assume_role("invoker", fake_sts.role_arn("invoker"), source_profile="base")
    converse("boto3", fake_bedrock, "invoker")
    with pytest.raises(AssertionError) as exc:
        fake_bedrock.assert_auth(source="assume-role:invoker", via="env")
    message = str(exc.value)
    assert "expected via ('env',)" in message
    assert "assume-role:invoker <- shared-credentials-file:base" in message
    assert "assume-role:invoker (via shared-credentials-file:base)" in message  # the ledger's line
    with pytest.raises(AssertionError, match=r"source is 'shared-credentials-file:base', expected 'env'"):
        fake_sts.assert_auth(source="env")


@pytest.mark.parametrize("client", CLIENTS)
def test_credential_source_environment_with_the_profile_chosen_in_code(
    client: str, fake_bedrock: FakeBedrock, fake_sts: FakeSts, aws_env: AwsEnv, aws_files: AwsFiles
) -> None:
    aws_env.static_keys()
    aws_files.assume_role("ci", fake_sts.role_arn("ci-role"), credential_source="Environment")
    if client == "boto3":
        boto3.Session(profile_name="ci").client("bedrock-runtime").converse(modelId=MODEL, messages=MESSAGES)
    else:
        converse(client, fake_bedrock, "ci")
    fake_sts.assert_auth(source="env", via=(), signature_valid=True)
    fake_bedrock.assert_auth(source="assume-role:ci-role", via="env", signature_valid=True)


def test_credential_source_environment_with_aws_profile_never_calls_sts(
    fake_bedrock: FakeBedrock, fake_sts: FakeSts, aws_env: AwsEnv, aws_files: AwsFiles
) -> None:
    """botocore: with AWS_PROFILE (not a profile in code) the env keys are found first."""
    aws_env.static_keys()
    aws_files.assume_role("ci", fake_sts.role_arn("ci-role"), credential_source="Environment")
    converse("boto3", fake_bedrock, "ci")
    assert fake_sts.requests == ()
    fake_bedrock.assert_auth(source="env", via=(), signature_valid=True)


def test_credential_source_instance_metadata(
    fake_bedrock: FakeBedrock, fake_sts: FakeSts, fake_imds: FakeImds, aws_files: AwsFiles
) -> None:
    fake_imds.add_role("instance-role")
    aws_files.assume_role("app", fake_sts.role_arn("app-role"), credential_source="Ec2InstanceMetadata")
    converse("boto3", fake_bedrock, "app")
    fake_sts.assert_auth(source="imds:instance-role", via=(), signature_valid=True)
    fake_bedrock.assert_auth(source="assume-role:app-role", via="imds:instance-role", signature_valid=True)


def test_credential_source_container(
    fake_bedrock: FakeBedrock, fake_sts: FakeSts, fake_container_credentials: FakeContainerCredentials,
    aws_files: AwsFiles,
) -> None:
    fake_container_credentials.issue()
    aws_files.assume_role("task", fake_sts.role_arn("task-role"), credential_source="EcsContainer")
    converse("boto3", fake_bedrock, "task")
    fake_sts.assert_auth(source="container", via=(), signature_valid=True)
    fake_bedrock.assert_auth(source="assume-role:task-role", via="container", signature_valid=True)


def test_session_name_duration_and_external_id_reach_sts(
    fake_bedrock: FakeBedrock, fake_sts: FakeSts, aws_files: AwsFiles
) -> None:
    fake_sts.add_role("partner", external_id="ext-42", max_session_duration=7200)
    aws_files.credentials("base")
    aws_files.assume_role("partner", fake_sts.role_arn("partner"), source_profile="base",
                          role_session_name="nightly-eval", duration_seconds=7200, external_id="ext-42")
    converse("boto3", fake_bedrock, "partner")
    call = fake_sts.assert_auth(source="shared-credentials-file:base", signature_valid=True)
    assert (call.role_session_name, call.duration_seconds, call.external_id) == ("nightly-eval", 7200, "ext-42")
    fake_bedrock.assert_auth(source="assume-role:partner", via="shared-credentials-file:base")


def test_wrong_external_id_is_denied_and_nothing_reaches_bedrock(
    fake_bedrock: FakeBedrock, fake_sts: FakeSts, aws_files: AwsFiles
) -> None:
    fake_sts.add_role("partner", external_id="ext-42")
    aws_files.credentials("base")
    aws_files.assume_role("partner", fake_sts.role_arn("partner"), source_profile="base", external_id="wrong")
    with pytest.raises(ClientError, match="AccessDenied"):
        converse("boto3", fake_bedrock, "partner")
    assert fake_bedrock.requests == ()
    assert fake_sts.requests[0].error_code == "AccessDenied"


def test_source_profile_cycle_fails_at_client_creation(fake_sts: FakeSts, aws_env: AwsEnv,
                                                       aws_files: AwsFiles) -> None:
    aws_files.assume_role("a", fake_sts.role_arn("a"), source_profile="b")
    aws_files.assume_role("b", fake_sts.role_arn("b"), source_profile="a")
    aws_env.profile("a")
    with pytest.raises(InfiniteLoopConfigError, match="Infinite loop"):
        boto3.client("bedrock-runtime")
    assert fake_sts.requests == ()


def test_mfa_serial_without_a_terminal_botocore_prompts_and_fails(
    fake_sts: FakeSts, aws_env: AwsEnv, aws_files: AwsFiles
) -> None:
    """botocore asks for the MFA code with getpass at the first signed call; with no terminal
    (a new session, stdin closed: CI) the prompt ends in EOFError and STS is never called."""
    aws_files.credentials("base")
    aws_files.assume_role("mfa", fake_sts.role_arn("mfa-role"), source_profile="base",
                          mfa_serial="arn:aws:iam::123456789012:mfa/dev")
    aws_env.profile("mfa")
    script = (
        "from pytest_bedrock_creds import guard; guard.install()\n"
        "import boto3\n"
        "try:\n"
        f"    boto3.client('bedrock-runtime').converse(modelId={MODEL!r}, messages={MESSAGES!r})\n"
        "except BaseException as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60, start_new_session=True, check=True)
    assert done.stdout.strip() == "EOFError"
    assert "Enter MFA code for arn:aws:iam::123456789012:mfa/dev" in done.stderr
    assert fake_sts.requests == ()


# -- web identity --------------------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
def test_web_identity_from_the_environment(
    client: str, fake_bedrock: FakeBedrock, fake_sts: FakeSts, aws_env: AwsEnv
) -> None:
    aws_env.web_identity(fake_sts.role_arn("irsa-role"), session_name="pod-7")
    converse(client, fake_bedrock)
    call = fake_sts.assert_auth(action="AssumeRoleWithWebIdentity", role="irsa-role")
    assert (call.auth.scheme, call.web_identity_token, call.role_session_name) == ("none", "valid", "pod-7")
    fake_bedrock.assert_auth(source="web-identity:irsa-role", via=(), signature_valid=True)


@pytest.mark.parametrize("client", CLIENTS)
def test_web_identity_profile(client: str, fake_bedrock: FakeBedrock, fake_sts: FakeSts, aws_files: AwsFiles) -> None:
    aws_files.web_identity_profile("oidc", fake_sts.role_arn("oidc-role"))
    converse(client, fake_bedrock, "oidc")
    assert fake_sts.requests[0].web_identity_token == "valid"
    fake_bedrock.assert_auth(source="web-identity:oidc-role", via=(), signature_valid=True)


def test_web_identity_as_source_profile(fake_bedrock: FakeBedrock, fake_sts: FakeSts, aws_files: AwsFiles) -> None:
    aws_files.web_identity_profile("oidc", fake_sts.role_arn("oidc-role"))
    aws_files.assume_role("invoker", fake_sts.role_arn("invoker"), source_profile="oidc")
    converse("boto3", fake_bedrock, "invoker")
    fake_sts.assert_auth(role="invoker", source="web-identity:oidc-role", via=(), signature_valid=True)
    fake_bedrock.assert_auth(source="assume-role:invoker", via="web-identity:oidc-role", signature_valid=True)


def test_expired_web_identity_token_gets_stss_error(
    fake_bedrock: FakeBedrock, fake_sts: FakeSts, aws_env: AwsEnv
) -> None:
    aws_env.web_identity(fake_sts.role_arn("irsa-role"), expired=True)
    with pytest.raises(ClientError, match="ExpiredTokenException") as exc:
        converse("boto3", fake_bedrock)
    assert exc.value.response["Error"]["Code"] == "ExpiredTokenException"
    assert fake_bedrock.requests == ()


def test_token_written_for_another_role_is_denied(
    fake_bedrock: FakeBedrock, fake_sts: FakeSts, aws_env: AwsEnv
) -> None:
    """botocore takes AWS_ROLE_ARN and the token file key by key: a mismatch reaches STS."""
    aws_env.web_identity(fake_sts.role_arn("role-a"))
    aws_env.set(AWS_ROLE_ARN=fake_sts.role_arn("role-c"))
    with pytest.raises(ClientError, match="AccessDenied"):
        converse("boto3", fake_bedrock)
    assert fake_sts.requests[0].web_identity_token == "other-role"


# -- IAM Identity Center (SSO) ---------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
def test_sso_profile(client: str, fake_bedrock: FakeBedrock, fake_sso_portal: FakeSsoPortal,
                     aws_files: AwsFiles) -> None:
    aws_files.sso_profile("dev", role_name="BedrockUser")
    converse(client, fake_bedrock, "dev")
    call = fake_sso_portal.requests[0]
    assert (call.token, call.role_name, call.account_id, call.status) == ("valid", "BedrockUser", "123456789012", 200)
    fake_bedrock.assert_auth(source="sso:dev", via=(), signature_valid=True)
    assert fake_bedrock.last_request.auth.access_key_id == call.issued_access_key_id


def test_sso_as_source_profile(fake_bedrock: FakeBedrock, fake_sso_portal: FakeSsoPortal, fake_sts: FakeSts,
                               aws_files: AwsFiles) -> None:
    aws_files.sso_profile("dev")
    aws_files.assume_role("invoker", fake_sts.role_arn("invoker"), source_profile="dev")
    converse("boto3", fake_bedrock, "invoker")
    fake_sts.assert_auth(source="sso:dev", via=(), signature_valid=True)
    fake_bedrock.assert_auth(source="assume-role:invoker", via="sso:dev", signature_valid=True)


@pytest.mark.parametrize(
    ("setup", "error", "match"),
    [
        ({"expired": True}, TokenRetrievalError, "Token has expired and refresh failed"),
        ({"cached": False}, SSOTokenLoadError, "Token for dev does not exist"),
    ],
)
def test_sso_token_expired_or_missing_gives_botocores_error(
    fake_bedrock: FakeBedrock, fake_sso_portal: FakeSsoPortal, aws_files: AwsFiles,
    setup: dict[str, bool], error: type[Exception], match: str,
) -> None:
    aws_files.sso_profile("dev", **setup)
    with pytest.raises(error, match=match):
        converse("boto3", fake_bedrock, "dev")
    assert fake_sso_portal.requests == ()
    assert fake_bedrock.requests == ()


def test_sso_role_not_assigned(fake_bedrock: FakeBedrock, fake_sso_portal: FakeSsoPortal,
                               aws_files: AwsFiles) -> None:
    fake_sso_portal.deny("Admin")
    aws_files.sso_profile("dev", role_name="Admin")
    with pytest.raises(ClientError, match="ForbiddenException"):
        converse("boto3", fake_bedrock, "dev")
    assert fake_sso_portal.requests[0].error_code == "ForbiddenException"


def test_sso_cache_is_inside_the_hermetic_home(fake_sso_portal: FakeSsoPortal, aws_env: AwsEnv,
                                               aws_files: AwsFiles) -> None:
    import botocore.credentials
    import botocore.tokens

    aws_files.sso_profile("dev")
    expected = str(aws_env.home / ".aws" / "sso" / "cache")
    assert expected == botocore.credentials.SSOProvider._SSO_TOKEN_CACHE_DIR
    assert expected == botocore.tokens.SSOTokenProvider._SSO_TOKEN_CACHE_DIR
    assert len(list((aws_env.home / ".aws" / "sso" / "cache").glob("*.json"))) == 1


# -- credential_process --------------------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
def test_credential_process(client: str, fake_bedrock: FakeBedrock, aws_files: AwsFiles) -> None:
    issued = aws_files.credential_process("tool")
    converse(client, fake_bedrock, "tool")
    request = fake_bedrock.assert_auth(source="process:tool", via=(), signature_valid=True)
    assert issued is not None and request.auth.access_key_id == issued.access_key_id


def test_credential_process_as_source_profile(fake_bedrock: FakeBedrock, fake_sts: FakeSts,
                                              aws_files: AwsFiles) -> None:
    aws_files.credential_process("tool")
    aws_files.assume_role("invoker", fake_sts.role_arn("invoker"), source_profile="tool")
    converse("boto3", fake_bedrock, "invoker")
    fake_sts.assert_auth(source="process:tool", via=(), signature_valid=True)
    fake_bedrock.assert_auth(source="assume-role:invoker", via="process:tool", signature_valid=True)


@pytest.mark.parametrize(
    ("fault", "error", "match"),
    [
        ({"exit_code": 3}, CredentialRetrievalError, "exited with 3"),
        # botocore passes the JSON parser's error through unwrapped
        ({"output": "{not json"}, json.JSONDecodeError, "Expecting property name"),
        ({"output": json.dumps({"Version": 2})}, CredentialRetrievalError, "Unsupported version '2'"),
        ({"expired": True}, RuntimeError, "refreshed credentials are still expired"),
    ],
)
def test_credential_process_faults(
    fake_bedrock: FakeBedrock, aws_files: AwsFiles, fault: dict[str, object], error: type[Exception], match: str
) -> None:
    aws_files.credential_process("tool", **fault)  # type: ignore[arg-type]
    with pytest.raises(error, match=match):
        converse("boto3", fake_bedrock, "tool")
    assert fake_bedrock.requests == ()


# -- login (aws login) -----------------------------------------------------------------------------------------


def _has_awscrt() -> bool:
    try:
        import awscrt  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(_has_awscrt(), reason="awscrt is installed: botocore's login provider can load")
@pytest.mark.parametrize("with_bearer", [False, True], ids=["alone", "with-bearer-token"])
def test_login_session_without_awscrt_breaks_the_chain(
    fake_bedrock: FakeBedrock, aws_env: AwsEnv, aws_files: AwsFiles, with_bearer: bool
) -> None:
    """botocore 1.44 needs botocore[crt] for login_session and raises even when a bearer token
    would be used for the request (the chain runs at client creation): litellm PR #39411."""
    from botocore.exceptions import MissingDependencyException

    aws_files.login_profile("console")
    if with_bearer:
        aws_env.bearer_token()
    with pytest.raises(MissingDependencyException, match=r"botocore\[crt\]"):
        converse("boto3", fake_bedrock, "console")
    assert fake_bedrock.requests == ()


@pytest.mark.skipif(not _has_awscrt(), reason="needs awscrt (botocore[crt]) for the login provider")
def test_login_session_reads_the_login_cache(fake_bedrock: FakeBedrock, aws_files: AwsFiles) -> None:
    aws_files.login_profile("console")
    converse("boto3", fake_bedrock, "console")
    fake_bedrock.assert_auth(source="login:console", via=(), signature_valid=True)


def test_every_source_label_is_known_to_the_ledger() -> None:
    from pytest_bedrock_creds.ledger import is_source_label

    labels: list[str] = ["assume-role:r", "web-identity:r", "sso:dev", "process:tool", "login:console"]
    assert all(is_source_label(label) for label in labels)
    check: Callable[[str], bool] = is_source_label
    assert not check("assume-role:") and not check("sso")
