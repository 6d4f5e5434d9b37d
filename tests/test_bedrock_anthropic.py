"""anthropic.AnthropicBedrock, unmodified, against FakeBedrock: bearer and SigV4, plain and streamed."""

from __future__ import annotations

from typing import Any

import pytest

anthropic = pytest.importorskip("anthropic")
httpx2 = pytest.importorskip("httpx2")

from pytest_bedrock_creds.env import AwsEnv  # noqa: E402
from pytest_bedrock_creds.ledger import Ledger  # noqa: E402
from pytest_bedrock_creds.servers.bedrock import FakeBedrock, StreamException  # noqa: E402

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES = [{"role": "user", "content": "Hello"}]


def test_bearer_through_api_key(fake_bedrock: FakeBedrock, aws_env: AwsEnv, bedrock_ledger: Ledger) -> None:
    token = bedrock_ledger.issue_token("bearer:settings").token
    client = fake_bedrock.anthropic_client(api_key=token)
    message = client.messages.create(model=MODEL, max_tokens=32, messages=MESSAGES)
    assert message.content[0].text == "Hello from FakeBedrock."
    request = fake_bedrock.assert_auth(scheme="bearer", source="bearer:settings", signature_valid=None)
    assert request.operation == "InvokeModel"
    assert request.model_id == MODEL
    assert "v1:0" in request.raw_path  # anthropic does not encode ':'
    assert request.json()["messages"] == MESSAGES


def test_bearer_from_env_over_plain_http(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.bearer_token()
    client = anthropic.AnthropicBedrock(base_url=fake_bedrock.http_url, max_retries=0)
    client.messages.create(model=MODEL, max_tokens=32, messages=MESSAGES)
    request = fake_bedrock.assert_auth(scheme="bearer", source="bearer:env", signature_valid=None)
    assert request.listener == "http"


def test_sigv4_with_explicit_keys(fake_bedrock: FakeBedrock, aws_env: AwsEnv, bedrock_ledger: Ledger) -> None:
    creds = bedrock_ledger.issue_credentials("static", temporary=True)
    client = fake_bedrock.anthropic_client(
        aws_access_key=creds.access_key_id,
        aws_secret_key=creds.secret_access_key,
        aws_session_token=creds.session_token,
    )
    client.messages.create(model=MODEL, max_tokens=32, messages=MESSAGES)
    request = fake_bedrock.assert_auth(scheme="sigv4", source="static", signature_valid=True)
    # anthropic signs every header it sends but 'connection', including accept and x-stainless-*
    assert "accept" in request.auth.signed_headers
    assert any(h.startswith("x-stainless") for h in request.auth.signed_headers)


def test_sigv4_from_the_default_chain(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.anthropic_client().messages.create(model=MODEL, max_tokens=32, messages=MESSAGES)
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)


def test_stream_reads_every_event(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.respond("InvokeModelWithResponseStream", text="alpha beta gamma")
    client = fake_bedrock.anthropic_client()
    with client.messages.stream(model=MODEL, max_tokens=32, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "alpha beta gamma"
    assert final.stop_reason == "end_turn"
    fake_bedrock.assert_auth(
        scheme="sigv4", source="env", signature_valid=True, operation="InvokeModelWithResponseStream"
    )


def test_in_stream_exception_becomes_an_api_error(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.respond(
        "InvokeModelWithResponseStream",
        stream=[
            {
                "type": "message_start",
                "message": {
                    "id": "m",
                    "type": "message",
                    "role": "assistant",
                    "model": "x",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 1, "output_tokens": 1},
                },
            },
            StreamException("modelStreamErrorException", "model fell over"),
        ],
    )
    with pytest.raises(anthropic.APIError):
        _drain(fake_bedrock.anthropic_client())


def _drain(client: Any) -> None:
    with client.messages.stream(model=MODEL, max_tokens=32, messages=MESSAGES) as stream:
        for _ in stream:
            pass


def test_auth_errors_map_by_status(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    client = fake_bedrock.anthropic_client(api_key="ABSKbm90LWlzc3VlZA==")
    with pytest.raises(anthropic.PermissionDeniedError) as info:
        client.messages.create(model=MODEL, max_tokens=32, messages=MESSAGES)
    assert info.value.body == {"Message": "Authentication failed: Please make sure your API Key is valid."}
    assert fake_bedrock.last_request.auth.error == "AccessDeniedException"


def test_throttling_maps_to_rate_limit(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.fail("InvokeModel", "ThrottlingException")
    with pytest.raises(anthropic.RateLimitError):
        fake_bedrock.anthropic_client().messages.create(model=MODEL, max_tokens=32, messages=MESSAGES)


def test_cached_sessions_do_not_leak_between_environments(bedrock_server: FakeBedrock, bedrock_ledger: Ledger) -> None:
    # AnthropicBedrock keeps a process-wide lru_cache of boto3 sessions; AwsEnv clears it.
    bedrock_server.reset()
    used = []
    for _ in range(2):
        with AwsEnv(ledger=bedrock_ledger) as env:
            env.attach(bedrock_server)
            issued = env.static_keys()
            bedrock_server.anthropic_client().messages.create(
                model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}]
            )
            assert bedrock_server.last_request.auth.access_key_id == issued.access_key_id
            used.append(issued.access_key_id)
    assert used[0] != used[1]
