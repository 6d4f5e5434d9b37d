"""What FakeSts decides: the roles, the checks AWS makes, and the credentials it issues.

Every signed call (``AssumeRole``, ``GetCallerIdentity``) is verified with the SigV4 check
FakeBedrock uses (:func:`~pytest_bedrock_creds.servers.bedrock.auth.authenticate_sigv4`, signing
name ``sts``) against the secret the ledger issued; ``AssumeRoleWithWebIdentity`` is unsigned
and its token must be a web identity token the ledger issued. Issued credentials carry the
credentials or token that authorized the call as their ``issuer``: that is the lineage.
"""

from __future__ import annotations

import re
import secrets
import string
import threading
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Literal

from pytest_bedrock_creds.ledger import IssuedCredentials, IssuedToken, Ledger
from pytest_bedrock_creds.servers.base import HttpRequest
from pytest_bedrock_creds.servers.bedrock.auth import authenticate_sigv4
from pytest_bedrock_creds.servers.bedrock.records import AuthRecord
from pytest_bedrock_creds.servers.expiry import now_utc
from pytest_bedrock_creds.servers.faults import Reply
from pytest_bedrock_creds.servers.sts.wire import AssumedRole, error_reply, result_reply, unix_seconds
from pytest_bedrock_creds.web_identity import parse_role_arn

__all__ = ["Role", "StsModel", "StsRequest", "TokenCheck"]

SIGNING_NAME = "sts"
#: How the SigV4 check's (Bedrock-worded) codes read in STS, with their HTTP status.
_AUTH_ERRORS = {
    "UnrecognizedClientException": ("InvalidClientTokenId", 403),
    "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
    "ExpiredTokenException": ("ExpiredToken", 400),
    "IncompleteSignatureException": ("IncompleteSignature", 400),
    "AccessDeniedException": ("MissingAuthenticationToken", 403),
}
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_ID_ALPHABET = string.ascii_uppercase + string.digits

TokenCheck = Literal["valid", "unknown", "not-a-jwt", "expired", "other-role", "missing"]


@dataclass(frozen=True)
class Role:
    """A role's settings on the fake: what ``AssumeRole`` must bring."""

    name: str
    external_id: str | None = None
    mfa_serial: str | None = None
    max_session_duration: int = 3600
    allow: bool = True


@dataclass(frozen=True, repr=False)
class StsRequest:
    """One call FakeSts received. No secret or token is in here (``web_identity_token`` says how
    the token checked, never its value)."""

    action: str | None
    method: str
    status: int | None
    error_code: str | None = None
    auth: AuthRecord = field(default_factory=lambda: AuthRecord("none"))
    role_arn: str | None = None
    role_session_name: str | None = None
    duration_seconds: int | None = None
    external_id: str | None = None
    serial_number: str | None = None
    token_code_sent: bool = False
    web_identity_token: TokenCheck | None = None
    issued_access_key_id: str | None = None
    fault: str | None = None

    @property
    def role_name(self) -> str | None:
        parsed = parse_role_arn(self.role_arn)
        return parsed[1] if parsed else None

    def __repr__(self) -> str:
        parts = [f"action={self.action!r}", f"status={self.status}", f"error_code={self.error_code!r}"]
        if self.role_arn is not None:
            parts.append(f"role_arn={self.role_arn!r}")
        if self.role_session_name is not None:
            parts.append(f"role_session_name={self.role_session_name!r}")
        if self.action == "AssumeRoleWithWebIdentity":
            parts.append(f"web_identity_token={self.web_identity_token!r}")
        else:
            parts.append(f"auth={self.auth!r}")
        if self.issued_access_key_id:
            parts.append(f"issued={self.issued_access_key_id!r}")
        if self.fault:
            parts.append(f"fault={self.fault!r}")
        return f"StsRequest({', '.join(parts)})"

    __str__ = __repr__


