"""aiobotocore, unmodified, against the fakes: its own async credential providers and refresh
behave as botocore's (the catalogue shows the precedence; these show the refresh and the wire)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import boto3
import pytest
from freezegun import freeze_time

aiobotocore_session = pytest.importorskip("aiobotocore.session")

from pytest_bedrock_creds import AwsEnv, FakeBedrock, FakeImds  # noqa: E402

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


def _converse() -> None:
    async def call() -> Any:
        async with aiobotocore_session.AioSession().create_client("bedrock-runtime") as client:
            return await client.converse(modelId=MODEL, messages=MESSAGES)

    asyncio.run(call())


def test_signs_what_botocore_signs(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    """AWS_ENDPOINT_URL_BEDROCK_RUNTIME and AWS_CA_BUNDLE reach it as they reach boto3."""
    aws_env.static_keys(session_token=True)
    _converse()
    ours = fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True).auth
    boto3.client("bedrock-runtime").converse(modelId=MODEL, messages=MESSAGES)
    theirs = fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True).auth
    assert ours.signed_headers == theirs.signed_headers


def test_instance_role_credentials_are_refreshed_before_expiry(fake_imds: FakeImds) -> None:
    """As botocore (tests/test_imds_botocore.py): no refresh at one hour, a refresh five minutes
    before the six-hour expiry, through aiobotocore's own async IMDS fetcher."""
    with freeze_time("2026-11-21T10:00:00Z") as frozen:
        issued = fake_imds.add_role("app-role")

        async def credentials_over_time() -> tuple[str, str, str]:
            creds = await aiobotocore_session.AioSession().get_credentials()
            assert creds is not None
            first = (await creds.get_frozen_credentials()).access_key
            frozen.tick(timedelta(hours=1))
            still = (await creds.get_frozen_credentials()).access_key
            assert len(fake_imds.requests) == 3
            frozen.tick(timedelta(hours=4, minutes=55))
            return first, still, (await creds.get_frozen_credentials()).access_key

        first, still, refreshed = asyncio.run(credentials_over_time())
        current = fake_imds.credentials("app-role")
    assert first == still == issued.access_key_id
    assert refreshed == current.access_key_id != first
    assert fake_imds.ledger.source_of_key(refreshed) == "imds:app-role"
    assert [(r.method, r.status) for r in fake_imds.requests[3:]] == [("PUT", 200), ("GET", 200), ("GET", 200)]


def test_a_bearer_token_goes_over_plain_http(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    """botocore 1.44 refuses a bearer token for an http:// endpoint (the bearer-over-plain-http row);
    the botocore aiobotocore pins (3.10: 1.43) has no such check, and neither has aiobotocore."""
    import botocore

    aws_env.bearer_token()
    aws_env.set(AWS_ENDPOINT_URL_BEDROCK_RUNTIME=fake_bedrock.http_url)
    _converse()
    request = fake_bedrock.assert_auth(scheme="bearer", source="bearer:env")
    assert request.listener == "http", f"botocore {botocore.__version__}"
