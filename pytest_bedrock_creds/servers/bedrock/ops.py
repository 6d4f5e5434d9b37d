"""Routing and response bodies for the fake Bedrock Runtime operations.

Routing runs on the *raw* request path: boto3 and smithy send ``v1%3A0``, anthropic sends
``v1:0``, and an inference-profile ARN holds ``%2F``, which must not split the segment. Each
captured segment is percent-decoded only after the route matched.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from pytest_bedrock_creds.servers.bedrock.eventstream import event_frame, exception_frame

__all__ = [
    "AUTH_ERROR_SUFFIX",
    "OPERATIONS",
    "SERVICE_ERRORS",
    "SERVICE_ERROR_SUFFIX",
    "STREAM_OPERATIONS",
    "Route",
    "StreamException",
    "route",
]

AUTH_ERROR_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.coral.service/"
SERVICE_ERROR_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"

OPERATIONS = (
    "Converse",
    "ConverseStream",
    "InvokeModel",
    "InvokeModelWithResponseStream",
    "InvokeModelWithBidirectionalStream",
    "CountTokens",
    "ApplyGuardrail",
    "StartAsyncInvoke",
    "GetAsyncInvoke",
    "ListAsyncInvokes",
    "InvokeGuardrailChecks",
    "GetInferenceProfile",
)
STREAM_OPERATIONS = ("ConverseStream", "InvokeModelWithResponseStream")

#: Modeled errors: code -> (HTTP status, default message).
SERVICE_ERRORS: dict[str, tuple[int, str]] = {
    "AccessDeniedException": (403, "You don't have access to the model with the specified model ID."),
    "ValidationException": (400, "The provided model identifier is invalid."),
    "ThrottlingException": (429, "Too many requests, please wait before trying again."),
    "ServiceQuotaExceededException": (400, "Your request exceeds the service quota for your account."),
    "ResourceNotFoundException": (404, "The requested resource could not be found."),
    "ConflictException": (400, "The request conflicts with the current state of the resource."),
    "ModelTimeoutException": (408, "Model has timed out in processing the request."),
    "ModelErrorException": (424, "The model returned an error."),
    "ModelStreamErrorException": (424, "The model returned an error while streaming."),
    "ModelNotReadyException": (429, "Model is not ready to serve inference requests."),
    "InternalServerException": (500, "The server encountered an internal error."),
    "ServiceUnavailableException": (503, "Bedrock is unable to process your request."),
}

_MODEL_OPS = {
    "converse": "Converse",
    "converse-stream": "ConverseStream",
    "invoke": "InvokeModel",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
    "invoke-with-bidirectional-stream": "InvokeModelWithBidirectionalStream",
    "count-tokens": "CountTokens",
}
_MODEL_ROUTE = re.compile(r"^/model/([^/]+)/([a-z-]+)$")
_GUARDRAIL_ROUTE = re.compile(r"^/guardrail/([^/]+)/version/([^/]+)/apply$")
_ASYNC_ROUTE = re.compile(r"^/async-invoke(?:/([^/]+))?$")
_PROFILE_ROUTE = re.compile(r"^/inference-profiles/([^/]+)$")


@dataclass(frozen=True)
class Route:
    """Where a request goes: the operation and the decoded resource ids."""

    operation: str
    model_id: str | None = None
    resource: str | None = None


def route(method: str, raw_path: str, body: bytes = b"") -> Route | None:
    """Match ``raw_path`` (still percent-encoded, query stripped) to an operation."""
    path = raw_path.split("?", 1)[0]
    if method == "POST":
        match = _MODEL_ROUTE.match(path)
        if match and match.group(2) in _MODEL_OPS:
            return Route(_MODEL_OPS[match.group(2)], model_id=unquote(match.group(1)))
        match = _GUARDRAIL_ROUTE.match(path)
        if match:
            return Route("ApplyGuardrail", resource=f"{unquote(match.group(1))}:{unquote(match.group(2))}")
        if path == "/async-invoke":
            return Route("StartAsyncInvoke", model_id=_json_field(body, "modelId"))
        if path == "/guardrail-checks/invoke":
            return Route("InvokeGuardrailChecks")
    elif method == "GET":
        match = _ASYNC_ROUTE.match(path)
        if match:
            if match.group(1) is None:
                return Route("ListAsyncInvokes")
            return Route("GetAsyncInvoke", resource=unquote(match.group(1)))
        match = _PROFILE_ROUTE.match(path)
        if match:
            return Route("GetInferenceProfile", resource=unquote(match.group(1)))
    return None


def _json_field(body: bytes, name: str) -> str | None:
    try:
        value = json.loads(body or b"{}").get(name)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class StreamException:
    """An in-stream exception frame; ``exception_type`` is the union member name.

    Use the lowerCamel member name AWS sends (``throttlingException``,
    ``modelStreamErrorException``, ``validationException``, ``internalServerException``,
    ``serviceUnavailableException``); a shape name such as ``ThrottlingException`` breaks clients.
    """

    exception_type: str = "modelStreamErrorException"
    message: str = "The model stream was interrupted."

    @classmethod
    def from_code(cls, code: str, message: str | None = None) -> StreamException:
        member = code[:1].lower() + code[1:]
        return cls(member, message or SERVICE_ERRORS.get(code, (0, f"{code} raised in stream"))[1])

    def frame(self) -> bytes:
        return exception_frame(self.exception_type, self.message)


# -- default bodies ---------------------------------------------------------------------------
DEFAULT_TEXT = "Hello from FakeBedrock."


def estimate_tokens(body: bytes) -> int:
    """A deterministic stand-in for a tokenizer: one token per four bytes of request, at least 1."""
    return max(1, len(body) // 4)


def usage(input_tokens: int, text: str) -> dict[str, int]:
    output = max(1, len(text.split()))
    return {"inputTokens": input_tokens, "outputTokens": output, "totalTokens": input_tokens + output}


def converse_body(text: str, input_tokens: int, stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop_reason,
        "usage": usage(input_tokens, text),
        "metrics": {"latencyMs": 12},
    }


def _split(text: str, pieces: int = 3) -> list[str]:
    if not text:
        return [""]
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


def converse_stream_events(text: str, input_tokens: int, stop_reason: str = "end_turn") -> list[dict[str, Any]]:
    """The ConverseStream events for a text reply, in the one-key dict form boto3 yields."""
    events: list[dict[str, Any]] = [{"messageStart": {"role": "assistant"}}]
    events += [{"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": p}}} for p in _split(text)]
    events += [
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": stop_reason}},
        {"metadata": {"usage": usage(input_tokens, text), "metrics": {"latencyMs": 12}}},
    ]
    return events


def _message_id() -> str:
    return "msg_bdrk_01" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(22))


def invoke_body(model_id: str, text: str, input_tokens: int, stop_reason: str = "end_turn") -> dict[str, Any]:
    """A provider-shaped InvokeModel reply: Nova and Titan shapes for those families, else Anthropic."""
    output_tokens = max(1, len(text.split()))
    if "nova" in model_id:
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": stop_reason,
            "usage": usage(input_tokens, text),
        }
    if "titan" in model_id:
        return {
            "inputTextTokenCount": input_tokens,
            "results": [{"tokenCount": output_tokens, "outputText": text, "completionReason": "FINISH"}],
        }
    return {
        "id": _message_id(),
        "type": "message",
        "role": "assistant",
        "model": model_id.rsplit("/", 1)[-1],
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
    }


def invoke_stream_chunks(model_id: str, text: str, input_tokens: int) -> list[dict[str, Any]]:
    """Anthropic Messages streaming events, the last one carrying Bedrock's invocation metrics."""
    output_tokens = max(1, len(text.split()))
    model = model_id.rsplit("/", 1)[-1]
    chunks: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                "id": _message_id(),
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": input_tokens, "output_tokens": 1},
            },
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ]
    chunks += [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}} for p in _split(text)
    ]
    chunks += [
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        },
        {
            "type": "message_stop",
            "amazon-bedrock-invocationMetrics": {
                "inputTokenCount": input_tokens,
                "outputTokenCount": output_tokens,
                "invocationLatency": 12,
                "firstByteLatency": 5,
            },
        },
    ]
    return chunks


