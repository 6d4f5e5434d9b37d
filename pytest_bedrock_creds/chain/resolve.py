"""The documented Bedrock precedence, in order, with an explanation trace."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.bearer import BearerTokenResolver
from pytest_bedrock_creds.chain.container import ContainerCredentialsResolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.environment import EnvironmentCredentialsResolver
from pytest_bedrock_creds.chain.files import ConfigFileResolver, SharedCredentialsFileResolver
from pytest_bedrock_creds.chain.imds import IMDSCredentialsResolver
from pytest_bedrock_creds.chain.model import ChainError, Found, Resolution, ServiceSettings, TraceStep
from pytest_bedrock_creds.chain.static import StaticCredentialsResolver

__all__ = ["DEFAULT_CHAIN", "resolve"]

#: bearer token -> service settings -> environment -> credentials file -> config file
#: -> container -> EC2 instance role.
DEFAULT_CHAIN: tuple[Resolver, ...] = (
    BearerTokenResolver(),
    StaticCredentialsResolver(),
    EnvironmentCredentialsResolver(),
    SharedCredentialsFileResolver(),
    ConfigFileResolver(),
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
    """Resolve the identity a Bedrock ``operation`` call should use.

    Reads the current process environment (or ``environ``) and the files it points at;
    the container and IMDS sources make real HTTP requests to the endpoints configured
    (and refuse the real metadata addresses). Never raises for a configuration problem:
    the :class:`Resolution` then has ``scheme=None`` and ``error`` set.
    """
    settings = settings if settings is not None else ServiceSettings()
    env = dict(os.environ if environ is None else environ)
    trace: list[TraceStep] = []
    profile = "default"

    def failed(message: str, at: int) -> Resolution:
        trace.extend(TraceStep(r.name, "not reached", "an earlier step stopped the chain") for r in chain[at:])
        return Resolution(operation, None, None, profile, tuple(trace), error=message)

    try:
        ctx, step = Context.build(environ=env, settings=settings, operation=operation, http_timeout=http_timeout)
    except ChainError as exc:
        trace.append(TraceStep("profile selection", "error", str(exc)))
        return failed(str(exc), 0)
    trace.append(step)
    profile = ctx.profile
    for index, resolver in enumerate(chain):
        try:
            outcome = resolver.resolve(ctx)
        except ChainError as exc:
            trace.append(TraceStep(resolver.name, "error", str(exc)))
            return failed(str(exc), index + 1)
        if isinstance(outcome, Found):
            trace.append(TraceStep(resolver.name, "used", outcome.reason))
            trace.extend(TraceStep(r.name, "not reached", "an earlier source was used") for r in chain[index + 1 :])
            return Resolution(
                operation, outcome.scheme, outcome.source, profile, tuple(trace),
                access_key_id=outcome.access_key_id, secret_access_key=outcome.secret_access_key,
                session_token=outcome.session_token, token=outcome.token,
            )
        trace.append(TraceStep(resolver.name, "skipped", outcome.reason))
    return Resolution(operation, None, None, profile, tuple(trace),
                      error="no credentials: every source in the chain was skipped")
