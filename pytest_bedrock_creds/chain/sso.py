"""``SsoResolver``: IAM Identity Center role credentials, bought with a cached access token.

The guide ("IAM Identity Center credential provider"): a profile names ``sso_account_id`` and
``sso_role_name`` and either an ``sso_session`` (an ``[sso-session name]`` section with
``sso_start_url`` and ``sso_region``) or, the legacy form, ``sso_start_url`` and ``sso_region``
itself. The access token ``aws sso login`` left is read from the token cache,
``~/.aws/sso/cache/<SHA-1 of the sso-session name>.json`` (of the start URL in the legacy form),
and given to the portal's ``GetRoleCredentials``
(``GET /federation/credentials?account_id=…&role_name=…``, header ``x-amz-sso_bearer_token``;
unsigned) at ``AWS_ENDPOINT_URL_SSO`` (:mod:`.endpoints`; the portal's own
``https://portal.sso.<sso_region>.amazonaws.com`` is refused).

As botocore 1.44 (``SSOProvider``) and the shared assume-role cases have it: the source applies
when the profile has ``sso_account_id`` or ``sso_role_name``; then a missing setting, an
``sso_session`` with no section, or a setting whose value differs between the profile and the
section is an ``invalid-config`` error. A missing cache file, a cached token without
``accessToken`` / ``expiresAt``, or an expired one is an ``sso-error`` and the portal is not
called (refreshing a token needs the OIDC service's ``CreateToken``, which the reference does not
call; botocore tries it only when the cache holds a client registration). The portal's refusal
(``UnauthorizedException``, ``ForbiddenException``) is an ``sso-error`` too. The source is
``sso:<profile>``; a token authorizes without signing, so there is no ``via``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.endpoints import service_endpoint
from pytest_bedrock_creds.chain.environment import parse_timestamp
from pytest_bedrock_creds.chain.http import HttpResult
from pytest_bedrock_creds.chain.locations import home_directory
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip
from pytest_bedrock_creds.chain.service_call import call_service

__all__ = ["SsoResolver", "sso_cache_path"]

_PROFILE_KEYS = ("sso_account_id", "sso_role_name")
_SESSION_KEYS = ("sso_start_url", "sso_region")


def sso_cache_path(ctx: Context, name: str) -> Path:
    """``~/.aws/sso/cache/<sha1(name)>.json`` in the home this environment names."""
    home, _ = home_directory(ctx.environ)
    return Path(home) / ".aws" / "sso" / "cache" / f"{hashlib.sha1(name.encode('utf-8')).hexdigest()}.json"


class SsoResolver(Resolver):
    name = "SsoResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        if all(ctx.profile_setting(k) is None for k in _PROFILE_KEYS):
            return Skip(f"profile {ctx.profile!r} has no sso_account_id or sso_role_name")
        settings, session = _settings(ctx)
        cache_name = session if session is not None else settings["sso_start_url"]
        token = _cached_token(ctx, cache_name)
        default = f"https://portal.sso.{settings['sso_region']}.amazonaws.com"
        endpoint, origin = service_endpoint(ctx, "SSO", default)
        query = urlencode({"account_id": settings["sso_account_id"], "role_name": settings["sso_role_name"]})
        url = f"{endpoint.rstrip('/')}/federation/credentials?{query}"
        what = f"IAM Identity Center GetRoleCredentials at {endpoint} (from {origin})"
        reply = call_service(ctx, "GET", url, what=what, kind="sso-error",
                             headers={"x-amz-sso_bearer_token": token}, error_code=_error_type)
        if reply.status != 200:
            code = _error_type(reply)
            raise ChainError(f"{what} answered HTTP {reply.status}: {code or 'no error type'}: {_message(reply.body)}"
                             .rstrip(": "), kind="sso-error")
        try:
            role = json.loads(reply.body.decode("utf-8"))["roleCredentials"]
            keys = (str(role["accessKeyId"]), str(role["secretAccessKey"]), str(role["sessionToken"]))
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            raise ChainError(f"{what}: the reply has no roleCredentials with accessKeyId, secretAccessKey and "
                             "sessionToken", kind="sso-error") from None
        reason = (f"GetRoleCredentials for role {settings['sso_role_name']!r} in account "
                  f"{settings['sso_account_id']} at {endpoint}, with the cached token of "
                  + (f"sso-session {session!r}" if session is not None else f"start URL {cache_name!r}"))
        return Found("sigv4", f"sso:{ctx.profile}", reason, access_key_id=keys[0], secret_access_key=keys[1],
                     session_token=keys[2])


def _settings(ctx: Context) -> tuple[dict[str, str], str | None]:
    """The four settings, from the profile and its sso-session section; and the session's name."""
    values = {k: s.value for k in (*_PROFILE_KEYS, *_SESSION_KEYS) if (s := ctx.profile_setting(k)) is not None}
    session = ctx.profile_setting("sso_session")
    if session is not None:
        section = None if ctx.config_file is None else ctx.config_file.sso_sessions.get(session.value)
        if section is None:
            raise ChainError(f"profile {ctx.profile!r} names sso_session {session.value!r}, but the config file has "
                             f"no [sso-session {session.value}] section")
        for key, prop in section.items():
            if prop.value.strip() and key in values and values[key] != prop.value:
                raise ChainError(f"{key} differs between profile {ctx.profile!r} and [sso-session {session.value}]")
            if prop.value.strip():
                values[key] = prop.value
    missing = [k for k in (*_PROFILE_KEYS, *_SESSION_KEYS) if k not in values]
    if missing:
        raise ChainError(f"profile {ctx.profile!r} is configured for IAM Identity Center but has no "
                         f"{', '.join(missing)}")
    return values, None if session is None else session.value


def _cached_token(ctx: Context, name: str) -> str:
    path = sso_cache_path(ctx, name)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ChainError(f"no cached IAM Identity Center token for {name!r} ({path} does not exist; "
                         "run aws sso login)", kind="sso-error") from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise ChainError(f"the IAM Identity Center token cache {path} cannot be read as JSON",
                         kind="sso-error") from None
    token = document.get("accessToken") if isinstance(document, dict) else None
    expires = document.get("expiresAt") if isinstance(document, dict) else None
    if not isinstance(token, str) or not token.strip() or not isinstance(expires, str):
        raise ChainError(f"the cached IAM Identity Center token for {name!r} ({path}) has no accessToken or "
                         "expiresAt", kind="sso-error")
    try:
        moment = parse_timestamp(expires)
    except ValueError:
        raise ChainError(f"the cached IAM Identity Center token for {name!r}: expiresAt {expires[:40]!r} is not a "
                         "time", kind="sso-error") from None
    if moment <= datetime.now(timezone.utc):
        raise ChainError(f"the cached IAM Identity Center token for {name!r} expired at {moment.isoformat()} (run "
                         "aws sso login; refreshing it needs the OIDC service, which the reference does not call)",
                         kind="sso-error")
    return token


def _error_type(reply: HttpResult) -> str | None:
    """The portal's error code (``x-amzn-ErrorType``, without its ``:`` suffix)."""
    value = dict((k.lower(), v) for k, v in reply.headers).get("x-amzn-errortype")
    return None if not value else value.split(":")[0]


def _message(body: bytes) -> str:
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ""
    return str(document.get("message") or document.get("Message") or "")[:200] if isinstance(document, dict) else ""
