"""Real boto3 against FakeBedrock: SigV4 and bearer, every JSON and streaming operation."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.ledger import Ledger
from pytest_bedrock_creds.servers.bedrock import FakeBedrock, StreamException
from pytest_bedrock_creds.servers.sigv4 import make_short_term_key

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]


def _no_retry() -> Config:
    return Config(retries={"total_max_attempts": 1})


# -- SigV4 -------------------------------------------------------------------------------------


def test_env_only_client_reaches_the_fake_with_sigv4(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    client = boto3.client("bedrock-runtime")  # no endpoint, no verify: the aws_env does it
    reply = client.converse(modelId=MODEL, messages=MESSAGES)
    assert reply["output"]["message"]["content"][0]["text"] == "Hello from FakeBedrock."
    assert reply["stopReason"] == "end_turn"
    assert set(reply["usage"]) == {"inputTokens", "outputTokens", "totalTokens"}
    assert "latencyMs" in reply["metrics"]
    assert reply["ResponseMetadata"]["RequestId"]
    request = fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)
    assert request.operation == "Converse"
    assert request.model_id == MODEL
    assert "v1%3A0" in request.raw_path
    assert request.auth.service == "bedrock"
    assert request.auth.region == "us-east-1"
    assert request.listener == "https"


def test_session_token_is_verified_and_attributed(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    creds = aws_env.static_keys(session_token=True)
    fake_bedrock.boto3_client().converse(modelId=MODEL, messages=MESSAGES)
    auth = fake_bedrock.last_request.auth
    assert (auth.scheme, auth.source, auth.signature_valid) == ("sigv4", "env", True)
    assert auth.access_key_id == creds.access_key_id
    assert auth.session_token_sent
    assert "x-amz-security-token" in auth.signed_headers


@pytest.mark.parametrize("model", [MODEL, PROFILE_ARN])
def test_invoke_model_returns_raw_body_and_content_type(fake_bedrock: FakeBedrock, aws_env: AwsEnv, model: str) -> None:
    aws_env.static_keys()
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "messages": []})
    reply = fake_bedrock.boto3_client().invoke_model(modelId=model, body=body)
    assert reply["contentType"] == "application/json"
    payload = json.loads(reply["body"].read())
    assert payload["content"][0]["text"] == "Hello from FakeBedrock."
    headers = reply["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-input-token-count"]) > 0
    request = fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)
    assert request.model_id == model
    assert request.body == body.encode()


def test_programmed_invoke_body_is_returned_verbatim(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.respond("InvokeModel", body=b"\x00raw bytes", content_type="application/octet-stream")
    reply = fake_bedrock.boto3_client().invoke_model(modelId=MODEL, body=b"{}")
    assert reply["body"].read() == b"\x00raw bytes"
    assert reply["contentType"] == "application/octet-stream"


def test_count_tokens_and_apply_guardrail(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    client = fake_bedrock.boto3_client()
    fake_bedrock.respond("CountTokens", body={"inputTokens": 42})
    assert client.count_tokens(modelId=MODEL, input={"converse": {"messages": MESSAGES}})["inputTokens"] == 42
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True, operation="CountTokens")
    reply = client.apply_guardrail(
        guardrailIdentifier="gr-1",
        guardrailVersion="DRAFT",
        source="INPUT",
        content=[{"text": {"text": "x"}}],
    )
    assert reply["action"] == "NONE"
    request = fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True, operation="ApplyGuardrail")
    assert request.resource == "gr-1:DRAFT"


def test_async_invoke_operations(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    client = fake_bedrock.boto3_client()
    arn = client.start_async_invoke(
        modelId="amazon.nova-reel-v1:0",
        modelInput={"taskType": "TEXT_VIDEO"},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://bucket/out"}},
    )["invocationArn"]
    assert arn.startswith("arn:aws:bedrock:us-east-1:")
    assert client.get_async_invoke(invocationArn=arn)["status"] == "Completed"
    assert client.list_async_invokes(maxResults=10, statusEquals="InProgress")["asyncInvokeSummaries"] == []
    ops = [(r.operation, r.auth.signature_valid) for r in fake_bedrock.requests]
    assert ops == [("StartAsyncInvoke", True), ("GetAsyncInvoke", True), ("ListAsyncInvokes", True)]
    assert fake_bedrock.requests[0].model_id == "amazon.nova-reel-v1:0"
    assert fake_bedrock.requests[1].resource == arn
    assert "%2F" in fake_bedrock.requests[1].raw_path


def test_plain_http_listener_serves_sigv4(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    client = boto3.client("bedrock-runtime", endpoint_url=fake_bedrock.http_url)
    client.converse(modelId=MODEL, messages=MESSAGES)
    request = fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)
    assert request.listener == "http"


# -- bearer -------------------------------------------------------------------------------------


def test_env_bearer_token_is_used_and_attributed(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    token = aws_env.bearer_token()
    reply = boto3.client("bedrock-runtime").converse(modelId=MODEL, messages=MESSAGES)
    assert reply["stopReason"] == "end_turn"
    request = fake_bedrock.assert_auth(scheme="bearer", source="bearer:env", signature_valid=None)
    assert request.auth.token == token
    assert token not in repr(request)
    assert request.header("Authorization") == f"Bearer {token}"
    assert request.header("X-Amz-Date") is None


@pytest.mark.parametrize(
    "operation",
    [
        "Converse",
        "ConverseStream",
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "CountTokens",
        "ApplyGuardrail",
    ],
)
def test_bearer_and_sigv4_on_every_operation(fake_bedrock: FakeBedrock, aws_env: AwsEnv, operation: str) -> None:
    aws_env.static_keys(session_token=True)
    aws_env.bearer_token()
    bearer_client = fake_bedrock.boto3_client()
    sigv4_client = fake_bedrock.boto3_client(config=Config(signature_version="v4"))
    for client, scheme, source, valid in (
        (bearer_client, "bearer", "bearer:env", None),
        (sigv4_client, "sigv4", "env", True),
    ):
        _call(client, operation)
        fake_bedrock.assert_auth(scheme=scheme, source=source, signature_valid=valid, operation=operation)
    assert all(r.status == 200 for r in fake_bedrock.requests)


def _call(client: Any, operation: str) -> None:
    if operation == "Converse":
        client.converse(modelId=MODEL, messages=MESSAGES)
    elif operation == "ConverseStream":
        list(client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
    elif operation == "InvokeModel":
        client.invoke_model(modelId=MODEL, body=b"{}")["body"].read()
    elif operation == "InvokeModelWithResponseStream":
        list(client.invoke_model_with_response_stream(modelId=MODEL, body=b"{}")["body"])
    elif operation == "CountTokens":
        client.count_tokens(modelId=MODEL, input={"converse": {"messages": MESSAGES}})
    else:
        client.apply_guardrail(
            guardrailIdentifier="g", guardrailVersion="1", source="OUTPUT", content=[{"text": {"text": "x"}}]
        )


def test_unknown_bearer_token_is_rejected_as_aws_does(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.set(AWS_BEARER_TOKEN_BEDROCK="ABSK" + "QmVkcm9ja0FQSUtleS1hYmNkLWF0LTEyMzQ1Njc4OTAxMjpzZWNyZXQ=")
    with pytest.raises(botocore.exceptions.ClientError) as info:
        fake_bedrock.boto3_client().converse(modelId=MODEL, messages=MESSAGES)
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"
    assert info.value.response["Error"]["Message"] == "Authentication failed: Please make sure your API Key is valid."
    assert fake_bedrock.last_request.auth.source is None


def test_short_term_key_is_attributed_to_the_credentials_that_made_it(
    fake_bedrock: FakeBedrock, aws_env: AwsEnv, bedrock_ledger: Ledger
) -> None:
    creds = bedrock_ledger.issue_credentials("imds:app-role", temporary=True)
    key = make_short_term_key(creds.access_key_id, creds.secret_access_key, creds.session_token, region="us-east-1")
    aws_env.set(AWS_BEARER_TOKEN_BEDROCK=key)
    fake_bedrock.boto3_client().converse(modelId=MODEL, messages=MESSAGES)
    request = fake_bedrock.assert_auth(scheme="bearer", source="imds:app-role", signature_valid=True)
    assert request.auth.token_kind == "short-term"
    assert request.auth.access_key_id == creds.access_key_id


def test_forged_short_term_key_is_rejected(fake_bedrock: FakeBedrock, aws_env: AwsEnv, bedrock_ledger: Ledger) -> None:
    creds = bedrock_ledger.issue_credentials("env")
    aws_env.set(AWS_BEARER_TOKEN_BEDROCK=make_short_term_key(creds.access_key_id, "F" * 40))
    with pytest.raises(botocore.exceptions.ClientError) as info:
        fake_bedrock.boto3_client(config=_no_retry()).converse(modelId=MODEL, messages=MESSAGES)
    assert info.value.response["Error"]["Message"] == "Authentication failed: Please make sure your API Key is valid."
    auth = fake_bedrock.last_request.auth
    assert (auth.source, auth.signature_valid, auth.error) == ("env", False, "AccessDeniedException")


def test_bearer_token_without_prefix_gets_the_format_error(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.set(AWS_BEARER_TOKEN_BEDROCK="not-a-bedrock-key")
    with pytest.raises(botocore.exceptions.ClientError) as info:
        fake_bedrock.boto3_client().converse(modelId=MODEL, messages=MESSAGES)
    assert info.value.response["Error"]["Message"] == "Invalid API Key format: Must start with pre-defined prefix"


# -- streams ----------------------------------------------------------------------------------------


def test_converse_stream_delivers_every_event(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.respond("ConverseStream", text="one two three four")
    events = list(fake_bedrock.boto3_client().converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
    kinds = [next(iter(e)) for e in events]
    assert kinds[0] == "messageStart"
    assert kinds[-2:] == ["messageStop", "metadata"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == "one two three four"
    assert events[-1]["metadata"]["usage"]["outputTokens"] == 4


def test_converse_stream_in_stream_exception(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.respond(
        "ConverseStream",
        stream=[
            {"messageStart": {"role": "assistant"}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "partial"}}},
            StreamException("throttlingException", "Too many tokens, slow down."),
        ],
    )
    stream = fake_bedrock.boto3_client().converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]
    seen: list[dict[str, Any]] = []
    with pytest.raises(botocore.exceptions.EventStreamError) as info:
        seen.extend(stream)  # list.extend keeps the events read before the exception
    assert [next(iter(e)) for e in seen] == ["messageStart", "contentBlockDelta"]
    assert info.value.response["Error"]["Code"] == "throttlingException"
    assert info.value.response["Error"]["Message"] == "Too many tokens, slow down."


def test_fail_in_stream(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.fail("ConverseStream", "ModelStreamErrorException", in_stream=True)
    with pytest.raises(botocore.exceptions.EventStreamError) as info:
        list(fake_bedrock.boto3_client().converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
    assert info.value.response["Error"]["Code"] == "modelStreamErrorException"
    # only once: the next call streams normally
    assert list(fake_bedrock.boto3_client().converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])


def test_invoke_model_with_response_stream(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.respond("InvokeModelWithResponseStream", stream=[{"type": "a"}, b'{"type": "b"}'])
    reply = fake_bedrock.boto3_client().invoke_model_with_response_stream(modelId=MODEL, body=b"{}")
    assert reply["contentType"] == "application/json"
    assert [json.loads(e["chunk"]["bytes"]) for e in reply["body"]] == [{"type": "a"}, {"type": "b"}]
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)


def test_default_response_stream_is_anthropic_messages(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    reply = fake_bedrock.boto3_client().invoke_model_with_response_stream(modelId=MODEL, body=b"{}")
    chunks = [json.loads(e["chunk"]["bytes"]) for e in reply["body"]]
    assert chunks[0]["type"] == "message_start"
    assert chunks[-1]["type"] == "message_stop"
    assert "amazon-bedrock-invocationMetrics" in chunks[-1]


# -- programmed replies and failures ------------------------------------------------------------------


def test_respond_per_model_id(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.respond("Converse", text="default")
    fake_bedrock.respond("Converse", model_id="amazon.nova-lite-v1:0", text="nova")
    client = fake_bedrock.boto3_client()
    assert client.converse(modelId=MODEL, messages=MESSAGES)["output"]["message"]["content"][0]["text"] == "default"
    nova = client.converse(modelId="amazon.nova-lite-v1:0", messages=MESSAGES)
    assert nova["output"]["message"]["content"][0]["text"] == "nova"


def test_throttling_is_retried_by_boto3(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.fail("Converse", "ThrottlingException", times=2)
    reply = fake_bedrock.boto3_client().converse(modelId=MODEL, messages=MESSAGES)
    assert reply["stopReason"] == "end_turn"
    assert [r.status for r in fake_bedrock.requests] == [429, 429, 200]
    assert [r.error_code for r in fake_bedrock.requests] == ["ThrottlingException", "ThrottlingException", None]


def test_modeled_error_raises_the_modeled_exception(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.fail("InvokeModel", "ValidationException", message="bad input")
    client = fake_bedrock.boto3_client(config=_no_retry())
    with pytest.raises(client.exceptions.ValidationException) as info:
        client.invoke_model(modelId=MODEL, body=b"{}")
    assert info.value.response["Error"]["Message"] == "bad input"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert info.value.response["ResponseMetadata"]["RequestId"]


# -- concurrency ------------------------------------------------------------------------------------------


def test_32_threads_every_request_recorded_and_verified(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    creds = aws_env.static_keys(session_token=True)
    errors: list[BaseException] = []
    per_thread = 4
    barrier = threading.Barrier(32)

    def worker() -> None:
        try:
            client = boto3.session.Session().client("bedrock-runtime", config=_no_retry())
            barrier.wait()
            for _ in range(per_thread):
                client.converse(modelId=MODEL, messages=MESSAGES)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(fake_bedrock.requests) == 32 * per_thread
    assert {(r.auth.access_key_id, r.auth.signature_valid, r.status) for r in fake_bedrock.requests} == {
        (creds.access_key_id, True, 200)
    }
