"""``BearerTokenResolver``: a Bedrock API key, from the service settings or ``AWS_BEARER_TOKEN_BEDROCK``."""

from __future__ import annotations

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context, blank
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip

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
#: The scheme names of the guide, matched as written (botocore compares them case-sensitively).
_SCHEMES = ("sigv4", "sigv4a", "httpBearerAuth")


def bearer_supported(operation: str) -> bool:
    """``False`` for operations that reject API keys; ``service:Operation`` names are accepted."""
    service, _, name = operation.rpartition(":")
    if service in _UNSUPPORTED_SERVICES:
        return False
    return name not in BEARER_UNSUPPORTED_OPERATIONS


class BearerTokenResolver(Resolver):
    """A token in the service settings wins over ``AWS_BEARER_TOKEN_BEDROCK`` (code beats
    environment). Empty and whitespace-only tokens count as unset.

    An auth scheme preference (settings, then ``AWS_AUTH_SCHEME_PREFERENCE``, then the
    profile's ``auth_scheme_preference``) is read as the guide describes it: comma-separated
    names in priority order, spaces and tabs ignored; the first one Bedrock supports
    (``sigv4`` or ``httpBearerAuth``; ``sigv4a`` is not one) decides, and with none of them
    the default applies (the token, if any). Names are matched as written (``SigV4`` is not
    a scheme name; botocore compares case-sensitively). ``httpBearerAuth`` first without a
    token is an error, as in botocore (``NoAuthTokenError``): the preference does not fall
    through to SigV4.
    """

    name = "BearerTokenResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        if not bearer_supported(ctx.operation):
            return Skip(f"Bedrock API keys do not work for {ctx.operation}")
        preferred, origin, ignored = _preferred_scheme(ctx)
        note = f" (ignored names in the preference: {', '.join(ignored)})" if ignored else ""
        if preferred == "sigv4":
            return Skip(f"auth scheme preference from {origin} puts sigv4 before httpBearerAuth{note}")
        if not blank(ctx.settings.bearer_token):
            return Found("bearer", "bearer:settings", "bearer token in the service settings" + note,
                         token=ctx.settings.bearer_token)
        raw = ctx.environ.get("AWS_BEARER_TOKEN_BEDROCK")
        if not blank(raw):
            return Found("bearer", "bearer:env", "AWS_BEARER_TOKEN_BEDROCK" + note, token=raw)
        why = ("AWS_BEARER_TOKEN_BEDROCK not set" if raw is None
               else "AWS_BEARER_TOKEN_BEDROCK is set but empty or whitespace; treated as unset")
        if preferred == "httpBearerAuth":
            raise ChainError(f"no credentials: no bearer token, and the auth scheme preference from {origin} "
                             f"puts httpBearerAuth first ({why})", kind="no-credentials")
        return Skip(why + note)


def _preferred_scheme(ctx: Context) -> tuple[str | None, str, list[str]]:
    """The first scheme Bedrock supports in the preference, where the preference came from,
    and the names that are no scheme at all."""
    if not blank(ctx.settings.auth_scheme_preference):
        assert ctx.settings.auth_scheme_preference is not None
        raw, origin = ctx.settings.auth_scheme_preference, "the service settings"
    else:
        value, origin = ctx.setting("AWS_AUTH_SCHEME_PREFERENCE", "auth_scheme_preference")
        if value is None:
            return None, "unset", []
        raw = value
    ignored: list[str] = []
    for item in raw.split(","):
        name = item.replace(" ", "").replace("\t", "")
        if name in ("sigv4", "httpBearerAuth"):  # Bedrock supports these two; sigv4a is skipped
            return name, origin, ignored
        if name and name not in _SCHEMES:
            ignored.append(repr(name[:40]))
    return None, origin, ignored
