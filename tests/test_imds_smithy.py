"""The smithy-based stack (aws-sdk-bedrock-runtime + aws-credentials-imds) against FakeImds.

Python 3.12+ only; skipped cleanly elsewhere. The identity chain is built the way the
Bedrock client builds it (``IdentityChain.create``), and one test signs a real ``converse``
call with the credentials. Observed behaviour: IMDSv2 only (no v1 fallback), the legacy
credentials path without a trailing slash, no timeout, no retry.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from _fake_helpers import SigningRecorder, attached, converse, flow, issued_keys, resolve, resolve_while_stopping
from freezegun import freeze_time

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.servers.imds import FakeImds

pytest.importorskip("aws_credentials_imds")
pytest.importorskip("aws_sdk_bedrock_runtime.client")
from smithy_aws_core.identity import AWSCredentialsIdentity
from smithy_aws_core.identity.chain import IdentityChain
from smithy_core.exceptions import SmithyError
from smithy_http.aio.aiohttp import AIOHTTPClient

LIST = "/latest/meta-data/iam/security-credentials"
ROLE = LIST + "/app-role"
TOKEN = "/latest/api/token"


@pytest.mark.parametrize("v1_enabled", [False, True])
def test_smithy_gets_credentials_with_the_token_flow(fake_imds: FakeImds, v1_enabled: bool) -> None:
    issued = fake_imds.add_role("app-role")
    fake_imds.v1_enabled = v1_enabled
    identity = resolve()
    assert (identity.access_key_id, identity.secret_access_key, identity.session_token) == issued_keys(issued)
    assert identity.expiration == issued.expiration
    assert identity.account_id is None  # the legacy path carries no AccountId
    assert flow(fake_imds) == [("PUT", TOKEN, 200, "v2"), ("GET", LIST, 200, "v2"), ("GET", ROLE, 200, "v2")]
    assert all((r.user_agent or "").startswith("aws-sdk-python-imds-client/") for r in fake_imds.requests)


def test_bedrock_converse_is_signed_with_the_imds_credentials(fake_imds: FakeImds) -> None:
    issued = fake_imds.add_role("app-role")
    with SigningRecorder.converse() as bedrock:
        assert asyncio.run(converse(bedrock.url)) == "end_turn"
    ((auth, security_token),) = bedrock.seen
    assert f"Credential={issued.access_key_id}/" in auth
    assert security_token == issued.session_token


@pytest.mark.parametrize("status", [403, 404, 405, 500])
def test_token_refused_smithy_raises_even_with_v1_enabled(fake_imds: FakeImds, status: int) -> None:
    """No IMDSv1 fallback: the chain fails on the token step."""
    fake_imds.add_role("app-role")
    fake_imds.v1_enabled = True
    fake_imds.fail("token", status=status)
    with pytest.raises(SmithyError, match=f"IMDS returned {status} when fetching a metadata token"):
        resolve()
    assert flow(fake_imds) == [("PUT", TOKEN, status, None)]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (lambda f: f.fail("role-list", status=500), f"IMDS returned 500 for path '{LIST}'"),
        (lambda f: f.fail("credentials", status=500), f"IMDS returned 500 for path '{ROLE}'"),
        (lambda f: f.add_role("app-role", unauthorized=True), "AccessKeyId and SecretAccessKey are required"),
    ],
    ids=["role-list-500", "credentials-500", "unauthorized"],
)
def test_metadata_faults_smithy_chain_raises(
    fake_imds: FakeImds, fault: Callable[[FakeImds], object], message: str
) -> None:
    fake_imds.add_role("app-role")
    fault(fake_imds)
    with pytest.raises(SmithyError, match=message):
        resolve()


def test_malformed_json_escapes_the_chain_as_a_json_error(fake_imds: FakeImds) -> None:
    """aws-credentials-imds 0.4.0 does not wrap the parse error in SmithyIdentityError."""
    fake_imds.add_role("app-role")
    fake_imds.malformed_json()
    with pytest.raises(json.JSONDecodeError):
        resolve()


def test_connection_reset_escapes_the_chain_as_an_aiohttp_error(fake_imds: FakeImds) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    fake_imds.add_role("app-role")
    fake_imds.reset_connection(target="token")
    with pytest.raises(aiohttp.ClientError):
        resolve()
    assert all(r.fault == "reset on token" for r in fake_imds.requests)


def test_delay_is_ridden_out(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    fake_imds.delay(0.2)
    assert resolve().access_key_id == fake_imds.credentials("app-role").access_key_id


def test_hop_limit_hang_smithy_waits_until_the_connection_drops(aws_env: AwsEnv) -> None:
    """No effective timeout: the resolver is still waiting when the PUT is known to hang."""
    with attached(aws_env, FakeImds(ledger=aws_env.ledger)) as imds:  # stopped mid-test: not the session's
        imds.add_role("app-role")
        imds.hang(target="token")
        still_waiting, error = resolve_while_stopping(imds)
        assert still_waiting
        assert error is not None
        assert imds.requests[0].fault == "hang on token"


def test_expired_credentials_smithy_refuses_to_sign(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role", expired=True)
    with SigningRecorder.converse() as bedrock, pytest.raises(SmithyError, match="Provided identity expired"):
        asyncio.run(converse(bedrock.url))
    assert bedrock.seen == []


def test_credentials_expire_and_smithy_fetches_new_ones(fake_imds: FakeImds) -> None:
    """No early refresh: the cached identity is used until it expires, then IMDS is asked again."""

    async def scenario(frozen: Any) -> tuple[str, str, str]:
        async with AIOHTTPClient() as http:
            chain = await IdentityChain.create(AWSCredentialsIdentity, http_client=http)
            first = (await chain.get_identity(properties={})).access_key_id
            frozen.tick(timedelta(hours=5, minutes=59))
            cached = (await chain.get_identity(properties={})).access_key_id
            frozen.tick(timedelta(minutes=1))
            renewed = (await chain.get_identity(properties={})).access_key_id
        return first, cached, renewed

    with freeze_time("2026-11-21T10:00:00Z", real_asyncio=True) as frozen:
        issued = fake_imds.add_role("app-role")
        first, cached, renewed = asyncio.run(scenario(frozen))
        current = fake_imds.credentials("app-role")
    assert first == cached == issued.access_key_id
    assert renewed == current.access_key_id != issued.access_key_id
    # the token (6 h client-side TTL) expired too, so the refresh starts with a new PUT
    assert [r.method for r in fake_imds.requests] == ["PUT", "GET", "GET", "PUT", "GET", "GET"]