class _Refused(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.record: StsRequest | None = None  # what was learnt about the call before refusing it

    def reply(self) -> Reply:
        return error_reply(self.code, self.message, self.status)


@dataclass
class _Injected:
    action: str
    code: str
    message: str
    status: int
    times: int | None


class StsModel:
    """Roles, injected errors and the issuing rules; thread-safe."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._lock = threading.Lock()
        self._roles: dict[str, Role] = {}
        self._injected: list[_Injected] = []
        self._identities: dict[str, AssumedRole] = {}
        self.issued: list[IssuedCredentials] = []

    def reset(self) -> None:
        with self._lock:
            self._roles.clear()
            self._injected.clear()
            self._identities.clear()
            self.issued.clear()

    # -- configuration ----------------------------------------------------------------------
    def add_role(self, role: Role) -> None:
        with self._lock:
            self._roles[role.name] = role

    def role(self, name: str) -> Role:
        with self._lock:
            return self._roles.get(name) or Role(name)

    def inject(self, action: str, code: str, message: str, status: int, times: int | None) -> None:
        with self._lock:
            self._injected.append(_Injected(action, code, message, status, times))

    def _take_injected(self, action: str) -> _Injected | None:
        with self._lock:
            for injected in self._injected:
                if injected.action in (action, "any"):
                    if injected.times is not None:
                        injected.times -= 1
                        if injected.times == 0:
                            self._injected.remove(injected)
                    return injected
        return None

    # -- calls ------------------------------------------------------------------------------------
    def answer(self, request: HttpRequest, action: str | None, params: dict[str, str]) -> tuple[Reply, StsRequest]:
        record = StsRequest(action=action, method=request.method, status=None,
                            role_arn=params.get("RoleArn"), role_session_name=params.get("RoleSessionName"),
                            external_id=params.get("ExternalId"), serial_number=params.get("SerialNumber"),
                            token_code_sent=bool(params.get("TokenCode")),
                            duration_seconds=_int_or_none(params.get("DurationSeconds")))
        try:
            reply, record = self._answer(request, action, params, record)
        except _Refused as refused:
            reply = refused.reply()
            record = replace(refused.record or record, error_code=refused.code)
        return reply, replace(record, status=reply.status)

    def _answer(
        self, request: HttpRequest, action: str | None, params: dict[str, str], record: StsRequest
    ) -> tuple[Reply, StsRequest]:
        if action is None:
            raise _Refused("MissingAction", "Missing Action")
        if action not in ("AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity"):
            raise _Refused("InvalidAction", f"Could not find operation {action} for version 2011-06-15")
        if action == "AssumeRoleWithWebIdentity":
            return self._web_identity(params, record)
        auth, caller = self._authenticate(request)
        record = replace(record, auth=auth)
        if auth.error is not None:
            code, status = _AUTH_ERRORS.get(auth.error, (auth.error, 403))
            message = "Request is missing Authentication Token" if auth.scheme == "none" else auth.message or ""
            return error_reply(code, message, status), replace(record, error_code=code)
        assert caller is not None
        self._raise_injected(action)
        if action == "GetCallerIdentity":
            return self._caller_identity(caller), record
        return self._assume_role(params, record, caller)

    def _raise_injected(self, action: str) -> None:
        injected = self._take_injected(action)
        if injected is not None:
            raise _Refused(injected.code, injected.message, injected.status)

    def _authenticate(self, request: HttpRequest) -> tuple[AuthRecord, IssuedCredentials | None]:
        header = request.header("Authorization")
        if header is None or not header.strip():
            return AuthRecord("none", error="AccessDeniedException"), None
        auth = authenticate_sigv4(self.ledger, request, scheme="http", service=SIGNING_NAME)
        if auth.error is not None or auth.access_key_id is None:
            return auth, None
        token = request.header("X-Amz-Security-Token")
        caller = next(c for c in self.ledger.credentials_for(auth.access_key_id) if c.session_token == token)
        return auth, caller

    # -- AssumeRole -------------------------------------------------------------------------------
    def _assume_role(
        self, params: dict[str, str], record: StsRequest, caller: IssuedCredentials
    ) -> tuple[Reply, StsRequest]:
        role_arn, name = self._check_role_arn(params, "AssumeRole", self.caller_arn(caller)[0])
        session = _check_session_name(params.get("RoleSessionName"))
        role = self.role(name)
        duration = self._check_duration(params.get("DurationSeconds"), role)
        if role.external_id is not None and params.get("ExternalId") != role.external_id:
            raise _Refused("AccessDenied", _not_authorized(self.caller_arn(caller)[0], "sts:AssumeRole", role_arn), 403)
        if role.mfa_serial is not None and (
            params.get("SerialNumber") != role.mfa_serial or not re.fullmatch(r"\d{6}", params.get("TokenCode", ""))
        ):
            raise _Refused("AccessDenied", _not_authorized(self.caller_arn(caller)[0], "sts:AssumeRole", role_arn), 403)
        creds, assumed = self._issue(f"assume-role:{name}", role_arn, name, session, duration, caller)
        return result_reply("AssumeRole", creds=creds, role=assumed, extra={"PackedPolicySize": None}), replace(
            record, issued_access_key_id=creds.access_key_id
        )

    def _check_role_arn(self, params: dict[str, str], action: str, caller: str) -> tuple[str, str]:
        role_arn = params.get("RoleArn")
        if not role_arn:
            raise _Refused("ValidationError", "1 validation error detected: Value null at 'roleArn' failed to "
                           "satisfy constraint: Member must not be null")
        parsed = parse_role_arn(role_arn)
        if parsed is None:
            raise _Refused("ValidationError", f"{role_arn} is invalid")
        account, name = parsed
        if account != self.ledger.account_id or not self.role(name).allow:
            raise _Refused("AccessDenied", _not_authorized(caller, f"sts:{action}", role_arn), 403)
        return role_arn, name

    @staticmethod
    def _check_duration(raw: str | None, role: Role) -> int:
        if raw is None:
            return 3600
        try:
            duration = int(raw)
        except ValueError:
            raise _Refused("ValidationError", f"Value '{raw}' at 'durationSeconds' is not a number") from None
        if duration < 900:
            raise _Refused("ValidationError", f"1 validation error detected: Value '{duration}' at 'durationSeconds' "
                           "failed to satisfy constraint: Member must have value greater than or equal to 900")
        if duration > role.max_session_duration:
            raise _Refused("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for "
                           "this role.")
        return duration

    def _issue(
        self, source: str, role_arn: str, name: str, session: str, duration: int,
        issuer: IssuedCredentials | IssuedToken,
    ) -> tuple[IssuedCredentials, AssumedRole]:
        expiration = (now_utc() + timedelta(seconds=duration)).replace(microsecond=0)
        creds = self.ledger.issue_credentials(source, temporary=True, expiration=expiration, issuer=issuer)
        role_id = "AROA" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))
        assumed = AssumedRole(f"arn:aws:sts::{self.ledger.account_id}:assumed-role/{name}/{session}",
                              f"{role_id}:{session}")
        with self._lock:
            self._identities[creds.access_key_id] = assumed
            self.issued.append(creds)
        return creds, assumed

    # -- AssumeRoleWithWebIdentity -------------------------------------------------------------
    def _web_identity(self, params: dict[str, str], record: StsRequest) -> tuple[Reply, StsRequest]:
        check, token = self._check_token(params.get("WebIdentityToken", ""), params.get("RoleArn", ""))
        record = replace(record, web_identity_token=check)
        try:
            return self._web_identity_checked(params, record, check, token)
        except _Refused as refused:
            refused.record = record
            raise

    def _web_identity_checked(
        self, params: dict[str, str], record: StsRequest, check: TokenCheck, token: IssuedToken | None
    ) -> tuple[Reply, StsRequest]:
        if check == "missing":
            raise _Refused("ValidationError", "1 validation error detected: Value null at 'webIdentityToken' failed "
                           "to satisfy constraint: Member must not be null")
        if check == "not-a-jwt":
            raise _Refused("InvalidIdentityToken", "The ID Token provided is not a valid JWT. (You may see this error "
                           "if you sent an Access Token)")
        if check == "unknown":
            raise _Refused("InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider,  "
                           "please reference AssumeRoleWithWebIdentity documentation for requirements")
        assert token is not None
        if check == "expired":
            assert token.expiration is not None
            raise _Refused("ExpiredTokenException", f"Token expired: current date/time {unix_seconds(now_utc())} "
                           f"must be before the expiration date/time {unix_seconds(token.expiration)}")
        role_arn, name = self._check_role_arn(
            params, "AssumeRoleWithWebIdentity", "arn:aws:sts::" + self.ledger.account_id + ":web-identity")
        if check == "other-role":
            raise _Refused("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
        session = _check_session_name(params.get("RoleSessionName"))
        duration = self._check_duration(params.get("DurationSeconds"), self.role(name))
        self._raise_injected("AssumeRoleWithWebIdentity")
        creds, assumed = self._issue(f"web-identity:{name}", role_arn, name, session, duration, token)
        extra = {
            "SubjectFromWebIdentityToken": "system:serviceaccount:default:app",
            "Audience": "sts.amazonaws.com",
            "Provider": "arn:aws:iam::" + self.ledger.account_id + ":oidc-provider/oidc.bedrock-creds.invalid",
        }
        reply = result_reply("AssumeRoleWithWebIdentity", creds=creds, role=assumed, extra=extra)
        return reply, replace(record, issued_access_key_id=creds.access_key_id)

    def _check_token(self, value: str, role_arn: str) -> tuple[TokenCheck, IssuedToken | None]:
        if not value:
            return "missing", None
        known = [t for t in self.ledger.token_for(value) if t.kind == "web-identity"]
        if not known:
            return ("unknown" if value.count(".") == 2 else "not-a-jwt"), None
        token = known[-1]
        if token.expiration is not None and token.expiration <= now_utc():
            return "expired", token
        parsed = parse_role_arn(role_arn)
        if parsed is not None and token.source != f"web-identity:{parsed[1]}":
            return "other-role", token
        return "valid", token

    # -- GetCallerIdentity ----------------------------------------------------------------------
    def caller_arn(self, caller: IssuedCredentials) -> tuple[str, str]:
        """The ARN and user id AWS would report for ``caller``: its assumed role, else a user
        named after its ledger source."""
        with self._lock:
            assumed = self._identities.get(caller.access_key_id)
        if assumed is not None:
            return assumed.arn, assumed.assumed_role_id
        user = re.sub(r"[^\w+=,.@-]", "-", caller.source)
        return f"arn:aws:iam::{self.ledger.account_id}:user/{user}", "AIDA" + caller.access_key_id[4:]

    def _caller_identity(self, caller: IssuedCredentials) -> Reply:
        arn, user_id = self.caller_arn(caller)
        return result_reply("GetCallerIdentity", extra={"UserId": user_id, "Account": self.ledger.account_id,
                                                        "Arn": arn})


def _check_session_name(value: str | None) -> str:
    if value is None:
        raise _Refused("ValidationError", "1 validation error detected: Value null at 'roleSessionName' failed "
                       "to satisfy constraint: Member must not be null")
    if not _SESSION_NAME.match(value):
        raise _Refused("ValidationError", f"1 validation error detected: Value '{value}' at 'roleSessionName' failed "
                       "to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
    return value


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.strip().isdigit() else None


def _not_authorized(who: str, action: str, resource: str) -> str:
    return f"User: {who} is not authorized to perform: {action} on resource: {resource}"

