"""Unmodified botocore against FakeContainerCredentials (ECS and EKS Pod Identity flavours).

botocore makes up to 3 attempts with a 1 s sleep after each failure, so each failing
case takes about 3 s; there is no documented setting to shorten it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _fake_helpers import container_credentials, issued_keys

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.servers.container import FakeContainerCredentials

botocore_session = pytest.importorskip("botocore.session")
from botocore.exceptions import CredentialRetrievalError  # noqa: E402


@pytest.fixture(params=["ecs", "eks"])
def fake(request: pytest.FixtureRequest, aws_env: AwsEnv) -> Iterator[FakeContainerCredentials]:
    """In ``aws_env``, which sets AWS_EC2_METADATA_DISABLED: a miss must not wait on 169.254.169.254."""
    yield from container_credentials(request, aws_env)


def test_botocore_gets_the_issued_credentials(fake: FakeContainerCredentials) -> None:
    issued = fake.issue()
    creds = botocore_session.Session().get_credentials()
    assert creds is not None
    assert creds.method == "container-role"
    frozen = creds.get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == issued_keys(issued)
    assert [(r.method, r.status, r.authorization) for r in fake.requests] == [("GET", 200, "valid")]


def test_botocore_reads_the_token_file(fake: FakeContainerCredentials, aws_env: AwsEnv, tmp_path: Path) -> None:
    issued = fake.issue()
    aws_env.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    aws_env.set(**fake.env(token_file=tmp_path / "token"))
    creds = botocore_session.Session().get_credentials()
    assert creds.get_frozen_credentials().access_key == issued.access_key_id
    assert fake.requests[0].authorization == "valid"


def test_token_file_with_trailing_newline_botocore_raises_before_any_request(
    fake: FakeContainerCredentials, aws_env: AwsEnv, tmp_path: Path
) -> None:
    fake.issue()
    token_file = tmp_path / "token"
    token_file.write_text(f"{fake.auth_token}\n")
    aws_env.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    aws_env.set(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file))
    with pytest.raises(ValueError, match="not a legal header value"):
        botocore_session.Session().get_credentials()
    assert fake.requests == ()


def test_one_failure_botocore_retries_and_succeeds(fake: FakeContainerCredentials) -> None:
    issued = fake.issue()
    fake.fail(status=500, times=1)
    creds = botocore_session.Session().get_credentials()
    assert creds.get_frozen_credentials().access_key == issued.access_key_id
    assert [r.status for r in fake.requests] == [500, 200]


@pytest.mark.parametrize("fake", ["eks"], indirect=True)
def test_one_hang_botocore_times_out_and_retries(fake: FakeContainerCredentials) -> None:
    issued = fake.issue()
    fake.hang(times=1)
    creds = botocore_session.Session().get_credentials()
    assert creds.get_frozen_credentials().access_key == issued.access_key_id
    assert [r.status for r in fake.requests] == [None, 200]


def test_short_delay_is_ridden_out(fake: FakeContainerCredentials) -> None:
    fake.issue()
    fake.delay(0.1)
    assert botocore_session.Session().get_credentials() is not None
    assert fake.requests[0].fault == "delay 0.1s on any"


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (lambda f: f.fail(status=500), "non 200 response 500"),
        (lambda f: f.malformed_json(), "Unable to parse JSON"),
        (lambda f: f.reset_connection(), "Received error when attempting to retrieve container metadata"),
    ],
    ids=["status-500", "malformed-json", "reset"],
)
@pytest.mark.parametrize("fake", ["ecs"], indirect=True)  # the same in both flavours; 3 s each
def test_persistent_fault_botocore_raises_after_three_attempts(
    fake: FakeContainerCredentials, fault: Callable[[FakeContainerCredentials], None], message: str
) -> None:
    """Unlike IMDS, a container failure escapes get_credentials() instead of falling through."""
    fake.issue()
    fault(fake)
    with pytest.raises(CredentialRetrievalError, match=message):
        botocore_session.Session().get_credentials()
    assert len(fake.requests) == 3


@pytest.mark.parametrize(("fake", "sent", "status"), [("ecs", "wrong", 403), ("eks", "bearer", 400)], indirect=["fake"])
def test_wrong_token_botocore_raises(fake: FakeContainerCredentials, aws_env: AwsEnv, sent: str, status: int) -> None:
    fake.issue()
    token = f"Bearer {fake.auth_token}" if sent == "bearer" else "not-the-token"
    aws_env.set(AWS_CONTAINER_AUTHORIZATION_TOKEN=token)
    with pytest.raises(CredentialRetrievalError, match=f"non 200 response {status}"):
        botocore_session.Session().get_credentials()
    assert {r.authorization for r in fake.requests} == {"invalid"}


def test_already_expired_credentials_botocore_refuses_them(fake: FakeContainerCredentials) -> None:
    """No static-stability extension for container credentials: botocore raises."""
    fake.issue(expired=True)
    with pytest.raises(RuntimeError, match="still expired"):
        botocore_session.Session().get_credentials().get_frozen_credentials()


def test_attached_through_aws_env() -> None:
    """Without the fixtures: AwsEnv isolates the process environment; attach() adds FULL_URI and the token."""
    with FakeContainerCredentials() as server, AwsEnv(ledger=server.ledger) as env:
        issued = server.issue()
        env.attach(server)
        creds = botocore_session.Session().get_credentials()
        assert creds.get_frozen_credentials().access_key == issued.access_key_id
        assert server.requests[0].authorization == "valid"
