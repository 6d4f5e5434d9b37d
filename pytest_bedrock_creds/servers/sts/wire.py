"""STS's wire format: the Query protocol in, XML out, and AWS's error shapes.

A call is ``POST /`` with a form body (``Action=AssumeRole&Version=2011-06-15&RoleArn=…``);
a GET with the same parameters in the query string is accepted too, as STS does. Replies
are ``<{Action}Response>`` documents in STS's namespace; errors are ``<ErrorResponse>`` with
``Type``, ``Code`` and ``Message``, as botocore's query parser expects them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from pytest_bedrock_creds.ledger import IssuedCredentials
from pytest_bedrock_creds.servers.expiry import format_timestamp
from pytest_bedrock_creds.servers.faults import Reply

__all__ = ["ACTIONS", "NAMESPACE", "AssumedRole", "error_reply", "parameters", "result_reply"]

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
ACTIONS = ("AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity")
_XML = (("Content-Type", "text/xml"),)


def parameters(query: str, body: bytes, content_type: str | None) -> dict[str, str]:
    """The call's parameters: the query string, then a form body (which wins, as in AWS)."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    if body and (content_type or "").split(";")[0].strip().lower() in ("", "application/x-www-form-urlencoded"):
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


@dataclass(frozen=True)
class AssumedRole:
    """Who the issued credentials act as: the ``assumed-role`` ARN and its id."""

    arn: str
    assumed_role_id: str


def _element(name: str, value: str | int | None) -> str:
    return "" if value is None else f"<{name}>{escape(str(value))}</{name}>"


def _credentials(creds: IssuedCredentials) -> str:
    assert creds.expiration is not None
    return (
        "<Credentials>"
        + _element("AccessKeyId", creds.access_key_id)
        + _element("SecretAccessKey", creds.secret_access_key)
        + _element("SessionToken", creds.session_token)
        + _element("Expiration", format_timestamp(creds.expiration))
        + "</Credentials>"
    )


def result_reply(
    action: str,
    *,
    creds: IssuedCredentials | None = None,
    role: AssumedRole | None = None,
    extra: Mapping[str, str | int | None] | None = None,
    request_id: str | None = None,
) -> Reply:
    """A 200 ``<{action}Response>``: credentials and assumed-role user (when given), then ``extra``."""
    inner = ""
    if role is not None:
        inner += (
            "<AssumedRoleUser>"
            + _element("Arn", role.arn)
            + _element("AssumedRoleId", role.assumed_role_id)
            + "</AssumedRoleUser>"
        )
    if creds is not None:
        inner += _credentials(creds)
    inner += "".join(_element(k, v) for k, v in (extra or {}).items())
    body = (
        f'<{action}Response xmlns="{NAMESPACE}">'
        f"<{action}Result>{inner}</{action}Result>"
        f"<ResponseMetadata><RequestId>{request_id or uuid.uuid4()}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    return Reply(200, body.encode(), _XML)


def error_reply(code: str, message: str, status: int, *, sender: bool = True) -> Reply:
    """``<ErrorResponse>`` as STS sends it."""
    body = (
        f'<ErrorResponse xmlns="{NAMESPACE}">'
        f"<Error><Type>{'Sender' if sender else 'Receiver'}</Type>"
        f"{_element('Code', code)}{_element('Message', message)}</Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId>"
        "</ErrorResponse>"
    )
    return Reply(status, body.encode(), _XML)


def unix_seconds(moment: datetime) -> int:
    return int(moment.timestamp())
