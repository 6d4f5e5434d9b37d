"""``BearerTokenResolver``: a Bedrock API key, from the service settings or ``AWS_BEARER_TOKEN_BEDROCK``."""

from __future__ import annotations

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context, blank
from pytest_bedrock_creds.chain.model import Found, Skip

__all__ = ["BEARER_UNSUPPORTED_OPERATIONS", "BearerTokenResolver", "bearer_supported"]

#: Operations for which Bedrock API keys do not work (the Bedrock user guide): the
#: bidirectional stream of Bedrock Runtime, and every Agents and Data Automation operation.
BEARER_UNSUPPORTED_OPERATIONS = frozenset(
    {
        "InvokeModelWithBidirectionalStream",
        # Agents for Amazon Bedrock Runtime
        "InvokeAgent",
        "InvokeInlineAgent",
        "Retrieve",
        "RetrieveAndGenerate",
        "RetrieveAndGenerateStream",
        "Rerank",
        "InvokeFlow",
        # Data Automation for Amazon Bedrock Runtime
        "InvokeDataAutomationAsync",
        "GetDataAutomationStatus",
    }
)
_UNSUPPORTED_SERVICES = (
    "bedrock-agent",
    "bedrock-agent-runtime",
    "bedrock-data-automation",
    "bedrock-data-automation-runtime",
)
_SCHEMES = {"sigv4": "sigv4", "sigv4a": "sigv4a", "httpbearerauth": "httpBearerAuth"}


def bearer_supported(operation: str) -> bool:
    """``False`` for operations that reject API keys; ``service:Operation`` names are accepted."""
    service, _, name = operation.rpartition(":")
    if service in _UNSUPPORTED_SERVICES:
        return False
    return name not in BEARER_UNSUPPORTED_OPERATIONS


class BearerTokenResolver(Resolver):
    """A token in the service settings wins over ``AWS_BEARER_TOKEN_BEDROCK`` (code beats
    environment). Empty and whitespace-only tokens count as unset. An auth scheme
    preference (settings, then ``AWS_AUTH_SCHEME_PREFERENCE``, then the config file)
    whose first scheme Bedrock supports is ``sigv4`` turns bearer off.
    """

    name = "BearerTokenResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        if not bearer_supported(ctx.operation):
            return Skip(f"Bedrock API keys do not work for {ctx.operation}")
        preferred, origin = _preferred_scheme(ctx)
        if preferred == "sigv4":
            return Skip(f"auth scheme preference from {origin} puts sigv4 before httpBearerAuth")
        if not blank(ctx.settings.bearer_token):
            return Found("bearer", "bearer:settings", "bearer token in the service settings",
                         token=ctx.settings.bearer_token)
        raw = ctx.environ.get("AWS_BEARER_TOKEN_BEDROCK")
        if raw is None:
            return Skip("AWS_BEARER_TOKEN_BEDROCK not set")
        if blank(raw):
            return Skip("AWS_BEARER_TOKEN_BEDROCK is set but empty or whitespace; treated as unset")
        return Found("bearer", "bearer:env", "AWS_BEARER_TOKEN_BEDROCK", token=raw)


def _preferred_scheme(ctx: Context) -> tuple[str | None, str]:
    if not blank(ctx.settings.auth_scheme_preference):
        assert ctx.settings.auth_scheme_preference is not None
        raw, origin = ctx.settings.auth_scheme_preference, "the service settings"
    else:
        value, origin = ctx.setting("AWS_AUTH_SCHEME_PREFERENCE", "auth_scheme_preference")
        if value is None:
            return None, "unset"
        raw = value
    for item in raw.split(","):
        scheme = _SCHEMES.get("".join(item.split()).lower())
        if scheme in ("sigv4", "httpBearerAuth"):  # Bedrock supports these two; sigv4a is skipped
            return scheme, origin
    return None, origin
