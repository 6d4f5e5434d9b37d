"""``LoginResolver``: the credentials ``aws login`` cached for a profile's ``login_session``.

The shared login cases (``login-provider-test-cases.json``, in botocore's and the AWS SDK for
Rust's tests): a profile with ``login_session`` reads
``~/.aws/login/cache/<SHA-256 of the login_session>.json`` (``AWS_LOGIN_CACHE_DIRECTORY``
moves the directory, as botocore reads it: variables, then ``~``, expanded); valid cached
credentials (``accessToken``: ``accessKeyId``, ``secretAccessKey``, ``sessionToken``,
``expiresAt``) are used at once; no cache file is an error ("run ``aws login``"), and so is a
cache without ``accessToken``, ``refreshToken``, ``clientId`` or ``dpopKey``. Expired cached
credentials are refreshed through the sign-in service (``CreateOAuth2Token`` with a DPoP proof);
the reference does not call it: a ``login-error``. botocore 1.44 needs the ``awscrt`` package
for this source and refuses the profile without it (``MissingDependencyException``), a
documented divergence. The source is ``login:<profile>``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.environment import parse_timestamp
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip

__all__ = ["LoginResolver", "login_cache_path"]

_REQUIRED = ("accessToken", "refreshToken", "clientId", "dpopKey")


def login_cache_path(ctx: Context, session: str) -> Path:
    directory = ctx.env("AWS_LOGIN_CACHE_DIRECTORY")
    base = Path(ctx.expand(directory)) if directory is not None else Path(ctx.expand("~/.aws/login/cache"))
    return base / f"{hashlib.sha256(session.encode('utf-8')).hexdigest()}.json"


class LoginResolver(Resolver):
    name = "LoginResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        found = ctx.profile_setting("login_session")
        if found is None:
            return Skip(f"profile {ctx.profile!r} has no login_session")
        session = found.value
        path = login_cache_path(ctx, session)
        what = f"the login cache of login_session {session!r} ({path})"
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ChainError(f"{what} does not exist: no login session (run aws login)", kind="login-error") from None
        except (OSError, UnicodeDecodeError, ValueError):
            raise ChainError(f"{what} cannot be read as JSON", kind="login-error") from None
        if not isinstance(document, dict):
            raise ChainError(f"{what} is not a JSON object", kind="login-error")
        missing = [k for k in _REQUIRED if k not in document]
        if missing:
            raise ChainError(f"{what} has no {', '.join(missing)}", kind="login-error")
        access = document["accessToken"]
        fields = ("accessKeyId", "secretAccessKey", "sessionToken", "expiresAt")
        if not isinstance(access, dict) or any(not isinstance(access.get(k), str) for k in fields):
            raise ChainError(f"{what}: accessToken lacks {', '.join(fields)}", kind="login-error")
        try:
            expires = parse_timestamp(access["expiresAt"])
        except ValueError:
            raise ChainError(f"{what}: expiresAt is not a time", kind="login-error") from None
        if expires <= datetime.now(timezone.utc):
            raise ChainError(f"{what}: the cached credentials expired at {expires.isoformat()}; refreshing them "
                             "needs the sign-in service's CreateOAuth2Token, which the reference does not call",
                             kind="login-error")
        return Found("sigv4", f"login:{ctx.profile}", f"cached credentials of login_session {session!r} in {path}",
                     access_key_id=access["accessKeyId"], secret_access_key=access["secretAccessKey"],
                     session_token=access["sessionToken"])
