"""The reference chain's STS client: ``AssumeRole`` (signed) and ``AssumeRoleWithWebIdentity`` (unsigned).

A call is the Query protocol (``POST /`` with ``Action=…&Version=2011-06-15&…`` as a form body),
sent to the endpoint :func:`~.endpoints.service_endpoint` names (``AWS_ENDPOINT_URL_STS`` inside
a test), signed with botocore's SigV4 signer (signing name ``sts``) for the region the chain
resolved (``us-east-1`` when there is none), as botocore's assume-role provider signs it. The XML
reply gives the temporary credentials; an error reply becomes an ``sts-error`` naming the action
and STS's error code.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.endpoints import service_endpoint
from pytest_bedrock_creds.chain.http import HttpResult
from pytest_bedrock_creds.chain.model import ChainError, Found
from pytest_bedrock_creds.chain.region import resolve_region
from pytest_bedrock_creds.chain.service_call import RETRYABLE_CODES, call_service
from pytest_bedrock_creds.redact import hidden_from_diffs

__all__ = ["StsCredentials", "assume_role", "assume_role_with_web_identity", "sts_endpoint"]

_VERSION = "2011-06-15"
#: botocore's ``_retry.json`` adds this one for STS (web identity providers that cannot be reached).
_RETRY_CODES = RETRYABLE_CODES | {"IDPCommunicationError"}
_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class StsCredentials:
    """What STS answered: temporary credentials (the repr names only the key id)."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: str

    def __repr__(self) -> str:
        return f"StsCredentials(access_key_id={self.access_key_id!r}, expiration={self.expiration!r})"


def sts_region(ctx: Context) -> str:
    """The region the STS call is signed for: the chain's region, else ``us-east-1``."""
    try:
        return resolve_region(ctx.selected).region
    except ChainError:
        return "us-east-1"


def sts_endpoint(ctx: Context) -> tuple[str, str]:
    region = sts_region(ctx)
    return service_endpoint(ctx, "STS", f"https://sts.{region}.amazonaws.com")


def assume_role(ctx: Context, caller: Found, params: dict[str, str]) -> StsCredentials:
    """``AssumeRole`` signed with ``caller``'s keys."""
    return _call(ctx, "AssumeRole", params, caller)


def assume_role_with_web_identity(ctx: Context, params: dict[str, str]) -> StsCredentials:
    """``AssumeRoleWithWebIdentity``: unsigned, the token is the proof."""
    return _call(ctx, "AssumeRoleWithWebIdentity", params, None)


def _call(ctx: Context, action: str, params: dict[str, str], caller: Found | None) -> StsCredentials:
    url, origin = sts_endpoint(ctx)
    what = f"STS {action} at {url} (from {origin})"
    body = urlencode({"Action": action, "Version": _VERSION, **params}).encode()
    headers = {"Content-Type": _CONTENT_TYPE, "Host": urlsplit(url).netloc}
    if caller is not None:
        headers = _signed(url, body, headers, caller, sts_region(ctx))
    reply = call_service(ctx, "POST", url.rstrip("/") + "/", what=what, kind="sts-error", headers=headers, body=body,
                         error_code=_error_code, retry_codes=_RETRY_CODES)
    root = _xml(reply)
    if root is None:
        raise ChainError(f"{what}: HTTP {reply.status}, and the reply is not XML", kind="sts-error")
    if reply.status != 200:
        code, message = _text(root, "Code"), _text(root, "Message")
        raise ChainError(f"{what} answered HTTP {reply.status}: {code or 'no error code'}: {message or ''}".rstrip(),
                         kind="sts-error")
    values = {name: _text(root, name) for name in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ChainError(f"{what}: the reply has no {', '.join(missing)}", kind="sts-error")
    return StsCredentials(values["AccessKeyId"] or "", values["SecretAccessKey"] or "",
                          values["SessionToken"] or "", values["Expiration"] or "")


def _xml(reply: HttpResult) -> ElementTree.Element | None:
    try:
        return ElementTree.fromstring(reply.body)
    except ElementTree.ParseError:
        return None


def _error_code(reply: HttpResult) -> str | None:
    root = _xml(reply)
    return None if root is None else _text(root, "Code")


def _signed(url: str, body: bytes, headers: dict[str, str], caller: Found, region: str) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=url.rstrip("/") + "/", data=body, headers=headers)
    credentials = Credentials(caller.access_key_id or "", caller.secret_access_key or "", caller.session_token)
    SigV4Auth(credentials, "sts", region).add_auth(request)
    return dict(request.headers.items())


def _text(root: ElementTree.Element, name: str) -> str | None:
    """The text of the first element called ``name`` (any namespace)."""
    for element in root.iter():
        if element.tag == name or element.tag.endswith("}" + name):
            return (element.text or "").strip()
    return None
