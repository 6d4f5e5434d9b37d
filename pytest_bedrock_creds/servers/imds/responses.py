"""``ResponsesImds``: the IMDS model served through ``responses``, without a socket.

For code that reaches IMDS with ``requests`` (often at the hard-coded
``http://169.254.169.254``), and for suites running under pytest-socket. The rules are the
same :class:`~pytest_bedrock_creds.servers.imds.model.ImdsModel` that ``FakeImds`` serves,
and the face is the same: ``add_role``, ``v1_enabled``, ``fail``/``delay``/``hang``/...,
``requests``, ``reset()``, ``check()``.

``hang`` raises ``requests.exceptions.ReadTimeout`` (what a client sees when the hop limit
drops the token response) and ``reset_connection`` raises ``requests.exceptions.ConnectionError``.
botocore does not use ``requests``, so it is not intercepted: use ``FakeImds`` for SDKs.

    with ResponsesImds() as imds:
        imds.add_role("app-role")
        token = requests.put(imds.url + "/latest/api/token", headers={...}).text
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from typing import Any

import requests.exceptions  # type: ignore[import-untyped,unused-ignore]
import responses

from pytest_bedrock_creds.ledger import Ledger
from pytest_bedrock_creds.servers.base import HttpRequest, ServerError
from pytest_bedrock_creds.servers.imds import ImdsControls
from pytest_bedrock_creds.servers.imds.model import ImdsModel

__all__ = ["ResponsesImds"]

_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS")


class ResponsesImds(ImdsControls):
    """Intercept ``requests`` calls to ``url`` and answer them from an IMDS model.

    ``mock``: an active ``responses.RequestsMock`` to register on (e.g. the one a test
    already uses); by default :meth:`start` creates and activates its own.
    """

    name = "socketless IMDS"

    def __init__(
        self,
        *,
        ledger: Ledger | None = None,
        url: str = "http://169.254.169.254",
        mock: responses.RequestsMock | None = None,
    ) -> None:
        if not isinstance(url, str) or not re.match(r"^https?://[^/]+$", url):
            raise ValueError(f"url must be scheme://host[:port] with no path, not {url!r}")
        self.model = ImdsModel(ledger)
        self.url = url
        self._mock = mock
        self._owns_mock = mock is None
        self._errors: list[ServerError] = []
        self._errors_lock = threading.Lock()
        self._started = False
        self._registered: list[responses.BaseResponse] = []

    def __repr__(self) -> str:
        return f"ResponsesImds({self.url}, roles={list(self.model.roles)}, v1_enabled={self.v1_enabled})"

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        if self._started:
            raise RuntimeError(f"{self.name} is already active for {self.url}")
        if self._mock is None:
            self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        if self._owns_mock:
            self._mock.start()
        pattern = re.compile(re.escape(self.url) + r"(/.*)?$")
        self._registered = [self._mock.add_callback(method, pattern, callback=self._callback) for method in _METHODS]
        self._started = True

    def stop(self) -> None:
        """Deactivate our own mock, or take our routes off the caller's (so its
        ``assert_all_requests_are_fired`` only judges its own routes)."""
        if self._started and self._mock is not None:
            if self._owns_mock:
                self._mock.stop()
                self._mock.reset()
                self._mock = None
            else:
                for route in self._registered:
                    self._mock.remove(route)
        self._registered = []
        self._started = False

    def __enter__(self) -> ResponsesImds:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """The same seam as FakeImds, for code that reads the endpoint variable."""
        return {"AWS_EC2_METADATA_SERVICE_ENDPOINT": self.url + "/"}

    # -- inspection ---------------------------------------------------------------------------
    def check(self) -> None:
        """Raise the first error that happened inside the model since the last check."""
        with self._errors_lock:
            errors, self._errors = self._errors, []
        if errors:
            raise errors[0]

    # -- the adapter ----------------------------------------------------------------------------
    def _callback(self, prepared: Any) -> tuple[int, Mapping[str, str], bytes] | Exception:
        body = prepared.body or b""
        request = HttpRequest(
            method=str(prepared.method),
            raw_path=str(prepared.path_url),
            headers=tuple((str(k), str(v)) for k, v in prepared.headers.items()),
            body=body.encode() if isinstance(body, str) else bytes(body),
            client="responses",
        )
        try:
            reply = self.model.handle(request)
        except Exception as exc:  # noqa: BLE001 - reported through check()
            with self._errors_lock:
                self._errors.append(ServerError(self.name, f"{request.method} {request.raw_path}", repr(exc)))
            return 500, {"Content-Type": "text/plain"}, b"internal error in fake IMDS; call .check() for details"
        if reply.delay:
            time.sleep(reply.delay)
        if reply.hang:
            return requests.exceptions.ReadTimeout(f"{self.name}: hung on {request.method} {request.path}")
        if reply.reset:
            return requests.exceptions.ConnectionError(
                ConnectionResetError(104, f"{self.name}: connection reset on {request.method} {request.path}")
            )
        return reply.status, dict(reply.headers), reply.body
