"""Every Bedrock Runtime operation a scenario may name, with valid input for every target that has it.

One table per way of calling: the reference's own HTTP request (:func:`http_request`), a boto3
client call (:data:`BOTO3_CALLS`) and an aws-sdk-bedrock-runtime call (:func:`smithy_call`).
A target that has no such operation reports ``unsupported-operation``; it never sends another
operation in its place. AnthropicBedrock has only InvokeModel and InvokeModelWithResponseStream
(``messages.create``); :data:`ANTHROPIC_CALLS` maps the scenario's operation to one of them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from pytest_bedrock_creds.servers.bedrock.ops import OPERATIONS as FAKE_OPERATIONS

__all__ = [
    "ANTHROPIC_CALLS",
    "BOTO3_CALLS",
    "MODEL",
    "SCENARIO_OPERATIONS",
    "http_request",
    "smithy_call",
]

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
GUARDRAIL = ("gr-scenario", "1")
ASYNC_ARN = "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdefghij12"
_MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
_ANTHROPIC_BODY = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 8,
                   "messages": [{"role": "user", "content": "hi"}]}
_ASYNC_INPUT: dict[str, Any] = {"modelId": "amazon.nova-reel-v1:0", "modelInput": {"taskType": "TEXT_VIDEO"},
                "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out"}}}
_GUARDRAIL_CHECKS: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": "hi"}]}],
                     "checks": {"contentFilter": {"categories": [{"category": "VIOLENCE"}]}}}

#: The operations a scenario's ``operation`` may name: Bedrock Runtime's, as FakeBedrock serves them
#: (GetInferenceProfile belongs to the control plane, ``bedrock``, and is left out).
SCENARIO_OPERATIONS = tuple(op for op in FAKE_OPERATIONS if op != "GetInferenceProfile")

_JSON = "application/json"
_EVENTSTREAM = "application/vnd.amazon.eventstream"


def http_request(operation: str) -> tuple[str, str, bytes, str]:
    """``(method, raw path, body, content type)`` of ``operation`` as the REST-JSON protocol sends it."""
    model = "/model/" + quote(MODEL, safe="")
    table: dict[str, tuple[str, str, Any, str]] = {
        "Converse": ("POST", model + "/converse", {"messages": _MESSAGES}, _JSON),
        "ConverseStream": ("POST", model + "/converse-stream", {"messages": _MESSAGES}, _JSON),
        "InvokeModel": ("POST", model + "/invoke", _ANTHROPIC_BODY, _JSON),
        "InvokeModelWithResponseStream": ("POST", model + "/invoke-with-response-stream", _ANTHROPIC_BODY, _JSON),
        "InvokeModelWithBidirectionalStream": ("POST", model + "/invoke-with-bidirectional-stream", b"", _EVENTSTREAM),
        "CountTokens": ("POST", model + "/count-tokens", {"input": {"converse": {"messages": _MESSAGES}}}, _JSON),
        "ApplyGuardrail": ("POST", f"/guardrail/{GUARDRAIL[0]}/version/{GUARDRAIL[1]}/apply",
                           {"source": "INPUT", "content": [{"text": {"text": "hi"}}]}, _JSON),
        "StartAsyncInvoke": ("POST", "/async-invoke", _ASYNC_INPUT, _JSON),
        "GetAsyncInvoke": ("GET", "/async-invoke/" + quote(ASYNC_ARN, safe=""), b"", _JSON),
        "ListAsyncInvokes": ("GET", "/async-invoke", b"", _JSON),
        "InvokeGuardrailChecks": ("POST", "/guardrail-checks/invoke", _GUARDRAIL_CHECKS, _JSON),
    }
    method, path, body, content_type = table[operation]
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return method, path, raw, content_type


#: boto3 ``bedrock-runtime`` method and input. InvokeModelWithBidirectionalStream is in botocore's
#: model but boto3 generates no method for it (an event-stream input): the call raises AttributeError.
BOTO3_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "Converse": ("converse", {"modelId": MODEL, "messages": _MESSAGES}),
    "ConverseStream": ("converse_stream", {"modelId": MODEL, "messages": _MESSAGES}),
    "InvokeModel": ("invoke_model", {"modelId": MODEL, "body": json.dumps(_ANTHROPIC_BODY).encode()}),
    "InvokeModelWithResponseStream": ("invoke_model_with_response_stream",
                                      {"modelId": MODEL, "body": json.dumps(_ANTHROPIC_BODY).encode()}),
    "InvokeModelWithBidirectionalStream": ("invoke_model_with_bidirectional_stream", {"modelId": MODEL}),
    "CountTokens": ("count_tokens", {"modelId": MODEL, "input": {"converse": {"messages": _MESSAGES}}}),
    "ApplyGuardrail": ("apply_guardrail", {"guardrailIdentifier": GUARDRAIL[0], "guardrailVersion": GUARDRAIL[1],
                                           "source": "INPUT", "content": [{"text": {"text": "hi"}}]}),
    "StartAsyncInvoke": ("start_async_invoke", _ASYNC_INPUT),
    "GetAsyncInvoke": ("get_async_invoke", {"invocationArn": ASYNC_ARN}),
    "ListAsyncInvokes": ("list_async_invokes", {}),
    "InvokeGuardrailChecks": ("invoke_guardrail_checks", _GUARDRAIL_CHECKS),
}

#: The scenario operation -> AnthropicBedrock's call (``stream`` or not); other operations it has not.
ANTHROPIC_CALLS: dict[str, bool] = {
    "Converse": False,
    "InvokeModel": False,
    "ConverseStream": True,
    "InvokeModelWithResponseStream": True,
}


def smithy_call(client: Any, operation: str) -> Callable[[], Awaitable[Any]] | None:
    """A coroutine factory calling ``operation`` on an aws-sdk-bedrock-runtime client, or ``None``
    when the runner cannot drive it over HTTP/1.1 (the bidirectional stream needs HTTP/2 duplex)."""
    from aws_sdk_bedrock_runtime import models as m  # type: ignore[import-not-found, import-untyped, unused-ignore]
    from smithy_core.documents import Document  # type: ignore[import-not-found, import-untyped, unused-ignore]

    messages = [m.Message(role="user", content=[m.ContentBlockText(value="hi")])]
    body = json.dumps(_ANTHROPIC_BODY).encode()
    inputs: dict[str, tuple[str, Callable[[], Any]]] = {
        "Converse": ("converse", lambda: m.ConverseInput(model_id=MODEL, messages=messages)),
        "ConverseStream": ("converse_stream", lambda: m.ConverseStreamInput(model_id=MODEL, messages=messages)),
        "InvokeModel": ("invoke_model", lambda: m.InvokeModelInput(model_id=MODEL, body=body, content_type=_JSON)),
        "InvokeModelWithResponseStream": ("invoke_model_with_response_stream",
                                          lambda: m.InvokeModelWithResponseStreamInput(model_id=MODEL, body=body,
                                                                                       content_type=_JSON)),
        "CountTokens": ("count_tokens", lambda: m.CountTokensOperationInput(
            model_id=MODEL, input=m.CountTokensInputConverse(m.ConverseTokensRequest(messages=messages)))),
        "ApplyGuardrail": ("apply_guardrail", lambda: m.ApplyGuardrailInput(
            guardrail_identifier=GUARDRAIL[0], guardrail_version=GUARDRAIL[1], source="INPUT",
            content=[m.GuardrailContentBlockText(m.GuardrailTextBlock(text="hi"))])),
        "StartAsyncInvoke": ("start_async_invoke", lambda: m.StartAsyncInvokeInput(
            model_id=_ASYNC_INPUT["modelId"], model_input=Document(_ASYNC_INPUT["modelInput"]),
            output_data_config=m.AsyncInvokeOutputDataConfigS3OutputDataConfig(
                m.AsyncInvokeS3OutputDataConfig(s3_uri="s3://bucket/out")))),
        "GetAsyncInvoke": ("get_async_invoke", lambda: m.GetAsyncInvokeInput(invocation_arn=ASYNC_ARN)),
        "ListAsyncInvokes": ("list_async_invokes", lambda: m.ListAsyncInvokesInput()),
        "InvokeGuardrailChecks": ("invoke_guardrail_checks", lambda: m.InvokeGuardrailChecksInput(
            messages=[m.GuardrailChecksMessage(role="user", content=[m.GuardrailChecksContentBlockText("hi")])],
            checks=m.GuardrailChecksConfig(content_filter=m.GuardrailChecksContentFilterConfig(
                categories=[m.GuardrailChecksContentFilterCategoryConfig(category="VIOLENCE")])))),
    }
    if operation not in inputs:
        return None
    method, build = inputs[operation]

    async def call() -> Any:
        result = await getattr(client, method)(build())
        stream = getattr(result, "output_stream", None)
        if stream is not None:  # an event stream: read it to the end, then close it
            try:
                async for _ in stream:
                    pass
            finally:
                await result.close()
        return result

    return call
