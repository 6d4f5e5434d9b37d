"""aws-credentials-http (the smithy stack of aws-sdk-bedrock-runtime) against FakeContainerCredentials.

Python 3.12+ only; skipped cleanly elsewhere. Observed behaviour: 3 attempts with a 1 s
sleep between them for any failure, the token file is stripped, and the declared 2 s read
timeout is not applied by the aiohttp transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _fake_helpers import (
    SigningRecorder,
    attached,
    container_credentials,
    converse,
    issued_keys,
    resolve,
    resolve_while_stopping,
)

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.servers.container import FakeContainerCredentials

pytest.importorskip("aws_credentials_http")
from smithy_core.exceptions import SmithyError


@pytest.fixture(params=["ecs", "eks"])
def fake(request: pytest.FixtureRequest, aws_env: AwsEnv) -> Iterator[FakeContainerCredentials]:
    yield from container_credentials(request, aws_env)


def test_smithy_gets_the_issued_credentials(fake: FakeContainerCredentials) -> None:
    issued = fake.issue()
    identity = resolve()
    assert (identity.access_key_id, identity.secret_access_key, identity.session_token) == issued_keys(issued)
    assert identity.expiration == issued.expiration
    assert identity.account_id == (fake.ledger.account_id if fake.flavour == "eks" else None)
    assert [(r.status, r.authorization) for r in fake.requests] == [(200, "valid")]


def test_token_file_with_trailing_newline_is_stripped(
    fake: FakeContainerCredentials, aws_env: AwsEnv, tmp_path: Path
) -> None:
    issued = fake.issue()
    token_file = tmp_path / "token"
    token_file.write_text(f"{fake.auth_token}\n")
    aws_env.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    aws_env.set(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file))
    assert resolve().access_key_id == issued.access_key_id
    assert fake.requests[0].authorization == "valid"


@pytest.mark.parametrize("fake", ["ecs"], indirect=True)
def test_one_failure_smithy_retries_and_succeeds(fake: FakeContainerCredentials) -> None:
    issued = fake.issue()
    fake.fail(status=503, times=1)
    assert resolve().access_key_id == issued.access_key_id
    assert [r.status for r in fake.requests] == [503, 200]


@pytest.mark.parametrize(
    ("fault", "requests"),
    [
        (lambda f: f.fail(status=500), 3),
        (lambda f: f.malformed_json(), 3),
        (lambda f: f.reset_connection(), 6),  # aiohttp itself retries a reset idempotent GET once
    ],
    ids=["status-500", "malformed-json", "reset"],
)
@pytest.mark.parametrize("fake", ["eks"], indirect=True)  # the same in both flavours; 2 s each
def test_persistent_fault_smithy_raises_after_three_attempts(
    fake: FakeContainerCredentials, fault: Callable[[FakeContainerCredentials], None], requests: int
) -> None:
    fake.issue()
    fault(fake)
    with pytest.raises(SmithyError, match="Failed to retrieve container metadata after 3 attempt"):
        resolve()
    assert len(fake.requests) == requests


@pytest.mark.parametrize(("fake", "status"), [("ecs", 403), ("eks", 403)], indirect=["fake"])
def test_wrong_token_smithy_raises(fake: FakeContainerCredentials, aws_env: AwsEnv, status: int) -> None:
    fake.issue()
    aws_env.set(AWS_CONTAINER_AUTHORIZATION_TOKEN="not-the-token")
    with pytest.raises(SmithyError, match="Failed to retrieve container metadata"):
        resolve()
    assert [r.status for r in fake.requests] == [status] * 3


def test_hang_smithy_waits_despite_its_2s_timeout(aws_env: AwsEnv) -> None:
    """The declared read timeout is not applied: the resolver waits until the connection drops."""
    with attached(aws_env, FakeContainerCredentials(ledger=aws_env.ledger)) as fake:  # stopped: not the session's
        fake.issue()
        fake.hang()
        still_waiting, error = resolve_while_stopping(fake)
        assert still_waiting
        assert isinstance(error, SmithyError)
        assert fake.requests[0].fault == "hang on any"


# -- a real Bedrock call signed with the container credentials ----------------------------------------
pytest.importorskip("aws_sdk_bedrock_runtime.client")


def test_bedrock_converse_is_signed_with_the_container_credentials(fake: FakeContainerCredentials) -> None:
    issued = fake.issue()
    fake.delay(0.1)  # a slow agent is ridden out
    with SigningRecorder.converse() as bedrock:
        assert asyncio.run(converse(bedrock.url)) == "end_turn"
    ((auth, security_token),) = bedrock.seen
    assert f"Credential={issued.access_key_id}/" in auth
    assert security_token == issued.session_token
    assert fake.requests[0].fault == "delay 0.1s on any"


def test_expired_container_credentials_smithy_refuses_to_sign(fake: FakeContainerCredentials) -> None:
    fake.issue(expired=True)
    with SigningRecorder.converse() as bedrock, pytest.raises(SmithyError, match="Provided identity expired"):
        asyncio.run(converse(bedrock.url))
    assert bedrock.seen == []
