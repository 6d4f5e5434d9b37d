"""The parts under the rest of the chain: lineage in the ledger, the token kinds, the writers in
``aws_env``/``aws_files``, the SSO portal's checks, the SSO cache redirect, and no secret in our output."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shlex
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.files import AwsFiles
from pytest_bedrock_creds.ledger import IssuedToken, Ledger
from pytest_bedrock_creds.servers.bedrock import FakeBedrock
from pytest_bedrock_creds.servers.sso import FakeSsoPortal
from pytest_bedrock_creds.servers.sts import FakeSts

MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


# -- ledger --------------------------------------------------------------------------------------------


def test_lineage_follows_credential_issuers_and_stops_at_a_token() -> None:
    ledger = Ledger()
    base = ledger.issue_credentials("shared-credentials-file:base")
    middle = ledger.issue_credentials("assume-role:middle", temporary=True, issuer=base)
    top = ledger.issue_credentials("assume-role:top", temporary=True, issuer=middle)
    assert base.lineage == ("shared-credentials-file:base",)
    assert top.lineage == ("assume-role:top", "assume-role:middle", "shared-credentials-file:base")
    token = ledger.issue_token("web-identity:irsa")
    web = ledger.issue_credentials("web-identity:irsa", temporary=True, issuer=token)
    assert web.lineage == ("web-identity:irsa",)
    assert "via=('assume-role:middle', 'shared-credentials-file:base')" in repr(top)
    assert ledger.attribute_key(top.access_key_id).describe("k") == (
        "the ledger issued k to: assume-role:top (via assume-role:middle <- shared-credentials-file:base)")


def test_token_kinds_have_their_real_shapes() -> None:
    ledger = Ledger()
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    api_key = ledger.issue_token("bearer:env")
    jwt = ledger.issue_token("web-identity:r", expiration=soon)
    sso = ledger.issue_token("sso:dev", expiration=soon)
    assert (api_key.kind, jwt.kind, sso.kind) == ("bedrock-api-key", "web-identity", "sso")
    assert api_key.token.startswith("ABSK")
    assert jwt.token.count(".") == 2
    import base64

    claims = json.loads(base64.urlsafe_b64decode(jwt.token.split(".")[1] + "=="))
    assert claims["exp"] == int(soon.timestamp())
    assert sso.token.startswith("aoa")
    for bad in ("bearer:other", "env", "imds:x"):
        with pytest.raises(ValueError, match=r"tokens (are issued to|come from)"):
            ledger.issue_token(bad)
    assert jwt.token not in repr(jwt) and sso.token not in repr(sso)


@pytest.mark.parametrize("label", ["assume-role:", "web-identity: ", "sso:", "process:", "login:", "imds:"])
def test_a_prefix_without_a_name_is_not_a_label(label: str) -> None:
    with pytest.raises(ValueError, match="unknown credential source"):
        Ledger().issue_credentials(label)


def test_bedrock_refuses_web_identity_and_sso_tokens_as_api_keys(
    fake_bedrock: FakeBedrock, aws_env: AwsEnv, bedrock_ledger: Ledger
) -> None:
    for source in ("web-identity:r", "sso:dev"):
        token = bedrock_ledger.issue_token(source).token
        aws_env.set(AWS_BEARER_TOKEN_BEDROCK=token)
        with pytest.raises(ClientError, match="AccessDeniedException"):
            boto3.Session().client("bedrock-runtime").converse(modelId="m", messages=MESSAGES)
        auth = fake_bedrock.last_request.auth
        assert (auth.scheme, auth.source, auth.error, auth.lineage) == ("bearer", None, "AccessDeniedException", ())


# -- aws_env / aws_files writers ----------------------------------------------------------------------------


def test_web_identity_sets_the_three_variables(aws_env: AwsEnv, bedrock_ledger: Ledger) -> None:
    arn = "arn:aws:iam::123456789012:role/team/irsa"
    token = aws_env.web_identity(arn, session_name="pod-1")
    path = Path(os.environ["AWS_WEB_IDENTITY_TOKEN_FILE"])
    assert path.read_text() == token.token and aws_env.home in path.parents
    assert (os.environ["AWS_ROLE_ARN"], os.environ["AWS_ROLE_SESSION_NAME"]) == (arn, "pod-1")
    assert token.source == "web-identity:irsa"
    aws_env.web_identity(arn)
    assert "AWS_ROLE_SESSION_NAME" not in os.environ
    assert Path(os.environ["AWS_WEB_IDENTITY_TOKEN_FILE"]) != path
    with pytest.raises(ValueError, match="not an IAM role ARN"):
        aws_env.web_identity("irsa")


def test_assume_role_profile_is_written_as_given(aws_files: AwsFiles) -> None:
    aws_files.assume_role("p", "arn:aws:iam::123456789012:role/r", source_profile="base", role_session_name="s",
                          duration_seconds=1800, external_id="x", mfa_serial="arn:aws:iam::123456789012:mfa/m",
                          region="eu-west-1")
    text = aws_files.config_path.read_text()
    assert text.splitlines() == [
        "[profile p]", "role_arn = arn:aws:iam::123456789012:role/r", "source_profile = base",
        "role_session_name = s", "external_id = x", "mfa_serial = arn:aws:iam::123456789012:mfa/m",
        "duration_seconds = 1800", "region = eu-west-1",
    ]
    with pytest.raises(ValueError, match="not an IAM role ARN"):
        aws_files.assume_role("q", "role/r", source_profile="base")


def test_credential_process_script_prints_version_1_json(aws_files: AwsFiles) -> None:
    issued = aws_files.credential_process("tool")
    assert issued is not None and issued.source == "process:tool"
    command = aws_files.config_path.read_text().split("credential_process = ", 1)[1].splitlines()[0]
    done = subprocess.run(shlex.split(command), capture_output=True, text=True, check=True, timeout=30)
    document = json.loads(done.stdout)
    assert document["Version"] == 1
    assert (document["AccessKeyId"], document["SecretAccessKey"], document["SessionToken"]) == (
        issued.access_key_id, issued.secret_access_key, issued.session_token)
    assert aws_files.credential_process("other", output="{oops") is None
    failing = aws_files.config_path.read_text()
    assert "[profile other]" in failing
    with pytest.raises(ValueError, match="exit_code must be"):
        aws_files.credential_process("bad", exit_code=256)


def test_sso_profile_writes_session_profile_and_cache(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    token = aws_files.sso_profile("dev", session="corp", role_name="BedrockUser")
    text = aws_files.config_path.read_text()
    assert "[sso-session corp]" in text and "sso_start_url = https://bedrock-creds.awsapps.com/start" in text
    assert "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = BedrockUser" in text
    cache = aws_env.home / ".aws" / "sso" / "cache" / (hashlib.sha1(b"corp").hexdigest() + ".json")
    document = json.loads(cache.read_text())
    assert document["accessToken"] == token.token
    assert document["expiresAt"].endswith("Z") and token.expiration is not None
    with pytest.raises(ValueError, match="already serves profile 'dev'"):
        aws_files.sso_profile("ops", session="corp")


def test_login_profile_writes_the_login_cache(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    issued = aws_files.login_profile("console")
    session = "arn:aws:iam::123456789012:user/console"
    assert f"login_session = {session}" in aws_files.config_path.read_text()
    path = aws_env.home / ".aws" / "login" / "cache" / (hashlib.sha256(session.encode()).hexdigest() + ".json")
    document = json.loads(path.read_text())
    assert document["accessToken"]["accessKeyId"] == issued.access_key_id
    assert {"refreshToken", "clientId", "dpopKey"} <= set(document)
    assert issued.source == "login:console"


# -- the SSO cache redirect ---------------------------------------------------------------------------------


def test_sso_cache_redirect_is_restored_when_the_env_stops() -> None:
    import botocore.credentials
    import botocore.tokens

    before = (botocore.credentials.SSOProvider._SSO_TOKEN_CACHE_DIR,
              botocore.tokens.SSOTokenProvider._SSO_TOKEN_CACHE_DIR)
    with AwsEnv() as env:
        inside = str(env.home / ".aws" / "sso" / "cache")
        assert inside == botocore.credentials.SSOProvider._SSO_TOKEN_CACHE_DIR
        assert inside == botocore.tokens.SSOTokenProvider._SSO_TOKEN_CACHE_DIR
    assert before == (botocore.credentials.SSOProvider._SSO_TOKEN_CACHE_DIR,
            botocore.tokens.SSOTokenProvider._SSO_TOKEN_CACHE_DIR)


# -- FakeSsoPortal on the wire -------------------------------------------------------------------------------


def test_portal_checks_the_token(fake_sso_portal: FakeSsoPortal, bedrock_ledger: Ledger) -> None:
    url = fake_sso_portal.url + "/federation/credentials?account_id=123456789012&role_name=R"
    expired = bedrock_ledger.issue_token("sso:old", expiration=datetime.now(timezone.utc) - timedelta(seconds=1))
    valid = bedrock_ledger.issue_token("sso:dev", expiration=datetime.now(timezone.utc) + timedelta(hours=1))
    cases: list[tuple[dict[str, str], int, str]] = [
        ({}, 401, "missing"),
        ({"x-amz-sso_bearer_token": "aoa-never-issued"}, 401, "unknown"),
        ({"x-amz-sso_bearer_token": bedrock_ledger.issue_token("bearer:env").token}, 401, "unknown"),
        ({"x-amz-sso_bearer_token": expired.token}, 401, "expired"),
        ({"x-amz-sso_bearer_token": valid.token}, 200, "valid"),
    ]
    for headers, status, check in cases:
        reply = requests.get(url, headers=headers, timeout=5)
        assert (reply.status_code, fake_sso_portal.requests[-1].token) == (status, check)
    assert reply.json()["roleCredentials"]["accessKeyId"] == fake_sso_portal.issued[0].access_key_id
    issued = fake_sso_portal.issued[0]
    assert issued.source == "sso:dev" and isinstance(issued.issuer, IssuedToken)
    other_account = requests.get(url.replace("123456789012", "999999999999"),
                                 headers={"x-amz-sso_bearer_token": valid.token}, timeout=5)
    assert (other_account.status_code, other_account.headers["x-amzn-ErrorType"]) == (403, "ForbiddenException")
    fake_sso_portal.fail(status=500, times=1)
    assert requests.get(url, headers={"x-amz-sso_bearer_token": valid.token}, timeout=5).status_code == 500
    assert fake_sso_portal.requests[-1].fault == "status 500 on credentials"
    fake_sso_portal.reset()
    assert fake_sso_portal.requests == () and fake_sso_portal.issued == ()


# -- nothing leaks ---------------------------------------------------------------------------------------------


def test_rest_of_chain_flows_leak_no_secret(
    caplog: pytest.LogCaptureFixture, fake_bedrock: FakeBedrock, fake_sts: FakeSts, fake_sso_portal: FakeSsoPortal,
    aws_env: AwsEnv, aws_files: AwsFiles, bedrock_ledger: Ledger,
) -> None:
    caplog.set_level(logging.DEBUG, logger="pytest_bedrock_creds")
    aws_files.credentials("base")
    aws_files.assume_role("invoker", fake_sts.role_arn("invoker"), source_profile="base")
    aws_files.sso_profile("dev")
    aws_files.credential_process("tool")
    aws_env.web_identity(fake_sts.role_arn("irsa"))
    for profile in ("invoker", "dev", "tool", None):
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        session.client("bedrock-runtime").converse(modelId="m", messages=MESSAGES)
    with pytest.raises(AssertionError) as failed:
        fake_bedrock.assert_auth(source="env", via="imds:x")
    with pytest.raises(AssertionError) as failed_sts:
        fake_sts.assert_auth(source="env")
    printed = [str(failed.value), str(failed_sts.value), repr(fake_sts), repr(fake_sso_portal), repr(aws_env),
               *map(repr, fake_sts.requests), *map(repr, fake_sso_portal.requests), *map(repr, fake_sts.issued),
               *map(repr, fake_sso_portal.issued), *map(repr, fake_bedrock.requests), caplog.text]
    text = "\n".join(printed)
    leaked = [s for s in bedrock_ledger.secrets() if s in text]
    assert not leaked, f"{len(leaked)} secret(s) printed"
    assert len(fake_bedrock.requests) == 4
