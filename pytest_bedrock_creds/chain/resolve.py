"""The documented Bedrock precedence, in order, with an explanation trace."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.bearer import BearerTokenResolver
from pytest_bedrock_creds.chain.container import ContainerCredentialsResolver
from pytest_bedrock_creds.chain.context import Context, blank
from pytest_bedrock_creds.chain.environment import EnvironmentCredentialsResolver
from pytest_bedrock_creds.chain.files import ConfigFileResolver, SharedCredentialsFileResolver
from pytest_bedrock_creds.chain.imds import IMDSCredentialsResolver
from pytest_bedrock_creds.chain.imds_settings import read_imds_settings
from pytest_bedrock_creds.chain.legacy import BotocoreLegacySourcesResolver
from pytest_bedrock_creds.chain.model import ChainError, Found, Resolution, ServiceSettings, TraceStep
from pytest_bedrock_creds.chain.region import RegionChoice, resolve_region
from pytest_bedrock_creds.chain.static import StaticCredentialsResolver

__all__ = ["DEFAULT_CHAIN", "resolve"]

#: bearer token -> service settings -> environment -> credentials file -> config file
#: -> (botocore's legacy files: named, not used) -> container -> EC2 instance role.
DEFAULT_CHAIN: tuple[Resolver, ...] = (
    BearerTokenResolver(),
    StaticCredentialsResolver(),
    EnvironmentCredentialsResolver(),
    SharedCredentialsFileResolver(),
    ConfigFileResolver(),
    BotocoreLegacySourcesResolver(),
    ContainerCredentialsResolver(),
    IMDSCredentialsResolver(),
)


def resolve(
    *,
    operation: str = "Converse",
    settings: ServiceSettings | None = None,
    environ: Mapping[str, str] | None = None,
    chain: Sequence[Resolver] = DEFAULT_CHAIN,
    http_timeout: float = 1.0,
) -> Resolution:
    """Resolve the identity and region a Bedrock ``operation`` call should use.

    Reads the current process environment (or ``environ``) and the files it points at;
    the container and IMDS sources make real HTTP requests to the endpoints configured
    (and refuse the real metadata addresses). Never raises for a configuration problem:
    the :class:`Resolution` then has ``scheme=None`` and ``error``/``error_kind`` set.

    Before the sources: the profile is selected (both files read), the region resolved and
    the IMDS settings checked, in botocore's order of client creation. Which error wins:
    a configuration error (profile, region name, IMDS settings, a source's hard error),
    then a missing region, then "no credentials".
    """
    settings = settings if settings is not None else ServiceSettings()
    env = dict(os.environ if environ is None else environ)
    trace: list[TraceStep] = []
    profile = "default"
    region: RegionChoice | None = None
    missing_region: ChainError | None = None

    def result(error: ChainError | None = None, found: Found | None = None) -> Resolution:
        if error is None:
            error = missing_region  # no region: no client, whatever the sources found
        if error is None and found is None:
            error = ChainError("no credentials: every source in the chain was skipped", kind="no-credentials")
        where = (None, None) if region is None else (region.region, region.source)
        if error is not None:
            return Resolution(operation, None, None, profile, tuple(trace), error=str(error),
                              error_kind=error.kind, region=where[0], region_source=where[1])
        assert found is not None
        return Resolution(operation, found.scheme, found.source, profile, tuple(trace),
                          access_key_id=found.access_key_id, secret_access_key=found.secret_access_key,
                          session_token=found.session_token, token=found.token,
                          region=where[0], region_source=where[1])

    def stopped(error: ChainError, at: int) -> Resolution:
        trace.extend(TraceStep(r.name, "not reached", "an earlier step stopped the chain") for r in chain[at:])
        return result(error)

    try:
        ctx, step = Context.build(environ=env, settings=settings, operation=operation, http_timeout=http_timeout)
    except ChainError as exc:
        trace.append(TraceStep("profile selection", "error", str(exc)))
        return stopped(exc, 0)
    trace.append(step)
    profile = ctx.profile

    try:
        region = resolve_region(ctx)
        trace.append(TraceStep("region", "used", region.reason))
    except ChainError as exc:
        trace.append(TraceStep("region", "error", str(exc)))
        if exc.kind != "no-region":
            return stopped(exc, 0)
        missing_region = exc  # a client cannot be made, but botocore reports credential errors first

    if not blank(settings.access_key_id) and not blank(settings.secret_access_key):
        trace.append(TraceStep("IMDS settings", "skipped", "keys in the service settings: the default chain is "
                               "not built, so its settings are not read"))
    else:
        try:
            trace.append(TraceStep("IMDS settings", "used", read_imds_settings(ctx).describe()))
        except ChainError as exc:
            trace.append(TraceStep("IMDS settings", "error", str(exc)))
            return stopped(exc, 0)

    for index, resolver in enumerate(chain):
        try:
            outcome = resolver.resolve(ctx)
        except ChainError as exc:
            trace.append(TraceStep(resolver.name, "error", str(exc)))
            return stopped(exc, index + 1)
        if isinstance(outcome, Found):
            trace.append(TraceStep(resolver.name, "used", outcome.reason))
            trace.extend(TraceStep(r.name, "not reached", "an earlier source was used") for r in chain[index + 1 :])
            return result(found=outcome)
        trace.append(TraceStep(resolver.name, "skipped", outcome.reason))
    return result()
