"""The reference chain's container and IMDS resolvers against the fakes, beside botocore."""

from __future__ import annotations

import pytest

from pytest_bedrock_creds import AwsEnv, AwsFiles, FakeContainerCredentials, FakeImds
from pytest_bedrock_creds.chain import resolve
from pytest_bedrock_creds.probe import botocore_outcome

Outcome = tuple[str | None, str | None, str | None]


def both(aws_env: AwsEnv) -> tuple[Outcome, Outcome]:
    ref = resolve()
    real = botocore_outcome(aws_env.ledger)
    return (ref.scheme, ref.source, ref.access_key_id), (real.scheme, real.source, real.access_key_id)


def test_imds_v2_role(aws_env: AwsEnv, fake_imds: FakeImds) -> None:
    issued = fake_imds.add_role("app-role")
    ref, real = both(aws_env)
    assert ref == real == ("sigv4", "imds:app-role", issued.access_key_id)
    reference_flow = [(r.method, r.path, r.version) for r in fake_imds.requests][:3]
    assert reference_flow == [
        ("PUT", "/latest/api/token", "v2"),
        ("GET", "/latest/meta-data/iam/security-credentials/", "v2"),
        ("GET", "/latest/meta-data/iam/security-credentials/app-role", "v2"),
    ]


@pytest.mark.parametrize("status", [403, 404, 405])
def test_imds_v1_fallback_when_the_token_is_refused(aws_env: AwsEnv, fake_imds: FakeImds, status: int) -> None:
    fake_imds.v1_enabled = True
    fake_imds.add_role("legacy")
    fake_imds.fail("token", status=status)
    ref, real = both(aws_env)
    assert ref[:2] == real[:2] == ("sigv4", "imds:legacy")
    assert {r.version for r in fake_imds.requests if r.method == "GET"} == {"v1"}


def test_imds_v1_disabled_gives_no_credentials(aws_env: AwsEnv, fake_imds: FakeImds) -> None:
    fake_imds.v1_enabled = True
    fake_imds.add_role("legacy")
    fake_imds.fail("token", status=403)
    aws_env.set(AWS_EC2_METADATA_V1_DISABLED="true")
    result = resolve()
    assert result.error is not None and "IMDSv1 is disabled by AWS_EC2_METADATA_V1_DISABLED" in result.explain()
    assert botocore_outcome(aws_env.ledger).error is not None  # MetadataRetrievalError


def test_imds_disabled_sends_nothing(aws_env: AwsEnv, fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    aws_env.set(AWS_EC2_METADATA_DISABLED="TRUE")
    ref, real = both(aws_env)
    assert ref == real == (None, None, None)
    assert fake_imds.requests == ()


@pytest.mark.parametrize("target", ["role-list", "credentials"])
def test_imds_fault_means_no_credentials(aws_env: AwsEnv, fake_imds: FakeImds, target: str) -> None:
    fake_imds.add_role("app-role")
    fake_imds.fail(target, status=500)
    ref, real = both(aws_env)
    assert ref == real == (None, None, None)
    assert "HTTP 500 after 1 attempt(s)" in resolve().trace[-1].reason


def test_unauthorized_role_document(aws_env: AwsEnv, fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role", unauthorized=True)
    result = resolve()
    assert result.error is not None and "AssumeRoleUnauthorizedAccess" in result.trace[-1].reason
    assert botocore_outcome(aws_env.ledger).error is not None


def test_container(aws_env: AwsEnv, fake_container_credentials: FakeContainerCredentials) -> None:
    issued = fake_container_credentials.issue()
    ref, real = both(aws_env)
    assert ref == real == ("sigv4", "container", issued.access_key_id)
    assert [r.authorization for r in fake_container_credentials.requests] == ["valid", "valid"]


def test_container_beats_imds_and_files_beat_container(
    aws_env: AwsEnv, aws_files: AwsFiles, fake_imds: FakeImds, fake_container_credentials: FakeContainerCredentials
) -> None:
    fake_imds.add_role("app-role")
    fake_container_credentials.issue()
    ref, real = both(aws_env)
    assert ref[:2] == real[:2] == ("sigv4", "container")
    aws_files.config_credentials()
    ref, real = both(aws_env)
    assert ref[:2] == real[:2] == ("sigv4", "config-file:default")


def test_container_with_a_wrong_token_stops_the_chain(
    aws_env: AwsEnv, fake_imds: FakeImds, fake_container_credentials: FakeContainerCredentials
) -> None:
    fake_imds.add_role("app-role")
    fake_container_credentials.issue()
    aws_env.set(AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong-token")
    result = resolve()
    assert result.error is not None and "answered HTTP 403" in result.error
    assert "CredentialRetrievalError" in (botocore_outcome(aws_env.ledger).error or "")


def test_container_token_file_wins_over_token(
    aws_env: AwsEnv, fake_container_credentials: FakeContainerCredentials
) -> None:
    issued = fake_container_credentials.issue()
    token_file = aws_env.home / "token"
    assert fake_container_credentials.auth_token is not None
    token_file.write_text(fake_container_credentials.auth_token)
    aws_env.set(AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong-token", AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file))
    ref, real = both(aws_env)
    assert ref == real == ("sigv4", "container", issued.access_key_id)
