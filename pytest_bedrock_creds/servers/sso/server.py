"""``FakeSsoPortal``: the IAM Identity Center portal's ``GetRoleCredentials``, on loopback.

botocore's SSO credential provider reads an access token from the SSO token cache and calls
``GET /federation/credentials?account_id=…&role_name=…`` with the token in the
``x-amz-sso_bearer_token`` header (the call is unsigned). SDKs reach this fake through
``AWS_ENDPOINT_URL_SSO`` (:meth:`FakeSsoPortal.env`). The token must be an SSO access token
the ledger issued (``AwsFiles.sso_profile`` writes one into the cache) and not expired; the
role credentials it answers are issued through the ledger as ``sso:<profile>`` with that token
as their issuer.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from urllib.parse import parse_qsl

from pytest_bedrock_creds.ledger import IssuedCredentials, Ledger
from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse, LoopbackServer
from pytest_bedrock_creds.servers.expiry import now_utc
from pytest_bedrock_creds.servers.fault_methods import TransportFaults
from pytest_bedrock_creds.servers.faults import Faults, Reply, apply_faults, served_status, to_http_response

__all__ = ["FakeSsoPortal", "SsoRequest"]

_PATH = "/federation/credentials"
_TARGETS = ("credentials", "any")
TokenCheck = Literal["valid", "missing", "unknown", "expired"]


@dataclass(frozen=True)
class SsoRequest:
    """One call the portal received; ``token`` says how the access token checked, never its value."""

    method: str
    path: str
    account_id: str | None
    role_name: str | None
    token: TokenCheck
    status: int | None
    error_code: str | None = None
    issued_access_key_id: str | None = None
    fault: str | None = None


class FakeSsoPortal(TransportFaults, LoopbackServer):
    """A fake IAM Identity Center portal on ``127.0.0.1``, port 0, plain HTTP.

    Every role in the ledger's account is assigned unless :meth:`deny` says otherwise; role
    credentials last ``lifetime`` (one hour, as the portal's default).
    """

    name = "fake SSO portal"

    def __init__(self, *, ledger: Ledger | None = None, host: str = "127.0.0.1",
                 lifetime: timedelta = timedelta(hours=1)) -> None:
        super().__init__(host=host)
        self.ledger = ledger if ledger is not None else Ledger()
        self.lifetime = lifetime
        self.faults = Faults(_classify, _TARGETS)
        self._lock = threading.Lock()
        self._records: list[SsoRequest] = []
        self._denied: set[str] = set()
        self._issued: list[IssuedCredentials] = []

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"FakeSsoPortal({where}, requests={len(self._records)}, issued={len(self._issued)})"

    def __enter__(self) -> FakeSsoPortal:
        self.start()
        return self

    def env(self) -> dict[str, str]:
        """``AWS_ENDPOINT_URL_SSO``: botocore's SSO provider honours it for ``GetRoleCredentials``."""
        return {"AWS_ENDPOINT_URL_SSO": self.url}

    # -- behaviour ------------------------------------------------------------------------
    def deny(self, role_name: str) -> None:
        """Answer ``ForbiddenException`` for ``role_name`` (the user has no such assignment)."""
        with self._lock:
            self._denied.add(role_name)

    def fail(self, target: str = "credentials", *, status: int = 500, times: int | None = None) -> None:
        self.faults.add("status", target, status=status, times=times)

    def malformed_json(self, *, target: str = "credentials", times: int | None = None) -> None:
        self.faults.add("malformed", target, times=times)

    # -- inspection ----------------------------------------------------------------------------
    @property
    def requests(self) -> tuple[SsoRequest, ...]:
        with self._lock:
            return tuple(self._records)

    @property
    def issued(self) -> tuple[IssuedCredentials, ...]:
        with self._lock:
            return tuple(self._issued)

    def reset(self) -> None:
        """Forget denials, faults, records, issued credentials and server errors."""
        self.faults.clear()
        with self._lock:
            self._records.clear()
            self._denied.clear()
            self._issued.clear()
        with self._errors_lock:
            self._errors.clear()

    # -- the wire ------------------------------------------------------------------------------
    def handle(self, request: HttpRequest) -> HttpResponse:
        params = dict(parse_qsl(request.query, keep_blank_values=True))
        token_value = request.header("x-amz-sso_bearer_token")
        check, source = self._check_token(token_value)
        outcome: list[tuple[str | None, str | None]] = []

        def answer() -> Reply:
            reply, code, key = self._answer(request, params, check, source, token_value)
            outcome.append((code, key))
            return reply

        reply, fault = apply_faults(self.faults.take(request), answer)
        code, key = outcome[0] if outcome else (None, None)
        record = SsoRequest(request.method, request.path, params.get("account_id"), params.get("role_name"), check,
                            served_status(reply), code, key, fault)
        with self._lock:
            self._records.append(record)
        return to_http_response(reply)

    def _check_token(self, value: str | None) -> tuple[TokenCheck, str | None]:
        if not value:
            return "missing", None
        known = [t for t in self.ledger.token_for(value) if t.kind == "sso"]
        if not known:
            return "unknown", None
        token = known[-1]
        if token.expiration is not None and token.expiration <= now_utc():
            return "expired", token.source
        return "valid", token.source

    def _answer(
        self, request: HttpRequest, params: dict[str, str], check: TokenCheck, source: str | None, token: str | None
    ) -> tuple[Reply, str | None, str | None]:
        if request.method != "GET" or request.path != _PATH:
            return _error(404, "ResourceNotFoundException", f"no SSO portal operation at {request.path}"), \
                "ResourceNotFoundException", None
        if check != "valid":
            return _error(401, "UnauthorizedException", "Session token not found or invalid"), \
                "UnauthorizedException", None
        account, role = params.get("account_id"), params.get("role_name")
        with self._lock:
            denied = role in self._denied
        if not account or not role or account != self.ledger.account_id or denied:
            return _error(403, "ForbiddenException", "No access"), "ForbiddenException", None
        assert source is not None and token is not None
        issuer = next(t for t in self.ledger.token_for(token) if t.kind == "sso")
        expiration = (now_utc() + self.lifetime).replace(microsecond=0)
        creds = self.ledger.issue_credentials(source, temporary=True, expiration=expiration, issuer=issuer)
        with self._lock:
            self._issued.append(creds)
        body = {"roleCredentials": {
            "accessKeyId": creds.access_key_id,
            "secretAccessKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
            "expiration": int(expiration.timestamp() * 1000),
        }}
        return Reply(200, json.dumps(body).encode(), (("Content-Type", "application/json"),)), None, \
            creds.access_key_id


def _error(status: int, code: str, message: str) -> Reply:
    headers = (("Content-Type", "application/json"), ("x-amzn-ErrorType", code),
               ("x-amzn-RequestId", secrets.token_hex(16)))
    return Reply(status, json.dumps({"message": message}).encode(), headers)


def _classify(method: str, path: str) -> str | None:
    return "credentials" if path == _PATH else None
