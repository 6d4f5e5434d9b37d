"""Secrets never reach our own text: the fake's error messages and pytest's diffs of our records."""

from __future__ import annotations

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from pytest_bedrock_creds import AwsEnv, FakeBedrock, Ledger
from pytest_bedrock_creds.redact import hidden_from_diffs

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]


def test_invalid_signature_message_quotes_the_canonical_request_without_the_session_token(
    fake_bedrock: FakeBedrock, aws_env: AwsEnv
) -> None:
    issued = aws_env.static_keys(session_token=True)
    assert issued.session_token is not None
    client = boto3.client(
        "bedrock-runtime",
        aws_access_key_id=issued.access_key_id,
        aws_secret_access_key="a-wrong-secret-" + "x" * 25,
        aws_session_token=issued.session_token,
        config=Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(botocore.exceptions.ClientError) as failed:
        client.converse(modelId=MODEL, messages=MESSAGES)
    message = str(failed.value)
    assert failed.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert "The Canonical String for this request should have been" in message  # still useful
    assert "x-amz-security-token:<redacted, " in message
    assert issued.session_token not in message
    assert issued.session_token not in (fake_bedrock.last_request.auth.message or "")


def test_the_same_through_anthropic_and_the_experimental_client(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    import asyncio

    import anthropic

    issued = aws_env.static_keys(session_token=True)
    assert issued.session_token is not None
    wrong = "a-wrong-secret-" + "x" * 25
    client = fake_bedrock.anthropic_client(
        aws_access_key=issued.access_key_id, aws_secret_key=wrong, aws_session_token=issued.session_token
    )
    with pytest.raises(anthropic.PermissionDeniedError) as failed:
        client.messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert "x-amz-security-token:<redacted, " in str(failed.value.body)
    assert issued.session_token not in str(failed.value) + str(failed.value.body)
    pytest.importorskip("aws_sdk_bedrock_runtime")
    from test_bedrock_smithy import _converse, _with_client

    with pytest.raises(Exception, match="InvalidSignatureException") as smithy_failed:
        asyncio.run(_with_client(fake_bedrock, _converse, aws_access_key_id=issued.access_key_id,
                                 aws_secret_access_key=wrong, aws_session_token=issued.session_token))
    assert fake_bedrock.last_request.auth.session_token_sent
    assert issued.session_token not in str(smithy_failed.value)


_DIFF_TESTS = '''
from dataclasses import dataclass

from pytest_bedrock_creds import AuthRecord, BedrockRequest, IssuedCredentials, IssuedToken

A, B = "ABSK" + "Q" * 40, "ABSK" + "W" * 40
SECRET_A, SECRET_B = "S" * 40, "Z" * 40
TOKEN_A, TOKEN_B = "IQoJ" + "T" * 60, "IQoJ" + "V" * 60


def request(token):
    auth = AuthRecord("bearer", source="bearer:env", token=token, token_kind="long-term")
    headers = (("Authorization", "Bearer " + token),)
    return BedrockRequest("Converse", "m", "POST", "/model/m/converse", headers, b"{}", auth, 200, None, "https")


# Each side is built first: pytest's "where" lines would show the arguments of a call written
# inside the assert, and those are the test's own text, not ours.
def test_auth_records():
    left, right = AuthRecord("bearer", token=A), AuthRecord("bearer", token=B)
    assert left == right


def test_requests():
    left, right = request(A), request(B)
    assert left == right


def test_issued_credentials():
    left = IssuedCredentials("AKIA1", SECRET_A, TOKEN_A, "env")
    right = IssuedCredentials("AKIA1", SECRET_B, TOKEN_B, "env")
    assert left == right


def test_issued_tokens():
    left, right = IssuedToken(A, "bearer:env"), IssuedToken(B, "bearer:env")
    assert left == right


@dataclass
class Mine:
    name: str
    auth: AuthRecord


def test_nested_in_a_users_dataclass():
    left, right = Mine("x", AuthRecord("bearer", token=A)), Mine("x", AuthRecord("bearer", token=B))
    assert left == right


def test_in_lists_and_dicts():
    left, right = {"r": [request(A)]}, {"r": [request(B)]}
    assert left == right
'''


@pytest.mark.parametrize("verbosity", ["-q", "-vv"])
def test_pytest_diffs_of_our_records_show_no_secret(pytester: pytest.Pytester, verbosity: str) -> None:
    pytester.makepyfile(test_diffs=_DIFF_TESTS)
    result = pytester.runpytest_subprocess(verbosity, "-p", "no:randomly")
    result.assert_outcomes(failed=6)
    output = result.stdout.str()
    assert "AuthRecord(scheme='bearer'" in output  # the redacted reprs are what pytest shows
    for secret in ("Q" * 40, "W" * 40, "S" * 40, "Z" * 40, "T" * 60, "V" * 60):
        assert secret not in output


def test_equality_and_hashing_are_unchanged() -> None:
    ledger = Ledger()
    issued = ledger.issue_credentials("env", temporary=True)
    again = ledger.record_credentials("env", issued.access_key_id, issued.secret_access_key, issued.session_token)
    assert issued == again and hash(issued) == hash(again) and len({issued, again}) == 1
    assert issued != ledger.record_credentials("env", issued.access_key_id, "other", issued.session_token)
    assert issued.__eq__(object()) is NotImplemented


def test_hidden_from_diffs_compares_fields_in_order() -> None:
    from dataclasses import dataclass, field

    @hidden_from_diffs
    @dataclass(frozen=True)
    class Pair:
        a: int
        b: int
        note: str = field(default="", compare=False)

    assert Pair(1, 2, "x") == Pair(1, 2, "y")
    assert Pair(1, 2) != Pair(2, 1)
    assert hash(Pair(1, 2, "x")) == hash(Pair(1, 2, "y"))
