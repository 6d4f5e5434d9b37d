"""``EnvironmentCredentialsResolver``: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``."""

from __future__ import annotations

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip

__all__ = ["EnvironmentCredentialsResolver"]


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
            return Found(
                "sigv4", "env", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                access_key_id=key, secret_access_key=secret, session_token=ctx.env("AWS_SESSION_TOKEN"),
            )
        if key:
            raise ChainError("AWS_ACCESS_KEY_ID set but AWS_SECRET_ACCESS_KEY missing")
        if secret:
            return Skip("AWS_SECRET_ACCESS_KEY set but AWS_ACCESS_KEY_ID missing")
        if "AWS_ACCESS_KEY_ID" in ctx.environ:
            return Skip("AWS_ACCESS_KEY_ID is empty or whitespace; treated as unset")
        return Skip("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set")
