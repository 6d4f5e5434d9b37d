"""``WebIdentityResolver``: an OIDC token traded at STS for a role's credentials (EKS IRSA).

The guide's settings: ``web_identity_token_file`` / ``AWS_WEB_IDENTITY_TOKEN_FILE``,
``role_arn`` / ``AWS_ROLE_ARN``, ``role_session_name`` / ``AWS_ROLE_SESSION_NAME``. Where it is
silent, botocore 1.44 (``AssumeRoleWithWebIdentityProvider``):

* each setting is read from the environment first, then the profile, *key by key*: a token
  file from the environment and a role from the profile make one configuration;
* the environment is not read for a profile chosen in the service settings
  (``test_assume_role_env_vars_do_not_take_precedence``), nor for a ``source_profile``
  (``test_web_identity_source_profile_ignores_env_vars``; the Rust SDK's
  ``web_identity_source_profile_no_env``);
* a token file without a role ARN is an ``invalid-config`` error (the shared assume-role cases:
  "``role_arn`` was missing"); the file is read as it is (not stripped) when STS is called;
  a file that cannot be read is an ``invalid-config`` error;
* the call is ``AssumeRoleWithWebIdentity``, unsigned (the token is the proof), with a made-up
  session name when none is set.

Empty and whitespace-only values count as unset, as everywhere in the reference (botocore: an
empty ``AWS_WEB_IDENTITY_TOKEN_FILE`` masks the profile's file). The source is
``web-identity:<role name>``; a token authorizes without signing, so there is no ``via``.
"""

from __future__ import annotations

from pathlib import Path

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip
from pytest_bedrock_creds.chain.role_names import role_label, session_name
from pytest_bedrock_creds.chain.sts import assume_role_with_web_identity, sts_endpoint

__all__ = ["WebIdentityResolver"]

_VARIABLES = {
    "web_identity_token_file": "AWS_WEB_IDENTITY_TOKEN_FILE",
    "role_arn": "AWS_ROLE_ARN",
    "role_session_name": "AWS_ROLE_SESSION_NAME",
}


def _setting(ctx: Context, key: str) -> tuple[str | None, str]:
    if ctx.reads_provider_variables:
        value = ctx.env(_VARIABLES[key])
        if value is not None:
            return value, _VARIABLES[key]
    found = ctx.profile_setting(key)
    if found is not None:
        return found.value, f"{key} in {found.where}"
    return None, "unset"


class WebIdentityResolver(Resolver):
    name = "WebIdentityResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        token_file, file_origin = _setting(ctx, "web_identity_token_file")
        if token_file is None:
            if ctx.reads_provider_variables:
                return Skip("neither AWS_WEB_IDENTITY_TOKEN_FILE nor web_identity_token_file in profile "
                            f"{ctx.profile!r}")
            return Skip(f"no web_identity_token_file in profile {ctx.profile!r} (the environment's is not read for "
                        f"a profile from {ctx.profile_origin})")
        role_arn, role_origin = _setting(ctx, "role_arn")
        if role_arn is None:
            raise ChainError(f"a web identity token file is set ({file_origin}) but no role ARN (neither "
                             + ("AWS_ROLE_ARN nor " if ctx.reads_provider_variables else "")
                             + f"role_arn in profile {ctx.profile!r})")
        session, session_origin = _setting(ctx, "role_session_name")
        if session is None:
            session, session_origin = session_name(ctx)
        try:
            token = Path(token_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ChainError(f"web identity token file {token_file!r} ({file_origin}) cannot be read: {why}") from None
        creds = assume_role_with_web_identity(
            ctx, {"RoleArn": role_arn, "RoleSessionName": session, "WebIdentityToken": token})
        url, _ = sts_endpoint(ctx)
        reason = (f"AssumeRoleWithWebIdentity {role_arn} ({role_origin}) at {url}, token from {file_origin}, "
                  f"RoleSessionName from {session_origin}")
        return Found("sigv4", role_label("web-identity", role_arn), reason,
                     access_key_id=creds.access_key_id, secret_access_key=creds.secret_access_key,
                     session_token=creds.session_token)
