"""``SharedCredentialsFileResolver`` and ``ConfigFileResolver``: keys of the selected profile.

The profile is the one both files make together, as the shared parser tests pin it: the
config file's section overridden key by key by the credentials file's (so a key id in one
file and the secret in the other make a pair). The source is the file that gave
``aws_access_key_id``: the credentials-file resolver answers when that file has it, the
config-file resolver otherwise. botocore reads each file on its own and calls a split pair
partial: a documented divergence. Key names are case-insensitive; empty and whitespace-only
values count as missing. A profile that gets credentials some other way (``role_arn``,
``credential_process``, SSO, web identity) is outside the documented Bedrock chain, and the
reference says so instead of guessing.
"""

from __future__ import annotations

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip
from pytest_bedrock_creds.chain.profile_file import FileKind, ProfileFile

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


def _from_profile(kind: FileKind, ctx: Context) -> Found | Skip:
    path = ctx.credentials_path if kind == "credentials" else ctx.config_path
    parsed: ProfileFile | None = ctx.credentials_file if kind == "credentials" else ctx.config_file
    if parsed is None:
        return Skip(f"{path} does not exist")
    label = parsed.label(ctx.profile)
    if parsed.profiles.get(ctx.profile) is None:
        return Skip(f"no {label} section in {path}")
    _refuse_unmodelled(ctx)
    key_id = ctx.profile_setting("aws_access_key_id")
    secret = ctx.profile_setting("aws_secret_access_key")
    if key_id is None or key_id.kind != kind:
        if key_id is not None:
            return Skip(f"{label} in {path} does not give the profile's aws_access_key_id "
                        f"(it comes from {key_id.where})")
        if secret is not None:
            return Skip(f"{label} in {path}: the profile has aws_secret_access_key but no aws_access_key_id")
        return Skip(f"{label} in {path} has no keys")
    if secret is None:
        raise ChainError(f"{label} in {path} has aws_access_key_id but no aws_secret_access_key "
                         "(in either file)", kind="partial-credentials")
    token = ctx.profile_setting("aws_session_token")
    reason = f"aws_access_key_id from {key_id.where}"
    reason += "" if secret.kind == kind else f", aws_secret_access_key from {secret.where} (the files are merged)"
    if token is not None and token.kind != kind:
        reason += f", aws_session_token from {token.where}"
    if ctx.profile_setting("aws_security_token") is not None:
        reason += "; aws_security_token is ignored: not a documented setting (botocore reads it)"
    return Found(
        "sigv4", f"{key_id.source_label}:{ctx.profile}", reason,
        access_key_id=key_id.value, secret_access_key=secret.value,
        session_token=None if token is None else token.value,
    )


def _refuse_unmodelled(ctx: Context) -> None:
    for key in UNMODELLED_PROFILE_KEYS:
        found = ctx.profile_setting(key)
        if found is not None:
            raise ChainError(
                f"profile {ctx.profile!r} in {found.path} sets {key}, a credential provider outside the "
                "documented Bedrock chain; the reference chain does not model it"
            )


class SharedCredentialsFileResolver(Resolver):
    name = "SharedCredentialsFileResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        return _from_profile("credentials", ctx)


class ConfigFileResolver(Resolver):
    name = "ConfigFileResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        return _from_profile("config", ctx)
