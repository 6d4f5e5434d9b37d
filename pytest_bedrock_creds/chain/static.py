"""``StaticCredentialsResolver``: keys given to the client in code (the service settings)."""

from __future__ import annotations

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context, blank
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip

__all__ = ["StaticCredentialsResolver"]


class StaticCredentialsResolver(Resolver):
    name = "StaticCredentialsResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        s = ctx.settings
        has_key, has_secret = not blank(s.access_key_id), not blank(s.secret_access_key)
        if has_key and has_secret:
            return Found(
                "sigv4", "static", "access key pair in the service settings",
                access_key_id=s.access_key_id, secret_access_key=s.secret_access_key,
                session_token=None if blank(s.session_token) else s.session_token,
            )
        if has_key or has_secret:
            names = ("access_key_id", "secret_access_key")
            given, missing = names if has_key else names[::-1]
            raise ChainError(f"service settings give {given} without {missing}", kind="partial-credentials")
        if not blank(s.session_token):
            return Skip("service settings give a session_token without keys; it is ignored")
        return Skip("no keys in the service settings")
