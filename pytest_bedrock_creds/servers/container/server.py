"""``FakeContainerCredentials``: the ECS / EKS Pod Identity container-credentials endpoint.

SDKs reach it through ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` on loopback, with
``AWS_CONTAINER_AUTHORIZATION_TOKEN`` or ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE``
(:meth:`FakeContainerCredentials.env` returns them). ``RELATIVE_URI`` always means
``169.254.170.2`` and wins over ``FULL_URI`` in every SDK, so it must be unset.

Two flavours, with the agents' wire behaviour:

* ``"ecs"``: ``/v2/credentials/<id>``; the document has ``RoleArn``; errors are JSON
  ``{"code", "message"}``; a wrong or missing ``Authorization`` gets 403 (the loopback
  credential servers such as aws-vault's do this).
* ``"eks"`` (Pod Identity agent): ``/v1/credentials``; the raw token is required
  (empty or ``Bearer …`` gets 400); errors are plain text; the document has ``AccountId``
  and an RFC 3339 ``Expiration`` with nanoseconds.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pytest_bedrock_creds.ledger import IssuedCredentials, Ledger
from pytest_bedrock_creds.redact import redact
from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse, LoopbackServer
from pytest_bedrock_creds.servers.expiry import DEFAULT_LIFETIME, check_expiry, format_timestamp, now_utc
from pytest_bedrock_creds.servers.faults import Faults, Reply, apply_faults, served_status, to_http_response
from pytest_bedrock_creds.tempfiles import write_private

__all__ = ["CONTAINER_TARGETS", "ContainerRequest", "FakeContainerCredentials", "Flavour"]

Flavour = Literal["ecs", "eks"]
_GENERATE = "<generate>"
CONTAINER_TARGETS = ("credentials", "any")


@dataclass(frozen=True)
class ContainerRequest:
    """One request the fake saw. ``authorization`` says how the header compared, never its value."""

    method: str
    path: str
    status: int | None
    authorization: Literal["missing", "valid", "invalid", "not-checked"]
    fault: str | None = None
    user_agent: str | None = None


class FakeContainerCredentials(LoopbackServer):
    """A fake container-credentials endpoint on loopback, port 0.

    ``auth_token``: the token the endpoint requires (a random one by default; ``None``
    accepts any request). Credentials are issued through the ledger with source
    ``container`` by :meth:`issue`; until then the endpoint answers as an agent that has
    none yet (ECS 503 ``CredentialsUninitialized``, EKS 500).
    """

    name = "fake container credentials"

    def __init__(
        self,
        *,
        ledger: Ledger | None = None,
        host: str = "127.0.0.1",
        auth_token: str | None = _GENERATE,
        flavour: Flavour = "ecs",
        path: str | None = None,
    ) -> None:
        super().__init__(host=host)
        if flavour not in ("ecs", "eks"):
            raise ValueError(f"flavour must be 'ecs' or 'eks', not {flavour!r}")
        if auth_token is not None and (
            not isinstance(auth_token, str) or not auth_token or "\n" in auth_token or "\r" in auth_token
        ):
            raise ValueError("auth_token must be a non-empty single-line string or None")
        if path is not None and (not isinstance(path, str) or not path.startswith("/")):
            raise ValueError(f"path must start with '/', not {path!r}")
        self.ledger = ledger if ledger is not None else Ledger()
        self.flavour: Flavour = flavour
        if auth_token == _GENERATE:
            auth_token = _jwt_like() if flavour == "eks" else secrets.token_urlsafe(32)
        self.auth_token = auth_token
        self.path = path or ("/v1/credentials" if flavour == "eks" else f"/v2/credentials/{uuid.uuid4()}")
        self.faults = Faults(self._classify, CONTAINER_TARGETS)
        self._lock = threading.Lock()
        self._records: list[ContainerRequest] = []
        self._credentials: IssuedCredentials | None = None

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return (
            f"FakeContainerCredentials({where}, flavour={self.flavour!r}, path={self.path!r}, "
            f"auth_token={redact(self.auth_token)})"
        )

    def __enter__(self) -> FakeContainerCredentials:
        self.start()
        return self

    # -- the SDK seam ---------------------------------------------------------------------
    @property
    def full_uri(self) -> str:
        return self.url + self.path

    def env(self, token_file: str | os.PathLike[str] | None = None) -> dict[str, str]:
        """``AWS_CONTAINER_CREDENTIALS_FULL_URI`` plus the token, inline or written to ``token_file``.

        The file is written without a trailing newline (botocore sends the file's content
        unstripped and rejects a newline) and with mode 0600.
        """
        env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.full_uri}
        if self.auth_token is None:
            return env
        if token_file is None:
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = self.auth_token
        else:
            write_private(Path(token_file), self.auth_token.encode("utf-8"))
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = os.fspath(token_file)
        return env

    # -- behaviour ------------------------------------------------------------------------
    def issue(
        self, *, lifetime: timedelta = DEFAULT_LIFETIME, expiration: datetime | None = None, expired: bool = False
    ) -> IssuedCredentials:
        """Issue and serve new credentials (source ``container``)."""
        check_expiry(lifetime, expiration, expired)
        now = now_utc()
        if expired:
            expiration = now - timedelta(hours=1)
        expiration = expiration or now + lifetime
        if self.flavour == "ecs":  # whole seconds on the wire: the ledger holds exactly what is served
            expiration = expiration.replace(microsecond=0)
        creds = self.ledger.issue_credentials("container", temporary=True, expiration=expiration)
        with self._lock:
            self._credentials = creds
        return creds

    @property
    def credentials(self) -> IssuedCredentials | None:
        with self._lock:
            return self._credentials

    def fail(self, target: str = "credentials", *, status: int = 500, times: int | None = None) -> None:
        """Answer ``status`` on ``target`` (``"credentials"``, ``"any"`` or a path)."""
        self.faults.add("status", target, status=status, times=times)

    def delay(self, seconds: float, *, target: str = "any", times: int | None = None) -> None:
        self.faults.add("delay", target, seconds=seconds, times=times)

    def hang(self, *, target: str = "any", times: int | None = None) -> None:
        self.faults.add("hang", target, times=times)

    def malformed_json(self, *, target: str = "credentials", times: int | None = None) -> None:
        self.faults.add("malformed", target, times=times)

    def reset_connection(self, *, target: str = "any", times: int | None = None) -> None:
        self.faults.add("reset", target, times=times)

    # -- inspection -------------------------------------------------------------------------
    @property
    def requests(self) -> tuple[ContainerRequest, ...]:
        with self._lock:
            return tuple(self._records)

    def reset(self) -> None:
        """Forget credentials, faults, records and errors. The token and path stay."""
        with self._lock:
            self._records.clear()
            self._credentials = None
        self.faults.clear()
        with self._errors_lock:
            self._errors.clear()

    # -- the wire ---------------------------------------------------------------------------
    def handle(self, request: HttpRequest) -> HttpResponse:
        return to_http_response(self.answer(request))

    def answer(self, request: HttpRequest) -> Reply:
        faults = self.faults.take(request)
        given = request.header("Authorization")
        auth: Literal["missing", "valid", "invalid", "not-checked"]
        if self.auth_token is None:
            auth = "not-checked"
        elif not given:
            auth = "missing"
        else:
            auth = "valid" if secrets.compare_digest(given.encode(), self.auth_token.encode()) else "invalid"
        reply, fault_name = apply_faults(faults, lambda: self._answer(request, given, auth))
        with self._lock:
            self._records.append(
                ContainerRequest(
                    method=request.method,
                    path=request.path,
                    status=served_status(reply),
                    authorization=auth,
                    fault=fault_name,
                    user_agent=request.header("User-Agent"),
                )
            )
        return reply

    def _classify(self, method: str, path: str) -> str | None:
        return "credentials" if path == self.path else None

    def _answer(self, request: HttpRequest, given: str | None, auth: str) -> Reply:
        if request.method != "GET":
            return self._error(405, "MethodNotAllowed", f"method {request.method} is not allowed")
        if self.flavour == "eks":
            if auth == "missing":
                return self._error(400, "", "Service account token cannot be empty")
            if given is not None and given.lower().startswith("bearer "):
                return self._error(400, "", "Service account token cannot be parsed")
        if auth in ("missing", "invalid"):
            return self._error(403, "AccessDenied", "invalid Authorization token")
        if request.path != self.path:
            if self.flavour == "eks":
                return self._error(404, "", "404 page not found")
            return self._error(400, "InvalidIdInRequest", f"unknown credentials id in {request.path!r}")
        creds = self.credentials
        if creds is None:
            if self.flavour == "eks":
                return self._error(500, "", "Internal Server Error")
            return self._error(503, "CredentialsUninitialized", "credentials are not yet available")
        assert creds.expiration is not None
        if self.flavour == "eks":
            doc = {
                "AccessKeyId": creds.access_key_id,
                "SecretAccessKey": creds.secret_access_key,
                "Token": creds.session_token or "",
                "AccountId": self.ledger.account_id,
                "Expiration": _rfc3339_nano(creds.expiration),
            }
        else:
            doc = {
                "AccessKeyId": creds.access_key_id,
                "Expiration": format_timestamp(creds.expiration),
                "RoleArn": f"arn:aws:iam::{self.ledger.account_id}:role/task-role",
                "SecretAccessKey": creds.secret_access_key,
                "Token": creds.session_token or "",
            }
        return Reply(200, json.dumps(doc).encode(), (("Content-Type", "application/json"),))

    def _error(self, status: int, code: str, message: str) -> Reply:
        if self.flavour == "eks":
            return Reply(status, (message + "\n").encode(), (("Content-Type", "text/plain; charset=utf-8"),))
        body = json.dumps({"code": code, "message": message}).encode()
        return Reply(status, body, (("Content-Type", "application/json"),))


def _jwt_like() -> str:
    """A token with the shape of a projected service-account JWT (three base64url parts)."""
    return "eyJhbGciOiJSUzI1NiIsImtpZCI6ImZha2UifQ." + secrets.token_urlsafe(96) + "." + secrets.token_urlsafe(64)


def _rfc3339_nano(moment: datetime) -> str:
    """Go's RFC3339Nano as the Pod Identity agent sends it; Python keeps the first 6 digits."""
    return format_timestamp(moment)[:-1] + f".{moment.microsecond:06d}789Z"
