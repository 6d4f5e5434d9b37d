"""``SharedCredentialsFileResolver`` and ``ConfigFileResolver``: keys in the selected profile.

Each file is a source of its own: keys are not merged across the two files (as in
botocore). Key names are case-insensitive; empty and whitespace-only values count as
missing. A profile that gets credentials some other way (``role_arn``,
``credential_process``, SSO, web identity) is outside the documented Bedrock chain, and
the reference says so instead of guessing.
"""

from __future__ import annotations

from pathlib import Path

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context, blank
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip
from pytest_bedrock_creds.chain.profiles import Profiles

__all__ = ["UNMODELLED_PROFILE_KEYS", "ConfigFileResolver", "SharedCredentialsFileResolver"]

#: Profile keys that select a credential provider the documented Bedrock chain does not list.
UNMODELLED_PROFILE_KEYS = (
    "role_arn",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
    "login_session",
)


def _from_profile(
    kind: str, source_label: str, path: Path, profiles: Profiles | None, ctx: Context
) -> Found | Skip:
    if profiles is None:
        return Skip(f"{path} does not exist")
    section = f"[{ctx.profile}]" if kind == "credentials" or ctx.profile == "default" else f"[profile {ctx.profile}]"
    values = profiles.get(ctx.profile)
    if values is None:
        return Skip(f"no {section} section in {path}")
    _refuse_unmodelled(ctx)
    key_id, secret = values.get("aws_access_key_id"), values.get("aws_secret_access_key")
    if not blank(key_id) and not blank(secret):
        token = values.get("aws_session_token")
        return Found(
            "sigv4", f"{source_label}:{ctx.profile}", f"keys in {section} of {path}",
            access_key_id=key_id, secret_access_key=secret, session_token=None if blank(token) else token,
        )
    if not blank(key_id):
        raise ChainError(f"{section} in {path} has aws_access_key_id but no aws_secret_access_key")
    if not blank(secret):
        return Skip(f"{section} in {path} has aws_secret_access_key but no aws_access_key_id")
    return Skip(f"{section} in {path} has no keys")


def _refuse_unmodelled(ctx: Context) -> None:
    for path, profiles in ((ctx.credentials_path, ctx.credentials_profiles), (ctx.config_path, ctx.config_profiles)):
        values = (profiles or {}).get(ctx.profile) or {}
        for key in UNMODELLED_PROFILE_KEYS:
            if not blank(values.get(key)):
                raise ChainError(
                    f"profile {ctx.profile!r} in {path} sets {key}, a credential provider outside the "
                    "documented Bedrock chain; the reference chain does not model it"
                )


class SharedCredentialsFileResolver(Resolver):
    name = "SharedCredentialsFileResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        return _from_profile(
            "credentials", "shared-credentials-file", ctx.credentials_path, ctx.credentials_profiles, ctx
        )


class ConfigFileResolver(Resolver):
    name = "ConfigFileResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        return _from_profile("config", "config-file", ctx.config_path, ctx.config_profiles, ctx)
