"""The sources one profile can give credentials by itself, in the chain's order.

botocore's profile providers (``ProfileProviderBuilder``): web identity (from the profile
only), IAM Identity Center (SSO), the shared credentials file's keys, login, ``credential_process``,
the config file's keys. The default chain runs them for the selected profile between the
assume-role source and the legacy files; the assume-role source runs them for a
``source_profile`` that ends a walk.
"""

from __future__ import annotations

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.files import ConfigFileResolver, SharedCredentialsFileResolver
from pytest_bedrock_creds.chain.login import LoginResolver
from pytest_bedrock_creds.chain.model import Found
from pytest_bedrock_creds.chain.process import CredentialProcessResolver
from pytest_bedrock_creds.chain.sso import SsoResolver
from pytest_bedrock_creds.chain.web_identity import WebIdentityResolver

__all__ = ["PROFILE_CHAIN", "profile_credentials"]

PROFILE_CHAIN: tuple[Resolver, ...] = (
    WebIdentityResolver(),
    SsoResolver(),
    SharedCredentialsFileResolver(),
    LoginResolver(),
    CredentialProcessResolver(),
    ConfigFileResolver(),
)


def profile_credentials(ctx: Context) -> Found | None:
    """The first of :data:`PROFILE_CHAIN` that gives ``ctx``'s profile credentials; ``None`` if none does."""
    for resolver in PROFILE_CHAIN:
        outcome = resolver.resolve(ctx)
        if isinstance(outcome, Found):
            return outcome
    return None
