"""FakeBedrock: a loopback Bedrock Runtime that records, attributes and verifies auth.

One :class:`FakeBedrock` owns two listeners sharing one state: HTTPS (a per-run trustme CA,
needed because botocore refuses bearer auth over plain HTTP) and plain HTTP (for clients
that cannot be given a CA). Every request is recorded as a :class:`BedrockRequest` whose
:class:`AuthRecord` says which scheme it used, which ledger source its key or token came
from, and whether its SigV4 signature verified against the secret the ledger issued.

The jobs are split by module: :mod:`.bedrock_records` (the records), :mod:`.bedrock_auth`
(verification and attribution), :mod:`.bedrock_replies` (programmed and default replies,
AWS-shaped errors), :mod:`.bedrock_ops` (routes and bodies); this module is the face.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import ssl
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pytest_bedrock_creds.ledger import Ledger
from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse, LoopbackServer, ServerError
from pytest_bedrock_creds.servers.bedrock import ops
from pytest_bedrock_creds.servers.bedrock.auth import (
    UNSET,
    auth_problems,
    auth_status,
    authenticate,
    explain,
    unknown_key_hint,
)
from pytest_bedrock_creds.servers.bedrock.records import AuthRecord, BedrockRequest, Scheme
from pytest_bedrock_creds.servers.bedrock.replies import (
    Failure,
    ProgrammedReply,
    ReplyScript,
    error_code,
    error_response,
)
from pytest_bedrock_creds.servers.tls import LoopbackTls

if TYPE_CHECKING:
    from anthropic import AnthropicBedrock
    from botocore.client import BaseClient

__all__ = ["AuthRecord", "BedrockRequest", "FakeBedrock", "StreamException", "VerifyMode"]

StreamException = ops.StreamException

log = logging.getLogger("pytest_bedrock_creds.servers.bedrock")

VerifyMode = Literal["strict", "record"]
_UNSET: Any = UNSET


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
        self._script = ReplyScript()
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

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client ``ssl.SSLContext`` that trusts this run's CA (for httpx, aiohttp ...)."""
        return self._running()[2].client_context()

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
        reply = ProgrammedReply(
            text,
            body,
            list(stream) if stream is not None else None,
            stop_reason,
            content_type,
            dict(headers or {}),
        )
        self._script.program(operation, model_id, reply)

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
        self._script.add_failure(
            Failure(operation, error, message or default_message, status or default_status, times, model_id, in_stream)
        )

    def reset(self) -> None:
        """Forget recorded requests, programmed replies, failures and server errors."""
        self._script.clear()
        with self._lock:
            self._requests.clear()
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
        via: str | tuple[str, ...] = _UNSET,
        signature_valid: bool | None = _UNSET,
        operation: str | None = None,
        every: bool = False,
    ) -> BedrockRequest:
        """Assert how the last request (of ``operation``, when given) authenticated.

        ``via``: the rest of the lineage after ``source``, i.e. who signed the call that issued
        the credentials, hop by hop (``"shared-credentials-file:base"`` for one hop, a tuple for
        more, ``()`` for credentials no fake issued on anyone's behalf).
        ``every=True`` checks every matching request instead. Returns the last one checked.
        """
        candidates = [r for r in self.requests if operation is None or r.operation == operation]
        if not candidates:
            seen = ", ".join(f"{r.operation}" for r in self.requests) or "none"
            what = f"{operation} request" if operation else "request"
            raise AssertionError(f"FakeBedrock received no {what} (requests seen: {seen})")
        checked = candidates if every else candidates[-1:]
        for request in checked:
            problems = auth_problems(request.auth, scheme=scheme, source=source, via=via,
                                     signature_valid=signature_valid)
            if problems:
                raise AssertionError(
                    explain(self.ledger, request, problems, [r for r in self.requests if r is not request])
                )
        return checked[-1]

    # -- request handling ------------------------------------------------------------------------
    def _handle(self, request: HttpRequest, listener: Literal["https", "http"]) -> HttpResponse:
        found = ops.route(request.method, request.raw_path, request.body)
        auth = authenticate(self.ledger, request, listener, found)
        if auth.source is None and (hint := unknown_key_hint(auth.access_key_id)):
            log.warning("FakeBedrock: a request signed with %s%s", auth.access_key_id, hint)
        operation = found.operation if found else None
        model_id = found.model_id if found else None
        if auth.error is not None and self.verify == "strict":
            # Missing-auth and API-key errors carry "Message" (capital M), as AWS sends them.
            capital = auth.error == "AccessDeniedException"
            response = error_response(
                auth.error, auth.message or "", auth_status(auth.error), auth_layer=True, capital=capital
            )
        elif found is None:
            response = error_response(
                "UnknownOperationException",
                f"FakeBedrock: no Bedrock Runtime operation at {request.method} {request.path}",
                404,
                auth_layer=True,
            )
        else:
            try:
                response = self._script.reply(found, request, region=self.region, account_id=self.ledger.account_id)
            except Exception as exc:  # a bad programmed reply; surfaced by check()
                log.exception("FakeBedrock failed to build the reply to %s", found.operation)
                with self._lock:
                    self._errors.append(ServerError("FakeBedrock", f"{request.method} {request.raw_path}", repr(exc)))
                response = error_response("InternalServerException", f"FakeBedrock: {exc!r}", 500)
        record = BedrockRequest(
            operation=operation,
            model_id=model_id,
            method=request.method,
            raw_path=request.raw_path,
            headers=request.headers,
            body=request.body,
            auth=auth,
            status=response.status,
            error_code=error_code(response),
            listener=listener,
            resource=found.resource if found else None,
        )
        with self._lock:
            self._requests.append(record)
        return response

    # -- client conveniences -----------------------------------------------------------------------
    def boto3_client(self, **kwargs: Any) -> BaseClient:
        """A boto3 ``bedrock-runtime`` client pointed at the HTTPS endpoint, trusting its CA.

        Credentials and auth scheme come from the environment as usual; ``region_name``
        defaults to this fake's region when none is configured.
        """
        boto3 = _import_sdk("boto3", "boto3_client()")
        session = kwargs.pop("session", None) or boto3.session.Session()
        kwargs.setdefault("endpoint_url", self.url)
        kwargs.setdefault("verify", self.ca_bundle)
        if session.region_name is None:
            kwargs.setdefault("region_name", self.region)
        client: BaseClient = session.client("bedrock-runtime", **kwargs)
        return client

    def anthropic_client(self, **kwargs: Any) -> AnthropicBedrock:
        """An ``anthropic.AnthropicBedrock`` pointed at the HTTPS endpoint, trusting its CA."""
        httpx2 = _import_sdk("httpx2", "anthropic_client()")
        anthropic_bedrock: type[AnthropicBedrock] = _import_sdk("anthropic", "anthropic_client()").AnthropicBedrock
        kwargs.setdefault("base_url", self.url)
        kwargs.setdefault("http_client", httpx2.Client(verify=self.client_ssl_context()))
        kwargs.setdefault("max_retries", 0)
        if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
            kwargs.setdefault("aws_region", self.region)
        return anthropic_bedrock(**kwargs)


def _import_sdk(module: str, method: str) -> Any:
    """Import an optional SDK for a convenience method; when it is missing, say which extra brings it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != module:
            raise  # the SDK is there but broken: its own error says more
        raise ModuleNotFoundError(
            f"FakeBedrock.{method} needs {module!r}, which is not installed; install the SDKs with "
            "pip install 'pytest-bedrock-creds[sdks]' (boto3, anthropic[bedrock], langchain-aws)",
            name=module,
        ) from exc
