"""FakeBedrock: a loopback Bedrock Runtime that records, attributes and verifies auth.

One :class:`FakeBedrock` owns two listeners sharing one state: HTTPS (a per-run trustme CA,
needed because botocore refuses bearer auth over plain HTTP) and plain HTTP (for clients
that cannot be given a CA). Every request is recorded as a :class:`BedrockRequest` whose
:class:`AuthRecord` says which scheme it used, which ledger source its key or token came
from, and whether its SigV4 signature verified against the secret the ledger issued.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from pytest_bedrock_creds.ledger import IssuedCredentials, Ledger
from pytest_bedrock_creds.redact import redact, redact_text
from pytest_bedrock_creds.servers import bedrock_ops as ops
from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse, LoopbackServer, ServerError
from pytest_bedrock_creds.servers.eventstream import CONTENT_TYPE as EVENTSTREAM_CONTENT_TYPE
from pytest_bedrock_creds.servers.sigv4 import (
    SHORT_TERM_PREFIX,
    IncompleteSignature,
    ShortTermKey,
    SigV4Authorization,
    check_date,
    compute_signature,
)
from pytest_bedrock_creds.servers.tls import LoopbackTls

if TYPE_CHECKING:
    from anthropic import AnthropicBedrock
    from botocore.client import BaseClient

__all__ = ["AuthRecord", "BedrockRequest", "FakeBedrock", "StreamException", "VerifyMode"]

StreamException = ops.StreamException

log = logging.getLogger("pytest_bedrock_creds.servers.bedrock")

Scheme = Literal["sigv4", "bearer", "none", "unknown"]
VerifyMode = Literal["strict", "record"]
_SIGNING_SERVICE = "bedrock"
_SECRET_HEADERS = frozenset({"authorization", "x-amz-security-token"})
_UNSET: Any = object()

MSG_INVALID_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
MSG_UNRECOGNIZED = "The security token included in the request is invalid."
MSG_EXPIRED = "The security token included in the request is expired"
MSG_MISSING_AUTH = "Authorization header is missing"
MSG_BAD_KEY_FORMAT = "Invalid API Key format: Must start with pre-defined prefix"
MSG_BAD_KEY = "Authentication failed: Please make sure your API Key is valid."
MSG_BIDI_BEARER = (
    "API keys are not supported for InvokeModelWithBidirectionalStream. Sign the request with AWS Signature Version 4."
)


@dataclass(frozen=True, repr=False)
class AuthRecord:
    """How one request authenticated. The repr never shows a token.

    * ``scheme``: ``"sigv4"``, ``"bearer"``, ``"none"`` (no Authorization header) or ``"unknown"``.
    * ``source``: the ledger source of the access key or token (``"env"``, ``"imds:app-role"``,
      ``"bearer:env"``...), ``None`` when the ledger does not know it.
    * ``signature_valid``: for SigV4, whether the signature matched the ledger's secret
      (``None`` when the key is unknown, so no secret could be tried). For a short-term
      ``bedrock-api-key-`` bearer token, whether its presigned URL verified; else ``None``.
    * ``token_kind``: for bearer, ``"long-term"`` (``ABSK``), ``"short-term"`` or ``"unknown"``.
    * ``error``: the AWS error code this request earns (``InvalidSignatureException``...), or
      ``None`` when AWS would accept it. In ``verify="record"`` mode it is recorded but not returned.
    """

    scheme: Scheme
    source: str | None = None
    access_key_id: str | None = None
    signature_valid: bool | None = None
    error: str | None = None
    message: str | None = None
    region: str | None = None
    service: str | None = None
    signed_headers: tuple[str, ...] = ()
    session_token_sent: bool = False
    amz_date: str | None = None
    token: str | None = None
    token_kind: Literal["long-term", "short-term", "unknown"] | None = None
    canonical_request: str | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None

    def __repr__(self) -> str:
        parts = [f"scheme={self.scheme!r}", f"source={self.source!r}"]
        if self.scheme == "sigv4":
            parts += [
                f"access_key_id={self.access_key_id!r}",
                f"signature_valid={self.signature_valid!r}",
                f"region={self.region!r}",
                f"session_token_sent={self.session_token_sent!r}",
            ]
        if self.token is not None:
            parts.append(f"token={redact(self.token)}")
            parts.append(f"token_kind={self.token_kind!r}")
            if self.access_key_id:
                parts += [f"access_key_id={self.access_key_id!r}", f"signature_valid={self.signature_valid!r}"]
        parts.append(f"error={self.error!r}")
        return f"AuthRecord({', '.join(parts)})"

    __str__ = __repr__


@dataclass(frozen=True, repr=False)
class BedrockRequest:
    """One request the fake received, with what it answered. The repr hides secrets."""

    operation: str | None
    model_id: str | None
    method: str
    raw_path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    auth: AuthRecord
    status: int
    error_code: str | None
    listener: Literal["https", "http"]
    resource: str | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def redacted_headers(self) -> tuple[tuple[str, str], ...]:
        return tuple((k, redact(v) if k.lower() in _SECRET_HEADERS else v) for k, v in self.headers)

    def __repr__(self) -> str:
        return (
            f"BedrockRequest({self.method} {self.raw_path} operation={self.operation!r} "
            f"model_id={self.model_id!r} status={self.status} error_code={self.error_code!r} "
            f"listener={self.listener!r} auth={self.auth!r})"
        )

    __str__ = __repr__


@dataclass
class _Reply:
    text: str | None = None
    body: Any = None
    stream: Sequence[Any] | None = None
    stop_reason: str = "end_turn"
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _Failure:
    operation: str
    code: str
    message: str
    status: int
    remaining: int | None
    model_id: str | None
    in_stream: bool


class _Listener(LoopbackServer):
    def __init__(self, owner: FakeBedrock, kind: Literal["https", "http"], host: str, tls: LoopbackTls | None):
        super().__init__(host=host, ssl_context=tls.server_context() if tls else None)
        self.name = f"FakeBedrock ({kind})"
        self._owner = owner
        self._kind: Literal["https", "http"] = kind

    def handle(self, request: HttpRequest) -> HttpResponse:
        return self._owner._handle(request, self._kind)


class FakeBedrock:
    """A fake Amazon Bedrock Runtime on loopback, HTTPS and plain HTTP side by side.

    ::

        ledger = Ledger()
        with FakeBedrock(ledger=ledger) as fake:
            creds = ledger.issue_credentials("env")
            client = fake.boto3_client(aws_access_key_id=creds.access_key_id, ...)
            client.converse(modelId="us.anthropic.claude-3-5-haiku-20241022-v1:0", messages=[...])
            fake.assert_auth(scheme="sigv4", source="env")

    ``verify="strict"`` (the default) answers a request that AWS would reject with AWS's
    error; ``verify="record"`` only records the verdict in :attr:`AuthRecord.error` and answers.
    """

    def __init__(
        self,
        *,
        ledger: Ledger | None = None,
        verify: VerifyMode = "strict",
        host: str = "127.0.0.1",
        region: str = "us-east-1",
    ) -> None:
        if verify not in ("strict", "record"):
            raise ValueError(f"verify must be 'strict' or 'record', not {verify!r}")
        self.ledger = ledger if ledger is not None else Ledger()
        self.verify = verify
        self.region = region
        self._host = host
        self._lock = threading.Lock()
        self._requests: list[BedrockRequest] = []
        self._replies: dict[tuple[str, str | None], _Reply] = {}
        self._failures: list[_Failure] = []
        self._errors: list[ServerError] = []
        self._tls: LoopbackTls | None = None
        self._https: _Listener | None = None
        self._http: _Listener | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._https is not None:
            raise RuntimeError(f"FakeBedrock is already running at {self.url}")
        self._tls = LoopbackTls()
        self._https = _Listener(self, "https", self._host, self._tls)
        self._http = _Listener(self, "http", self._host, None)
        self._https.start()
        self._http.start()

    def stop(self, timeout: float = 5.0) -> None:
        for listener in (self._https, self._http):
            if listener is not None:
                listener.stop(timeout)
        self._https = self._http = None
        if self._tls is not None:
            self._tls.cleanup()
            self._tls = None

    @property
    def running(self) -> bool:
        return self._https is not None

    def __enter__(self) -> FakeBedrock:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"FakeBedrock({where}, verify={self.verify!r}, requests={len(self._requests)})"

    # -- addresses ---------------------------------------------------------------------------
    def _running(self) -> tuple[_Listener, _Listener, LoopbackTls]:
        if self._https is None or self._http is None or self._tls is None:
            raise RuntimeError("FakeBedrock is not running; call start() or use it in a with block")
        return self._https, self._http, self._tls

    @property
    def url(self) -> str:
        """The HTTPS endpoint, e.g. ``https://127.0.0.1:50123``."""
        return self._running()[0].url

    @property
    def http_url(self) -> str:
        """The plain-HTTP endpoint, for clients that cannot be given a CA (SigV4 only for botocore)."""
        return self._running()[1].url

    @property
    def ca_bundle(self) -> str:
        """Path of a PEM file holding this run's CA certificate."""
        return self._running()[2].ca_bundle

    def env(self) -> dict[str, str]:
        """The environment variables that point unmodified SDK code at this fake."""
        return {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": self.url, "AWS_CA_BUNDLE": self.ca_bundle}

    # -- programming -------------------------------------------------------------------------
    def respond(
        self,
        operation: str,
        *,
        model_id: str | None = None,
        text: str | None = None,
        body: Any = None,
        stream: Sequence[Any] | None = None,
        stop_reason: str = "end_turn",
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Program the reply to ``operation`` (for ``model_id`` only, when given) until :meth:`reset`.

        * ``text``: the assistant text, in the operation's own shape (Converse output, ConverseStream
          deltas, an Anthropic/Nova/Titan InvokeModel body, Anthropic streaming chunks).
        * ``body``: the whole reply body, a dict (sent as JSON) or bytes (sent as is).
        * ``stream``: the events of a streaming reply: for ConverseStream one-key dicts
          ``{"contentBlockDelta": {...}}``; for InvokeModelWithResponseStream provider chunks
          (dicts or bytes); :class:`StreamException` anywhere for an in-stream exception.
        """
        self._check_operation(operation)
        if sum(x is not None for x in (text, body, stream)) > 1:
            raise ValueError("give one of text=, body= or stream=")
        if stream is not None and operation not in ops.STREAM_OPERATIONS:
            raise ValueError(f"stream= applies to {' and '.join(ops.STREAM_OPERATIONS)}, not {operation}")
        if body is not None and operation in ops.STREAM_OPERATIONS:
            raise ValueError(f"{operation} replies with an event stream: use stream= or text=")
        reply = _Reply(
            text,
            body,
            list(stream) if stream is not None else None,
            stop_reason,
            content_type,
            dict(headers or {}),
        )
        with self._lock:
            self._replies[(operation, model_id)] = reply

    def fail(
        self,
        operation: str,
        error: str,
        *,
        times: int | None = 1,
        message: str | None = None,
        status: int | None = None,
        model_id: str | None = None,
        in_stream: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of ``operation`` with ``error`` as AWS forms it.

        ``times=None`` fails every call until :meth:`reset`. ``in_stream=True`` (streaming
        operations only) sends the default events and then the exception as an in-stream frame.
        """
        self._check_operation(operation)
        if in_stream and operation not in ops.STREAM_OPERATIONS:
            raise ValueError(f"in_stream applies to {' and '.join(ops.STREAM_OPERATIONS)}, not {operation}")
        default_status, default_message = ops.SERVICE_ERRORS.get(error, (400, f"{error} (injected by FakeBedrock)"))
        failure = _Failure(
            operation, error, message or default_message, status or default_status, times, model_id, in_stream
        )
        with self._lock:
            self._failures.append(failure)

    def reset(self) -> None:
        """Forget recorded requests, programmed replies, failures and server errors."""
        with self._lock:
            self._requests.clear()
            self._replies.clear()
            self._failures.clear()
            self._errors.clear()
        for listener in (self._https, self._http):
            if listener is not None:
                with contextlib.suppress(ServerError):
                    listener.check()

    def check(self) -> None:
        """Raise the first error raised inside the server (a bug or a bad programmed reply)."""
        with self._lock:
            errors, self._errors = self._errors, []
        if errors:
            raise errors[0]
        for listener in (self._https, self._http):
            if listener is not None:
                listener.check()

    @staticmethod
    def _check_operation(operation: str) -> None:
        if operation not in ops.OPERATIONS:
            raise ValueError(f"unknown Bedrock Runtime operation {operation!r}; expected one of {ops.OPERATIONS}")

    # -- inspection --------------------------------------------------------------------------
    @property
    def requests(self) -> tuple[BedrockRequest, ...]:
        with self._lock:
            return tuple(self._requests)

    @property
    def last_request(self) -> BedrockRequest:
        with self._lock:
            if not self._requests:
                raise AssertionError("FakeBedrock received no request")
            return self._requests[-1]

    def assert_auth(
        self,
        *,
        scheme: Scheme | None = None,
        source: str | None = _UNSET,
        signature_valid: bool | None = _UNSET,
        operation: str | None = None,
        every: bool = False,
    ) -> BedrockRequest:
        """Assert how the last request (of ``operation``, when given) authenticated.

        ``every=True`` checks every matching request instead. Returns the last one checked.
        """
        candidates = [r for r in self.requests if operation is None or r.operation == operation]
        if not candidates:
            seen = ", ".join(f"{r.operation}" for r in self.requests) or "none"
            raise AssertionError(f"FakeBedrock received no {operation or 'request'} request (requests seen: {seen})")
        checked = candidates if every else candidates[-1:]
        for request in checked:
            problems = []
            if scheme is not None and request.auth.scheme != scheme:
                problems.append(f"scheme is {request.auth.scheme!r}, expected {scheme!r}")
            if source is not _UNSET and request.auth.source != source:
                problems.append(f"source is {request.auth.source!r}, expected {source!r}")
            if signature_valid is not _UNSET and request.auth.signature_valid != signature_valid:
                problems.append(f"signature_valid is {request.auth.signature_valid!r}, expected {signature_valid!r}")
            if problems:
                raise AssertionError(self._explain(request, problems))
        return checked[-1]

    def _explain(self, request: BedrockRequest, problems: list[str]) -> str:
        auth = request.auth
        lines = [
            f"FakeBedrock: {request.operation} {request.raw_path}: " + "; ".join(problems),
            f"  auth: {auth!r}",
        ]
        if auth.scheme == "sigv4" and auth.access_key_id:
            issued = self.ledger.credentials_for(auth.access_key_id)
            lines.append(
                f"  the ledger issued {auth.access_key_id} to: {', '.join(c.source for c in issued)}"
                if issued
                else f"  the ledger never issued {auth.access_key_id}: it came from outside the test's sandbox"
            )
        elif auth.scheme == "bearer" and auth.token:
            issued_tokens = self.ledger.token_for(auth.token)
            lines.append(
                f"  the ledger issued this token to: {', '.join(t.source for t in issued_tokens)}"
                if issued_tokens
                else "  the ledger never issued this bearer token"
            )
        elif auth.scheme == "none":
            lines.append("  the request carried no Authorization header")
        if auth.message:
            lines.append(f"  error: {auth.error}: {auth.message.splitlines()[0]}")
        others = [r for r in self.requests if r is not request]
        if others:
            lines.append("  other requests:")
            lines += [f"    {r.operation}: {r.auth!r}" for r in others[-5:]]
        return redact_text("\n".join(lines), self.ledger.secrets())

    # -- request handling ------------------------------------------------------------------------
    def _handle(self, request: HttpRequest, listener: Literal["https", "http"]) -> HttpResponse:
        found = ops.route(request.method, request.raw_path, request.body)
        auth = self._authenticate(request, listener, found)
        operation = found.operation if found else None
        model_id = found.model_id if found else None
        if auth.error is not None and self.verify == "strict":
            # Missing-auth and API-key errors carry "Message" (capital M), as AWS sends them.
            capital = auth.error == "AccessDeniedException"
            response = self._error_response(
                auth.error, auth.message or "", _auth_status(auth.error), auth_layer=True, capital=capital
            )
        elif found is None:
            response = self._error_response(
                "UnknownOperationException",
                f"FakeBedrock: no Bedrock Runtime operation at {request.method} {request.path}",
                404,
                auth_layer=True,
            )
        else:
            try:
                response = self._reply(found, request)
            except Exception as exc:  # a bad programmed reply; surfaced by check()
                log.exception("FakeBedrock failed to build the reply to %s", found.operation)
                with self._lock:
                    self._errors.append(ServerError("FakeBedrock", f"{request.method} {request.raw_path}", repr(exc)))
                response = self._error_response("InternalServerException", f"FakeBedrock: {exc!r}", 500)
        record = BedrockRequest(
            operation=operation,
            model_id=model_id,
            method=request.method,
            raw_path=request.raw_path,
            headers=request.headers,
            body=request.body,
            auth=auth,
            status=response.status,
            error_code=_error_code(response),
            listener=listener,
            resource=found.resource if found else None,
        )
        with self._lock:
            self._requests.append(record)
        return response

    def _authenticate(self, request: HttpRequest, listener: str, found: ops.Route | None) -> AuthRecord:
        header = request.header("Authorization")
        if header is None or not header.strip():
            return AuthRecord("none", error="AccessDeniedException", message=MSG_MISSING_AUTH)
        if header[:7].lower() == "bearer ":
            return self._authenticate_bearer(header[7:].strip(), found)
        if header.startswith("AWS4-HMAC-SHA256"):
            return self._authenticate_sigv4(request, listener)
        return AuthRecord(
            "unknown",
            error="IncompleteSignatureException",
            message=f"Authorization header requires 'Credential' parameter. Authorization={header.split(' ')[0]}",
        )

    def _authenticate_bearer(self, token: str, found: ops.Route | None) -> AuthRecord:
        kind = _token_kind(token)
        record = AuthRecord("bearer", source=self.ledger.source_of_token(token), token=token, token_kind=kind)
        known = bool(self.ledger.token_for(token))
        if not known and kind == "short-term":
            record = self._check_short_term_key(record, token)
            known = record.signature_valid is True and record.error is None
        if found is not None and found.operation == "InvokeModelWithBidirectionalStream":
            return replace(record, error="AccessDeniedException", message=MSG_BIDI_BEARER)
        if not known:
            message = MSG_BAD_KEY if kind != "unknown" else MSG_BAD_KEY_FORMAT
            return replace(record, error="AccessDeniedException", message=message)
        return record

    def _check_short_term_key(self, record: AuthRecord, token: str) -> AuthRecord:
        """A short-term key is a presigned URL: attribute it to the key that signed it and verify that."""
        key = ShortTermKey.decode(token)
        if key is None:
            return record
        record = replace(
            record,
            access_key_id=key.access_key_id,
            region=key.region,
            amz_date=key.amz_date,
            session_token_sent=key.session_token is not None,
            source=self.ledger.source_of_key(key.access_key_id),
        )
        issued = self.ledger.credentials_for(key.access_key_id)
        if not issued:
            return record
        creds = _matching(issued, key.session_token)
        record = replace(record, signature_valid=key.verify(creds.secret_access_key))
        if creds.session_token != key.session_token or _expired(creds.expiration):
            return replace(record, error="AccessDeniedException", message=MSG_BAD_KEY)
        if key.expires_at <= datetime.now(timezone.utc):
            return replace(record, error="AccessDeniedException", message=MSG_BAD_KEY)
        return record

    def _authenticate_sigv4(self, request: HttpRequest, listener: str) -> AuthRecord:
        try:
            parsed = SigV4Authorization.parse(request.header("Authorization") or "")
        except IncompleteSignature as exc:
            return AuthRecord("sigv4", error="IncompleteSignatureException", message=str(exc))
        amz_date = request.header("X-Amz-Date") or request.header("Date")
        session_token = request.header("X-Amz-Security-Token")
        record = AuthRecord(
            "sigv4",
            source=self.ledger.source_of_key(parsed.access_key_id),
            access_key_id=parsed.access_key_id,
            region=parsed.region,
            service=parsed.service,
            signed_headers=parsed.signed_headers,
            session_token_sent=session_token is not None,
            amz_date=amz_date,
        )
        issued = self.ledger.credentials_for(parsed.access_key_id)
        if not issued:
            return replace(record, error="UnrecognizedClientException", message=MSG_UNRECOGNIZED)
        creds = _matching(issued, session_token)
        scheme = "https" if listener == "https" else "http"
        result = compute_signature(request, parsed, creds.secret_access_key, scheme=scheme)
        record = replace(record, signature_valid=result.valid, canonical_request=result.canonical_request)
        error: tuple[str, str] | None = None
        if creds.session_token != session_token:
            error = ("UnrecognizedClientException", MSG_UNRECOGNIZED)
        elif _expired(creds.expiration):
            error = ("ExpiredTokenException", MSG_EXPIRED)
        elif parsed.service != _SIGNING_SERVICE:
            error = (
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: '{_SIGNING_SERVICE}'. ",
            )
        elif (date_error := check_date(amz_date, parsed.date)) is not None:
            error = date_error
        elif not result.valid:
            error = (
                "InvalidSignatureException",
                (
                    f"{MSG_INVALID_SIGNATURE}\n\nThe Canonical String for this request should have been\n"
                    f"'{result.canonical_request}'\n\nThe String-to-Sign should have been\n"
                    f"'{result.string_to_sign}'\n"
                ),
            )
        if error is None:
            return record
        return replace(record, error=error[0], message=error[1])

    # -- replies -------------------------------------------------------------------------------------
    def _take_failure(self, found: ops.Route) -> _Failure | None:
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

    def _find_reply(self, found: ops.Route) -> _Reply:
        with self._lock:
            return (
                self._replies.get((found.operation, found.model_id))
                or self._replies.get((found.operation, None))
                or _Reply()
            )

    def _reply(self, found: ops.Route, request: HttpRequest) -> HttpResponse:
        failure = self._take_failure(found)
        if failure is not None and not failure.in_stream:
            return self._error_response(failure.code, failure.message, failure.status)
        reply = self._find_reply(found)
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
            body = self._default_body(found, request, tokens)
        return _json_response(body, {**headers, **reply.headers})

    def _default_body(self, found: ops.Route, request: HttpRequest, tokens: int) -> Any:
        op = found.operation
        if op == "CountTokens":
            return {"inputTokens": tokens}
        if op == "ApplyGuardrail":
            return ops.apply_guardrail_body()
        if op == "StartAsyncInvoke":
            return {"invocationArn": ops.async_invocation_arn(self.region, self.ledger.account_id)}
        if op == "GetAsyncInvoke":
            return ops.get_async_invoke_body(found.resource or "")
        if op == "ListAsyncInvokes":
            return {"asyncInvokeSummaries": []}
        if op == "InvokeGuardrailChecks":
            return {"results": [], "usage": {}}
        if op == "GetInferenceProfile":
            return ops.inference_profile_body(found.resource or "", self.region, self.ledger.account_id)
        raise AssertionError(f"no default reply for {op}")  # pragma: no cover - routes are exhaustive

    def _error_response(
        self, code: str, message: str, status: int, *, auth_layer: bool = False, capital: bool = False
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

    # -- client conveniences -----------------------------------------------------------------------
    def boto3_client(self, **kwargs: Any) -> BaseClient:
        """A boto3 ``bedrock-runtime`` client pointed at the HTTPS endpoint, trusting its CA.

        Credentials and auth scheme come from the environment as usual; ``region_name``
        defaults to this fake's region when none is configured.
        """
        import boto3

        session = kwargs.pop("session", None) or boto3.session.Session()
        kwargs.setdefault("endpoint_url", self.url)
        kwargs.setdefault("verify", self.ca_bundle)
        if session.region_name is None:
            kwargs.setdefault("region_name", self.region)
        client: BaseClient = session.client("bedrock-runtime", **kwargs)
        return client

    def anthropic_client(self, **kwargs: Any) -> AnthropicBedrock:
        """An ``anthropic.AnthropicBedrock`` pointed at the HTTPS endpoint, trusting its CA."""
        import httpx2
        from anthropic import AnthropicBedrock

        kwargs.setdefault("base_url", self.url)
        kwargs.setdefault("http_client", httpx2.Client(verify=self._running()[2].client_context()))
        kwargs.setdefault("max_retries", 0)
        if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
            kwargs.setdefault("aws_region", self.region)
        return AnthropicBedrock(**kwargs)


def _matching(issued: tuple[IssuedCredentials, ...], session_token: str | None) -> IssuedCredentials:
    for creds in issued:
        if creds.session_token == session_token:
            return creds
    return issued[-1]


def _expired(expiration: datetime | None) -> bool:
    if expiration is None:
        return False
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=timezone.utc)
    return expiration <= datetime.now(timezone.utc)


def _token_kind(token: str) -> Literal["long-term", "short-term", "unknown"]:
    if token.startswith("ABSK"):
        return "long-term"
    if token.startswith(SHORT_TERM_PREFIX):
        return "short-term"
    return "unknown"


def _auth_status(code: str) -> int:
    return 400 if code == "IncompleteSignatureException" else 403


def _error_code(response: HttpResponse) -> str | None:
    value = response.headers.get("x-amzn-ErrorType")
    return value.split(":", 1)[0] if value else None


def _json_response(body: Any, headers: dict[str, str]) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers.setdefault("Content-Type", "application/json")
    return HttpResponse(200, raw, headers)


def _frames(frames: Iterator[bytes]) -> Iterable[bytes]:
    # Materialise eagerly so a bad programmed stream fails before the 200 goes out.
    return list(frames)
