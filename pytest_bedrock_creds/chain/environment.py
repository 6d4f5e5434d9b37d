"""``EnvironmentCredentialsResolver``: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``.

The guide names these three. Where it is silent:

* ``AWS_SECURITY_TOKEN`` (boto2's name) is not read: the guide names ``AWS_SESSION_TOKEN``,
  and botocore's preference for the old name when both are set is the surprise a stale
  variable causes (a documented botocore divergence); the trace says it was ignored;
* ``AWS_CREDENTIAL_EXPIRATION`` is read as botocore reads it: when set, the keys expire then.
  A value that is not an RFC 3339 time (ISO 8601 with a zone) is an error (botocore: dateutil's
  ``ParserError``, or a ``TypeError`` for a time without a zone; dateutil also takes forms such
  as ``Jan 1 2099 00:00 UTC``, the reference does not);
  a time already past is an ``expired-credentials`` error (botocore: "refreshed credentials
  are still expired"), since the environment cannot be refreshed.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context, blank
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip

__all__ = ["EnvironmentCredentialsResolver", "parse_timestamp"]


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 time: ISO 8601 with ``Z`` or an offset; ``ValueError`` otherwise (botocore
    cannot use a time without a zone either: comparing it fails with a ``TypeError``)."""
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"no time zone in {text!r}")
    return moment


class EnvironmentCredentialsResolver(Resolver):
    """Empty and whitespace-only values count as unset. A key id without a secret is a
    configuration error (as in botocore); a secret without a key id is skipped. A profile
    named in the service settings means the environment keys are not used (both Python
    SDKs agree on this).
    """

    name = "EnvironmentCredentialsResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        if ctx.profile_origin == "the service settings":
            return Skip(f"profile {ctx.profile!r} is set in the service settings; environment keys are not used")
        key, secret = ctx.env("AWS_ACCESS_KEY_ID"), ctx.env("AWS_SECRET_ACCESS_KEY")
        if key and secret:
            reason = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            token = ctx.env("AWS_SESSION_TOKEN")
            if token:
                reason += " with AWS_SESSION_TOKEN"
            if ctx.env("AWS_SECURITY_TOKEN"):
                reason += ("; AWS_SECURITY_TOKEN is ignored: not a documented setting "
                           "(botocore sends it instead of AWS_SESSION_TOKEN)")
            reason += _expiration(ctx)
            return Found("sigv4", "env", reason, access_key_id=key, secret_access_key=secret, session_token=token)
        if key:
            raise ChainError("AWS_ACCESS_KEY_ID set but AWS_SECRET_ACCESS_KEY missing", kind="partial-credentials")
        if secret:
            return Skip("AWS_SECRET_ACCESS_KEY set but AWS_ACCESS_KEY_ID missing")
        if "AWS_ACCESS_KEY_ID" in ctx.environ:
            return Skip("AWS_ACCESS_KEY_ID is empty or whitespace; treated as unset")
        return Skip("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set")


def _expiration(ctx: Context) -> str:
    raw = ctx.environ.get("AWS_CREDENTIAL_EXPIRATION")
    if blank(raw):
        return ""
    assert raw is not None
    try:
        expires = parse_timestamp(raw)
    except ValueError:
        raise ChainError(f"AWS_CREDENTIAL_EXPIRATION={raw[:40]!r} is not an RFC 3339 time (with a zone)",
                         kind="invalid-config") from None
    if expires <= datetime.now(timezone.utc):
        raise ChainError(f"the environment credentials expired at {expires.isoformat()} "
                         "(AWS_CREDENTIAL_EXPIRATION) and cannot be refreshed", kind="expired-credentials")
    return f"; they expire at {expires.isoformat()} (AWS_CREDENTIAL_EXPIRATION)"