def converse_stream_frames(items: Sequence[Any]) -> Iterator[bytes]:
    """Frames for ConverseStream: one-key dicts ``{"contentBlockDelta": {...}}``, ``(type, payload)``
    pairs, :class:`StreamException` or raw ``bytes`` frames."""
    for item in items:
        if isinstance(item, StreamException):
            yield item.frame()
        elif isinstance(item, bytes | bytearray):
            yield bytes(item)
        elif isinstance(item, tuple):
            yield event_frame(item[0], item[1])
        elif isinstance(item, Mapping) and len(item) == 1:
            ((name, payload),) = item.items()
            yield event_frame(name, payload)
        else:
            raise TypeError(f"ConverseStream items are one-key dicts, (type, payload) or StreamException: {item!r}")


def response_stream_frames(items: Sequence[Any]) -> Iterator[bytes]:
    """Frames for InvokeModelWithResponseStream: each item is a provider chunk (a dict, JSON-encoded,
    or bytes) wrapped as ``chunk {"bytes": base64}``, or a :class:`StreamException`."""
    for item in items:
        if isinstance(item, StreamException):
            yield item.frame()
            continue
        if isinstance(item, Mapping):
            raw = json.dumps(item, separators=(",", ":")).encode()
        elif isinstance(item, bytes | bytearray | str):
            raw = item.encode() if isinstance(item, str) else bytes(item)
        else:
            raise TypeError(f"InvokeModelWithResponseStream items are dicts, bytes or StreamException: {item!r}")
        yield event_frame("chunk", {"bytes": base64.b64encode(raw).decode()})


