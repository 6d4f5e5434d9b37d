"""What FakeBedrock answers: programmed replies and failures, default replies, AWS-shaped errors.

:class:`ReplyScript` holds what a test programmed with ``respond()`` and ``fail()`` and builds
the reply to a routed request; the operations' bodies and event streams come from
:mod:`~pytest_bedrock_creds.servers.bedrock.ops`.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse
from pytest_bedrock_creds.servers.bedrock import ops
from pytest_bedrock_creds.servers.bedrock.eventstream import CONTENT_TYPE as EVENTSTREAM_CONTENT_TYPE

__all__ = ["Failure", "ProgrammedReply", "ReplyScript", "error_code", "error_response"]


@dataclass
class ProgrammedReply:
    """What :meth:`FakeBedrock.respond` programmed for an operation."""

    text: str | None = None
    body: Any = None
    stream: Sequence[Any] | None = None
    stop_reason: str = "end_turn"
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Failure:
    """An error :meth:`FakeBedrock.fail` programmed; ``remaining=None`` fails until reset."""

    operation: str
    code: str
    message: str
    status: int
    remaining: int | None
    model_id: str | None
    in_stream: bool


class ReplyScript:
    """The replies and failures programmed for a FakeBedrock. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: dict[tuple[str, str | None], ProgrammedReply] = {}
        self._failures: list[Failure] = []

    def program(self, operation: str, model_id: str | None, reply: ProgrammedReply) -> None:
        with self._lock:
            self._replies[(operation, model_id)] = reply

    def add_failure(self, failure: Failure) -> None:
        with self._lock:
            self._failures.append(failure)

    def clear(self) -> None:
        with self._lock:
            self._replies.clear()
            self._failures.clear()

    def take_failure(self, found: ops.Route) -> Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.operation != found.operation:
                    continue
                if failure.model_id is not None and failure.model_id != found.model_id:
                    continue
                if failure.remaining is not None:
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                return failure
        return None

    def find_reply(self, found: ops.Route) -> ProgrammedReply:
        with self._lock:
            return (
                self._replies.get((found.operation, found.model_id))
                or self._replies.get((found.operation, None))
                or ProgrammedReply()
            )

    def reply(self, found: ops.Route, request: HttpRequest, *, region: str, account_id: str) -> HttpResponse:
        """The answer to a routed request: a programmed failure, a programmed reply or the default one."""
        failure = self.take_failure(found)
        if failure is not None and not failure.in_stream:
            return error_response(failure.code, failure.message, failure.status)
        reply = self.find_reply(found)
        text = reply.text if reply.text is not None else ops.DEFAULT_TEXT
        tokens = ops.estimate_tokens(request.body)
        op = found.operation
        model_id = found.model_id or ""
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if op == "Converse":
            return _json_response(
                reply.body if reply.body is not None else ops.converse_body(text, tokens, reply.stop_reason),
                {**headers, **reply.headers},
            )
        if op == "ConverseStream":
            items: list[Any] = (
                list(reply.stream)
                if reply.stream is not None
                else ops.converse_stream_events(text, tokens, reply.stop_reason)
            )
            if failure is not None:
                items = [*items[:2], ops.StreamException.from_code(failure.code, failure.message)]
            headers["Content-Type"] = EVENTSTREAM_CONTENT_TYPE
            return HttpResponse(200, _frames(ops.converse_stream_frames(items)), {**headers, **reply.headers})
        if op == "InvokeModel":
            if reply.body is not None:
                raw = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            else:
                raw = json.dumps(ops.invoke_body(model_id, text, tokens, reply.stop_reason)).encode()
            output = max(1, len(text.split()))
            headers.update(
                {
                    "Content-Type": reply.content_type,
                    "X-Amzn-Bedrock-Input-Token-Count": str(tokens),
                    "X-Amzn-Bedrock-Output-Token-Count": str(output),
                    "X-Amzn-Bedrock-Invocation-Latency": "12",
                    "X-Amzn-Bedrock-Cache-Read-Input-Token-Count": "0",
                    "X-Amzn-Bedrock-Cache-Write-Input-Token-Count": "0",
                }
            )
            return HttpResponse(200, raw, {**headers, **reply.headers})
        if op == "InvokeModelWithResponseStream":
            chunks: list[Any] = (
                list(reply.stream) if reply.stream is not None else ops.invoke_stream_chunks(model_id, text, tokens)
            )
            if failure is not None:
                chunks = [*chunks[:2], ops.StreamException.from_code(failure.code, failure.message)]
            headers["Content-Type"] = EVENTSTREAM_CONTENT_TYPE
            headers["X-Amzn-Bedrock-Content-Type"] = reply.content_type
            return HttpResponse(200, _frames(ops.response_stream_frames(chunks)), {**headers, **reply.headers})
        if op == "InvokeModelWithBidirectionalStream":
            # SigV4 is accepted; a duplex HTTP/2 exchange is beyond an HTTP/1.1 loopback fake,
            # so the output stream ends at once.
            headers["Content-Type"] = EVENTSTREAM_CONTENT_TYPE
            return HttpResponse(200, b"", headers)
        body: Any = reply.body
        if body is None:
            body = _default_body(found, tokens, region, account_id)
        return _json_response(body, {**headers, **reply.headers})


def _default_body(found: ops.Route, tokens: int, region: str, account_id: str) -> Any:
    op = found.operation
    if op == "CountTokens":
        return {"inputTokens": tokens}
    if op == "ApplyGuardrail":
        return ops.apply_guardrail_body()
    if op == "StartAsyncInvoke":
        return {"invocationArn": ops.async_invocation_arn(region, account_id)}
    if op == "GetAsyncInvoke":
        return ops.get_async_invoke_body(found.resource or "")
    if op == "ListAsyncInvokes":
        return {"asyncInvokeSummaries": []}
    if op == "InvokeGuardrailChecks":
        return {"results": {}, "usage": {}}  # both structures (GuardrailChecksResults, ...UsageResults)
    if op == "GetInferenceProfile":
        return ops.inference_profile_body(found.resource or "", region, account_id)
    raise AssertionError(f"no default reply for {op}")  # pragma: no cover - routes are exhaustive


def error_response(
    code: str, message: str, status: int, *, auth_layer: bool = False, capital: bool = False
) -> HttpResponse:
    suffix = ops.AUTH_ERROR_SUFFIX if auth_layer else ops.SERVICE_ERROR_SUFFIX
    key = "Message" if capital else "message"
    body = json.dumps({key: message}).encode()
    return HttpResponse(
        status,
        body,
        {
            "Content-Type": "application/json",
            "x-amzn-RequestId": str(uuid.uuid4()),
            "x-amzn-ErrorType": code + suffix,
        },
    )


def error_code(response: HttpResponse) -> str | None:
    value = response.headers.get("x-amzn-ErrorType")
    return value.split(":", 1)[0] if value else None


def _json_response(body: Any, headers: dict[str, str]) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers.setdefault("Content-Type", "application/json")
    return HttpResponse(200, raw, headers)


def _frames(frames: Iterator[bytes]) -> Iterable[bytes]:
    # Materialise eagerly so a bad programmed stream fails before the 200 goes out.
    return list(frames)
