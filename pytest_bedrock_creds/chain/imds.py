"""``IMDSCredentialsResolver``: the EC2 instance role, from the instance metadata service.

The SDKs and Tools Reference Guide: IMDSv2 first (``PUT /latest/api/token``); "if that fails
due to a non-retryable condition (HTTP error codes 403, 404, 405), IMDSv1 is used as a
fallback", unless ``AWS_EC2_METADATA_V1_DISABLED`` / ``ec2_metadata_v1_disabled`` is true.
Where the guide is silent the reference reads like botocore 1.44
(``utils.InstanceMetadataFetcher``), each request making up to ``num_attempts`` attempts:

* token: 200 gives the token; 403, 404, 405 and a read timeout give IMDSv1 at once; 400 means
  no credentials; any other status (401, 429, 5xx) or a connection failure is tried again,
  and when the attempts run out IMDSv1 is used;
* IMDSv1 needed but disabled: an error that stops the chain (botocore's
  ``MetadataRetrievalError``), not a quiet "no credentials";
* role list and credentials: a non-200 reply, an empty body, JSON that does not parse or a
  failed connection is tried again; when the attempts run out there are no credentials;
* the role name is the whole role-list body with line breaks and tabs dropped (botocore puts
  the body in the URL and ``urlsplit`` drops them), so a list of two roles names no role;
* the document needs ``AccessKeyId``, ``SecretAccessKey``, ``Token`` and ``Expiration``;
  without them (an error document such as ``AssumeRoleUnauthorizedAccess``) there are none.

Apart from the IMDSv1-disabled error, a failure here is a skip: this is the last source.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.http import HttpFailure, HttpResult, RefusedAddress, request
from pytest_bedrock_creds.chain.imds_settings import ImdsSettings, read_imds_settings
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip

__all__ = ["IMDSCredentialsResolver", "imds_endpoint"]

_ROLES_PATH = "/latest/meta-data/iam/security-credentials/"
_REQUIRED = ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")


def imds_endpoint(ctx: Context) -> tuple[str, str]:
    """Endpoint and where it came from: the endpoint setting, else the mode, else IPv4."""
    settings = read_imds_settings(ctx)
    return settings.endpoint, settings.endpoint_origin


class _NoCredentials(Exception):
    """This source has nothing (the reason is the message)."""


class IMDSCredentialsResolver(Resolver):
    name = "IMDSCredentialsResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        settings = read_imds_settings(ctx)
        if settings.disabled:
            return Skip("AWS_EC2_METADATA_DISABLED=true")
        if settings.timeout <= 0:
            raise ChainError(f"{settings.timeout_origin}={settings.timeout:g}: the IMDS timeout must be positive "
                             "(botocore's HTTP client refuses it)", kind="invalid-config")
        try:
            return _Fetch(settings).credentials()
        except RefusedAddress as exc:
            return Skip(f"{exc} (endpoint from {settings.endpoint_origin}; point "
                        "AWS_EC2_METADATA_SERVICE_ENDPOINT at a fake)")
        except _NoCredentials as exc:
            return Skip(f"{exc} ({settings.describe()})")


class _Fetch:
    def __init__(self, settings: ImdsSettings) -> None:
        self.settings = settings
        self.base = settings.endpoint

    def _send(self, method: str, path: str, headers: dict[str, str]) -> HttpResult:
        return request(method, self.base + path, headers=headers, timeout=self.settings.timeout)

    def token(self) -> tuple[str | None, str]:
        """The IMDSv2 token (``None``: use IMDSv1) and why there is none."""
        last = "no attempt made"
        for _ in range(self.settings.num_attempts):
            try:
                reply = self._send("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
            except HttpFailure as exc:
                if exc.read_timeout:
                    return None, "the token request timed out"
                last = str(exc)
                continue
            if reply.status == 200:
                return reply.body.decode("utf-8", "replace"), ""
            if reply.status in (403, 404, 405):
                return None, f"the token request answered HTTP {reply.status}"
            if reply.status == 400:
                raise _NoCredentials("the IMDSv2 token request answered HTTP 400 (bad request)")
            last = f"HTTP {reply.status}"
        return None, f"the token request failed ({last}) after {self.settings.num_attempts} attempt(s)"

    def _get(self, path: str, headers: dict[str, str], usable: Callable[[HttpResult], bool], what: str) -> HttpResult:
        last = "no attempt made"
        for _ in range(self.settings.num_attempts):
            try:
                reply = self._send("GET", path, headers)
            except HttpFailure as exc:
                last = str(exc)
                continue
            if usable(reply):
                return reply
            last = f"HTTP {reply.status}" if reply.status != 200 else "an unusable body"
        raise _NoCredentials(f"{what}: {last} after {self.settings.num_attempts} attempt(s)")

    def credentials(self) -> Found:
        token, why = self.token()
        headers: dict[str, str] = {}
        if token is not None:
            headers["X-aws-ec2-metadata-token"] = token
            version = "IMDSv2"
        else:
            if self.settings.v1_disabled:
                raise ChainError(
                    f"IMDSv2 failed ({why}) and IMDSv1 is disabled by {self.settings.v1_origin} "
                    "(botocore's MetadataRetrievalError)",
                    kind="imds-error")
            version = f"IMDSv1 ({why})"
        roles = self._get(_ROLES_PATH, headers, _non_empty_200, f"{version} role list")
        body = roles.body.decode("utf-8", "replace")
        role = "".join(c for c in body if c not in "\r\n\t")
        note = ""
        if len(body.strip().splitlines()) > 1:
            note = (f"; the role list has {len(body.strip().splitlines())} lines and botocore asks for them "
                    f"as one name, {role!r}")
        reply = self._get(_ROLES_PATH + role, headers, _json_200, f"{version} credentials for role {role!r}{note}")
        doc = json.loads(reply.body.decode("utf-8"))
        missing = [k for k in _REQUIRED if not isinstance(doc, dict) or k not in doc]
        if missing:
            code = doc.get("Code") if isinstance(doc, dict) else None
            raise _NoCredentials(f"{version} credentials for role {role!r}: no {', '.join(missing)}"
                                 + (f" (Code={code!r})" if code else ""))
        return Found(
            "sigv4", f"imds:{role}", f"{version} instance role {role!r} at {self.base}{note}",
            access_key_id=str(doc["AccessKeyId"]), secret_access_key=str(doc["SecretAccessKey"]),
            session_token=str(doc["Token"]) or None,
        )


def _non_empty_200(reply: HttpResult) -> bool:
    return reply.status == 200 and bool(reply.body)


def _json_200(reply: HttpResult) -> bool:
    if not _non_empty_200(reply):
        return False
    try:
        json.loads(reply.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return True