def apply_guardrail_body() -> dict[str, Any]:
    return {
        "usage": {
            "topicPolicyUnits": 1,
            "contentPolicyUnits": 1,
            "wordPolicyUnits": 1,
            "sensitiveInformationPolicyUnits": 1,
            "sensitiveInformationPolicyFreeUnits": 0,
            "contextualGroundingPolicyUnits": 0,
        },
        "action": "NONE",
        "outputs": [],
        "assessments": [],
    }


def async_invocation_arn(region: str, account_id: str) -> str:
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(12))
    return f"arn:aws:bedrock:{region}:{account_id}:async-invoke/{suffix}"


def get_async_invoke_body(arn: str, model_id: str = "amazon.nova-reel-v1:0") -> dict[str, Any]:
    region = arn.split(":")[3] if arn.count(":") >= 5 else "us-east-1"
    return {
        "invocationArn": arn,
        "modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model_id}",
        "status": "Completed",
        "submitTime": "2026-01-01T00:00:00Z",
        "endTime": "2026-01-01T00:01:00Z",
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://fake-bedrock-output/"}},
    }


def inference_profile_body(identifier: str, region: str, account_id: str) -> dict[str, Any]:
    arn = (
        identifier
        if identifier.startswith("arn:")
        else (f"arn:aws:bedrock:{region}:{account_id}:inference-profile/{identifier}")
    )
    base = "anthropic.claude-3-5-haiku-20241022-v1:0"
    return {
        "inferenceProfileName": identifier.rsplit("/", 1)[-1],
        "inferenceProfileArn": arn,
        "inferenceProfileId": identifier.rsplit("/", 1)[-1],
        "models": [{"modelArn": f"arn:aws:bedrock:{region}::foundation-model/{base}"}],
        "status": "ACTIVE",
        "type": "APPLICATION" if "application-inference-profile" in arn else "SYSTEM_DEFINED",
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
    }
