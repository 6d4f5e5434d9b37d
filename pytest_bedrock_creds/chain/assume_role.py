"""``AssumeRoleResolver``: a profile with ``role_arn``, assumed through STS with a source's credentials.

The SDKs and Tools Reference Guide ("Assume role credential provider") names the settings:
``role_arn``; its source, ``source_profile`` (another profile's credentials) or
``credential_source`` (``Environment``, ``Ec2InstanceMetadata``, ``EcsContainer``), never both;
``role_session_name``, ``duration_seconds`` (900 s up to the role's maximum, default one
hour), ``external_id`` and ``mfa_serial``. The shared assume-role cases (the AWS SDK for Rust's
``assume-role-tests.json``) pin how a chain of profiles is walked, and botocore 1.44 agrees:

* a profile with ``role_arn`` *and* ``web_identity_token_file`` is web identity, not this;
* neither source is a ``partial-credentials`` error (botocore's ``PartialCredentialsError``),
  both an ``invalid-config`` error; an unknown ``credential_source`` or a ``source_profile`` in
  neither file too. The names are the guide's, as written: botocore checks them
  case-sensitively (``environment`` is "not valid"), though a comment of its says otherwise;
* a source profile with keys (``aws_access_key_id`` or ``aws_secret_access_key``) ends the
  walk: its own credentials are used even if it also has ``role_arn`` ("the chain stops at
  static credentials"). Without keys but with ``role_arn`` it is assumed in turn (one
  ``AssumeRole`` per hop, each signed with the hop before). Otherwise the profile's other
  sources are tried in the chain's order (web identity from the profile, SSO, the files'
  keys, login, ``credential_process``); with none, an ``invalid-config`` error;
* a profile may name itself as its ``source_profile`` when it holds keys (they sign the
  ``AssumeRole``); any other loop is an ``invalid-config`` error (botocore's
  ``InfiniteLoopConfigError``), found before STS is called;
* the keys of the profile that has ``role_arn`` and a ``source_profile`` are never used to
  sign for itself (unless it names itself).

Where the guide is silent, botocore: a ``duration_seconds`` that is not a whole number is
not sent; with no ``role_session_name`` one is made up (``bedrock-creds-reference-<unix time>``;
botocore's is ``botocore-session-<unix time>``); ``credential_source = Environment`` reads the
environment's keys even when the profile is chosen in code; a named source with no
credentials is a ``no-credentials`` error; ``mfa_serial`` needs a code typed at a prompt,
which the reference never shows: an ``invalid-config`` error before STS is called (botocore
prompts with ``getpass`` at the first request and, with no terminal, fails there).

The call: ``AssumeRole`` at the STS endpoint (:mod:`.sts`), signed with the source's keys.
The result's source is ``assume-role:<role name>`` and its ``via`` the source's lineage.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.container import ContainerCredentialsResolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.environment import environment_keys
from pytest_bedrock_creds.chain.imds import IMDSCredentialsResolver
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip
from pytest_bedrock_creds.chain.profile_chain import profile_credentials
from pytest_bedrock_creds.chain.role_names import role_label, session_name
from pytest_bedrock_creds.chain.sts import assume_role, sts_endpoint

__all__ = ["NAMED_SOURCES", "AssumeRoleResolver", "has_role"]

#: ``credential_source`` values, as written (botocore's ``is_supported`` compares them exactly).
NAMED_SOURCES = ("Environment", "Ec2InstanceMetadata", "EcsContainer")


def has_role(ctx: Context) -> bool:
    """The profile assumes a role with other credentials: ``role_arn`` without ``web_identity_token_file``."""
    return ctx.profile_setting("role_arn") is not None and ctx.profile_setting("web_identity_token_file") is None


def _has_keys(ctx: Context) -> bool:
    return any(ctx.profile_setting(k) is not None for k in ("aws_access_key_id", "aws_secret_access_key"))


class AssumeRoleResolver(Resolver):
    name = "AssumeRoleResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        if ctx.profile_setting("role_arn") is None:
            return Skip(f"profile {ctx.profile!r} has no role_arn")
        if not has_role(ctx):
            return Skip(f"profile {ctx.profile!r} has role_arn with web_identity_token_file: web identity")
        return _assume(ctx, (ctx.profile,))


def _assume(ctx: Context, visited: Sequence[str]) -> Found:
    role = ctx.profile_setting("role_arn")
    assert role is not None
    label = f"profile {ctx.profile!r}"
    source_profile = ctx.profile_setting("source_profile")
    named = ctx.profile_setting("credential_source")
    if source_profile is not None and named is not None:
        raise ChainError(f"{label} has both source_profile and credential_source; the guide allows one")
    if source_profile is None and named is None:
        raise ChainError(f"{label} has role_arn but neither source_profile nor credential_source",
                         kind="partial-credentials")
    mfa = ctx.profile_setting("mfa_serial")
    if mfa is not None:
        raise ChainError(f"{label} has mfa_serial {mfa.value!r}: AssumeRole needs a code from that device, typed "
                         "at a prompt, and the reference chain has no prompt (botocore asks with getpass at the "
                         "first request, before any STS call)")
    if named is not None:
        base = _named_source(ctx, named.value)
    else:
        assert source_profile is not None
        base = _source_profile(ctx, source_profile.value, visited)
    name, name_origin = session_name(ctx)
    params = {"RoleArn": role.value, "RoleSessionName": name}
    notes = [f"RoleSessionName {name_origin}"]
    duration = ctx.profile_setting("duration_seconds")
    if duration is not None:
        try:
            params["DurationSeconds"] = str(int(duration.value.strip()))
        except ValueError:
            notes.append(f"duration_seconds {duration.value[:20]!r} is not a whole number: not sent (botocore)")
    external = ctx.profile_setting("external_id")
    if external is not None:
        params["ExternalId"] = external.value
    creds = assume_role(ctx, base, params)
    url, _ = sts_endpoint(ctx)
    reason = (f"AssumeRole {role.value} ({label}) at {url}, signed with {base.source}"
              + (f" (via {' <- '.join(base.via)})" if base.via else "") + "; " + "; ".join(notes))
    return Found("sigv4", role_label("assume-role", role.value), reason,
                 access_key_id=creds.access_key_id, secret_access_key=creds.secret_access_key,
                 session_token=creds.session_token, via=base.lineage)


def _named_source(ctx: Context, value: str) -> Found:
    canonical = value.strip()
    if canonical not in NAMED_SOURCES:
        raise ChainError(f"credential_source {value[:40]!r} in profile {ctx.profile!r} is not one of "
                         f"{', '.join(NAMED_SOURCES)} (as written)")
    selected = ctx.selected  # the session's providers: the selected profile's settings
    if canonical == "Environment":
        outcome = environment_keys(selected)
    elif canonical == "Ec2InstanceMetadata":
        outcome = IMDSCredentialsResolver().resolve(selected)
    else:
        outcome = ContainerCredentialsResolver().resolve(selected)
    if isinstance(outcome, Skip):
        raise ChainError(f"credential_source {canonical} in profile {ctx.profile!r} found no credentials: "
                         f"{outcome.reason}", kind="no-credentials")
    return outcome


def _source_profile(ctx: Context, name: str, visited: Sequence[str]) -> Found:
    if not ctx.has_profile(name):
        raise ChainError(f"source_profile {name!r} of profile {ctx.profile!r} is in neither file")
    source = ctx.for_profile(name, f"source_profile of {ctx.profile!r}")
    if name in visited and (name != ctx.profile or not _has_keys(source)):
        loop = " -> ".join([*visited, name])
        raise ChainError(f"the source profiles form a loop ({loop}); a profile may name only itself, and only "
                         "when it holds keys")
    if _has_keys(source) or not has_role(source):
        found = profile_credentials(source)
        if found is None:
            raise ChainError(f"source_profile {name!r} of profile {ctx.profile!r} has no credentials (no keys, "
                             "role, web identity, SSO, login or credential_process)")
        return found
    return _assume(source, (*visited, name))
