"""The reference credential chain: the documented Bedrock precedence as readable code.

``resolve()`` walks the sources in order and returns a :class:`Resolution` that says
which scheme and source won, which identity (secrets redacted in its repr), and a trace
of every source consulted with the reason it was used or skipped::

    bearer token -> service settings -> environment -> shared credentials file
    -> config file -> container endpoint -> EC2 instance metadata (IMDS)

This is the oracle the conformance tests compare real SDKs to. Where an SDK differs
from the documentation, this module follows the documentation; the README's
"Known SDK divergences" table lists the differences.
"""

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.bearer import BEARER_UNSUPPORTED_OPERATIONS, BearerTokenResolver, bearer_supported
from pytest_bedrock_creds.chain.container import ContainerCredentialsResolver
from pytest_bedrock_creds.chain.environment import EnvironmentCredentialsResolver
from pytest_bedrock_creds.chain.files import ConfigFileResolver, SharedCredentialsFileResolver
from pytest_bedrock_creds.chain.imds import IMDSCredentialsResolver
from pytest_bedrock_creds.chain.model import (
    ChainError,
    ConfigFileError,
    Resolution,
    ServiceSettings,
    TraceStep,
)
from pytest_bedrock_creds.chain.resolve import DEFAULT_CHAIN, resolve
from pytest_bedrock_creds.chain.static import StaticCredentialsResolver

__all__ = [
    "BEARER_UNSUPPORTED_OPERATIONS",
    "DEFAULT_CHAIN",
    "BearerTokenResolver",
    "ChainError",
    "ConfigFileError",
    "ConfigFileResolver",
    "ContainerCredentialsResolver",
    "EnvironmentCredentialsResolver",
    "IMDSCredentialsResolver",
    "Resolution",
    "Resolver",
    "ServiceSettings",
    "SharedCredentialsFileResolver",
    "StaticCredentialsResolver",
    "TraceStep",
    "bearer_supported",
    "resolve",
]
