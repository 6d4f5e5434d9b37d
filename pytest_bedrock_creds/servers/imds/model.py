"""The behaviour of EC2 IMDS as a pure model: an :class:`HttpRequest` in, a :class:`Reply` out.

No sockets here. :class:`~pytest_bedrock_creds.servers.imds.FakeImds` serves this model over
HTTP on loopback, and :mod:`pytest_bedrock_creds.servers.imds.responses` serves the same
model through ``responses`` for code that reaches IMDS with ``requests``; the IMDS rules
exist once, in this module.

Time is read with ``datetime.now(timezone.utc)`` on every request, so tokens and credentials
expire on the fake's clock, which follows freezegun when a test freezes time.

The fault machinery lives in :mod:`~pytest_bedrock_creds.servers.faults`, the clock in
:mod:`~pytest_bedrock_creds.servers.expiry`; both are shared with the container-credentials fake.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Literal

from pytest_bedrock_creds.ledger import IssuedCredentials, Ledger
from pytest_bedrock_creds.servers.base import HttpRequest
from pytest_bedrock_creds.servers.expiry import (
    DEFAULT_LIFETIME,
    check_duration,
    check_expiry,
    format_timestamp,
    now_utc,
)
from pytest_bedrock_creds.servers.faults import FaultKind, Faults, Reply, apply_faults, served_status

# FaultKind, Faults, Reply, apply_faults, DEFAULT_LIFETIME, format_timestamp and now_utc
# live in faults.py and expiry.py; they stay importable from here.
__all__ = [
    "DEFAULT_LIFETIME",
    "DEFAULT_ROTATION",
    "FaultKind",
    "Faults",
    "ImdsModel",
    "ImdsRequest",
    "Instance",
    "Reply",
    "apply_faults",
    "format_timestamp",
    "now_utc",
]

#: Real IMDS hands out 6-hour credentials (DEFAULT_LIFETIME) and rotates them hourly.
DEFAULT_ROTATION = timedelta(hours=1)
MAX_TOKEN_TTL = 21600
TOKEN_PATH = "/latest/api/token"
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
_CREDS_DIR = "/latest/meta-data/iam/security-credentials"
_CREDS_EXT_DIR = "/latest/meta-data/iam/security-credentials-extended"

IMDS_TARGETS = ("token", "role-list", "credentials", "any")


@dataclass(frozen=True)
class ImdsRequest:
    """One request the fake saw. Never holds a token or a secret.

    ``status`` is ``None`` when the fake hung or reset the connection instead of answering.
    ``version`` is ``"v2"`` for token-authenticated GETs and token PUTs, ``"v1"`` for GETs
    without a token, ``None`` when the request was refused before classification.
    """

    method: str
    path: str
    status: int | None
    token_present: bool
    token_valid: bool
    version: Literal["v1", "v2"] | None
    fault: str | None = None
    user_agent: str | None = None


@dataclass
class _Role:
    name: str
    credentials: IssuedCredentials
    last_updated: datetime
    lifetime: timedelta
    rotate_every: timedelta | None
    unauthorized: bool = False


@dataclass
class Instance:
    """The coherent instance the metadata describes."""

    region: str = "us-east-1"
    availability_zone: str = "us-east-1a"
    instance_id: str = "i-0123456789abcdef0"
    instance_type: str = "m7g.large"
    image_id: str = "ami-0123456789abcdef0"
    private_ip: str = "172.31.1.10"
    launched: datetime = field(default_factory=now_utc)


class ImdsModel:
    """IMDS rules. Thread-safe: the server calls :meth:`handle` from its handler threads."""

    def __init__(self, ledger: Ledger | None = None) -> None:
        self.ledger = ledger if ledger is not None else Ledger()
        self._lock = threading.RLock()
        self.faults = Faults(_classify_imds, IMDS_TARGETS)
        self._reset_state()

    def _reset_state(self) -> None:
        with self._lock:
            self.v1_enabled = False
            self.extended_api = True
            self.instance = Instance()
            self._tokens: dict[str, datetime] = {}
            self._roles: dict[str, _Role] = {}
            self._records: list[ImdsRequest] = []
            self.faults.clear()

    def reset(self) -> None:
        """Back to a fresh instance: IMDSv2 required, no roles, no tokens, faults or records."""
        self._reset_state()

    # -- roles -------------------------------------------------------------------------
    def add_role(
        self,
        name: str,
        *,
        lifetime: timedelta = DEFAULT_LIFETIME,
        expiration: datetime | None = None,
        expired: bool = False,
        rotate_every: timedelta | None = DEFAULT_ROTATION,
        unauthorized: bool = False,
    ) -> IssuedCredentials:
        if not isinstance(name, str) or not name or any(c in name for c in "/\n\r\t ?#"):
            raise ValueError(f"name must be a non-empty role name without '/', whitespace, '?' or '#', not {name!r}")
        check_expiry(lifetime, expiration, expired)
        if rotate_every is not None:
            check_duration("rotate_every", rotate_every)
        now = now_utc()
        if expired:
            expiration = now - timedelta(hours=1)
        if expiration is not None:
            rotate_every = None  # a pinned expiry is what the test wants to see served
        creds = self._issue(name, expiration or now + lifetime)
        with self._lock:
            self._roles[name] = _Role(name, creds, now, lifetime, rotate_every, unauthorized)
        return creds

    def _issue(self, name: str, expiration: datetime) -> IssuedCredentials:
        # IMDS timestamps have whole seconds: the ledger records exactly what is served.
        expiration = expiration.replace(microsecond=0)
        return self.ledger.issue_credentials(f"imds:{name}", temporary=True, expiration=expiration)

    def rotate(self, name: str) -> IssuedCredentials:
        """Issue new credentials for ``name`` now, as IMDS does before the old ones expire."""
        with self._lock:
            role = self._role(name)
            now = now_utc()
            role.credentials = self._issue(name, now + role.lifetime)
            role.last_updated = now
            return role.credentials

    def credentials(self, name: str) -> IssuedCredentials:
        """The credentials ``name`` serves now (after any automatic hourly rotation)."""
        with self._lock:
            role = self._role(name)
            self._maybe_rotate(role)
            return role.credentials

    @property
    def roles(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._roles)

    def _role(self, name: str) -> _Role:
        try:
            return self._roles[name]
        except KeyError:
            raise ValueError(f"no role {name!r} on this fake IMDS; roles: {list(self._roles)}") from None

    def _maybe_rotate(self, role: _Role) -> None:
        if role.rotate_every is not None and now_utc() >= role.last_updated + role.rotate_every:
            self.rotate(role.name)

    # -- records -----------------------------------------------------------------------
    @property
    def requests(self) -> tuple[ImdsRequest, ...]:
        with self._lock:
            return tuple(self._records)

    # -- the wire ----------------------------------------------------------------------
    def handle(self, request: HttpRequest) -> Reply:
        faults = self.faults.take(request)
        token = request.header(TOKEN_HEADER)
        token_valid = token is not None and self._token_valid(token)
        version: Literal["v1", "v2"] | None = None
        if (request.path == TOKEN_PATH and request.method == "PUT") or token_valid:
            version = "v2"
        elif token is None and self.v1_enabled:
            version = "v1"
        reply, fault_name = apply_faults(faults, lambda: self._answer(request, token, token_valid))
        replaced = any(f.kind in ("status", "hang", "reset") for f in faults)
        with self._lock:
            self._records.append(
                ImdsRequest(
                    method=request.method,
                    path=request.path,
                    status=served_status(reply),
                    token_present=token is not None,
                    token_valid=token_valid,
                    version=version if reply.status in (200, 404) and not replaced else None,
                    fault=fault_name,
                    user_agent=request.header("User-Agent"),
                )
            )
        return reply

    def _token_valid(self, token: str) -> bool:
        with self._lock:
            expires = self._tokens.get(token)
            if expires is None:
                return False
            if now_utc() >= expires:
                del self._tokens[token]
                return False
            return True

    def _answer(self, request: HttpRequest, token: str | None, token_valid: bool) -> Reply:
        path = request.path
        if path.endswith("/api/token"):
            return self._put_token(request)
        if request.method not in ("GET", "HEAD"):
            return self._plain(405, b"", extra=(("Allow", "GET, HEAD"),))
        if token is not None and not token_valid:
            return self._plain(401, b"")
        if token is None and not self.v1_enabled:
            return self._plain(401, b"")
        body = self._lookup(path)
        if body is None:
            return _not_found()
        extra: tuple[tuple[str, str], ...] = ()
        if token is not None:
            with self._lock:
                remaining = int((self._tokens[token] - now_utc()).total_seconds()) if token in self._tokens else 0
            extra = ((TTL_HEADER, str(max(remaining, 0))),)
        return self._plain(200, b"" if request.method == "HEAD" else body, extra=extra)

    def _put_token(self, request: HttpRequest) -> Reply:
        if request.path != TOKEN_PATH:
            return self._plain(403, b"")  # version-specific token paths are refused
        if request.method != "PUT":
            return self._plain(405, b"", extra=(("Allow", "PUT"),))
        if request.header("X-Forwarded-For") is not None:
            return self._plain(403, b"")
        raw_ttl = (request.header(TTL_HEADER) or "").strip()
        ttl = int(raw_ttl) if raw_ttl.isascii() and raw_ttl.isdigit() else 0  # no sign, no Unicode digits
        if not 1 <= ttl <= MAX_TOKEN_TTL:
            return self._plain(400, b"")
        token = "AQAEA" + base64.b64encode(secrets.token_bytes(39)).decode()
        with self._lock:
            self._tokens[token] = now_utc() + timedelta(seconds=ttl)
        return self._plain(200, token.encode(), extra=((TTL_HEADER, str(ttl)),))

    def _plain(self, status: int, body: bytes, extra: tuple[tuple[str, str], ...] = ()) -> Reply:
        launched = format_datetime(self.instance.launched, usegmt=True)
        headers = (
            ("Content-Type", "text/plain"),
            ("Accept-Ranges", "none"),
            ("Last-Modified", launched),
            ("Server", "EC2ws"),
            ("Connection", "close"),
            *extra,
        )
        return Reply(status, body, headers)

    # -- the metadata tree -------------------------------------------------------------
    def _lookup(self, path: str) -> bytes | None:
        path = path.rstrip("/") if path != "/" else path
        for base in (_CREDS_DIR, _CREDS_EXT_DIR):
            if base == _CREDS_EXT_DIR and not self.extended_api:
                continue
            if path == base:
                return "\n".join(self.roles).encode() if self.roles else None
            if path.startswith(base + "/"):
                return self._credentials_document(path[len(base) + 1 :], extended=base == _CREDS_EXT_DIR)
        tree = self._tree()
        if path in tree:
            return tree[path].encode()
        prefix = path + "/"
        children = sorted(
            {
                k[len(prefix) :].split("/")[0] + ("/" if "/" in k[len(prefix) :] else "")
                for k in tree
                if k.startswith(prefix)
            }
        )
        return "\n".join(children).encode() if children else None

    def _credentials_document(self, name: str, *, extended: bool) -> bytes | None:
        with self._lock:
            role = self._roles.get(name)
            if role is None:
                return None
            self._maybe_rotate(role)
            creds = role.credentials
            if role.unauthorized:
                return _pretty(
                    {
                        "Code": "AssumeRoleUnauthorizedAccess",
                        "Message": f"EC2 cannot assume the role {name}.  Please see documentation at "
                        "http://docs.amazonwebservices.com/IAM/latest/UserGuide/RolesTroubleshooting.html.",
                        "LastUpdated": format_timestamp(role.last_updated),
                    }
                )
            assert creds.expiration is not None
            doc = {
                "Code": "Success",
                "LastUpdated": format_timestamp(role.last_updated),
                "Type": "AWS-HMAC",
                "AccessKeyId": creds.access_key_id,
                "SecretAccessKey": creds.secret_access_key,
                "Token": creds.session_token or "",
                "Expiration": format_timestamp(creds.expiration),
            }
            if extended:
                doc["AccountId"] = self.ledger.account_id
            return _pretty(doc)

    def _tree(self) -> dict[str, str]:
        inst = self.instance
        with self._lock:
            first_role = next(iter(self._roles.values()), None)
        md = "/latest/meta-data/"
        tree = {
            md + "ami-id": inst.image_id,
            md + "instance-id": inst.instance_id,
            md + "instance-type": inst.instance_type,
            md + "local-ipv4": inst.private_ip,
            md + "local-hostname": f"ip-{inst.private_ip.replace('.', '-')}.ec2.internal",
            md + "placement/region": inst.region,
            md + "placement/availability-zone": inst.availability_zone,
            "/latest/dynamic/instance-identity/document": _identity_document(inst, self.ledger.account_id),
        }
        if first_role is not None:
            tree[md + "iam/info"] = _pretty(
                {
                    "Code": "Success",
                    "LastUpdated": format_timestamp(first_role.last_updated),
                    "InstanceProfileArn": f"arn:aws:iam::{self.ledger.account_id}:instance-profile/{first_role.name}",
                    "InstanceProfileId": "AIPA" + "ABCDEFGHIJKLMNOP",
                }
            ).decode()
            tree[md + "iam/security-credentials/" + first_role.name] = ""
        return tree


def _classify_imds(method: str, path: str) -> str | None:
    if path.rstrip("/") in (TOKEN_PATH,) or path.endswith("/api/token"):
        return "token"
    stripped = path.rstrip("/")
    if stripped in (_CREDS_DIR, _CREDS_EXT_DIR):
        return "role-list"
    if stripped.startswith((_CREDS_DIR + "/", _CREDS_EXT_DIR + "/")):
        return "credentials"
    return None


def _pretty(doc: dict[str, str]) -> bytes:
    """JSON as IMDS formats it: two-space indent and ``"Key" : value``."""
    return json.dumps(doc, indent=2, separators=(",", " : ")).encode()


def _identity_document(inst: Instance, account_id: str) -> str:
    return json.dumps(
        {
            "accountId": account_id,
            "architecture": "arm64",
            "availabilityZone": inst.availability_zone,
            "billingProducts": None,
            "devpayProductCodes": None,
            "marketplaceProductCodes": None,
            "imageId": inst.image_id,
            "instanceId": inst.instance_id,
            "instanceType": inst.instance_type,
            "kernelId": None,
            "pendingTime": format_timestamp(inst.launched),
            "privateIp": inst.private_ip,
            "ramdiskId": None,
            "region": inst.region,
            "version": "2017-09-30",
        },
        indent=2,
        separators=(",", " : "),
    )


def _not_found() -> Reply:
    body = (
        b'<?xml version="1.0" encoding="iso-8859-1"?>\n'
        b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
        b'\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        b'<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
        b" <head>\n  <title>404 - Not Found</title>\n </head>\n"
        b" <body>\n  <h1>404 - Not Found</h1>\n </body>\n</html>\n"
    )
    return Reply(404, body, (("Content-Type", "text/html"), ("Server", "EC2ws"), ("Connection", "close")))
