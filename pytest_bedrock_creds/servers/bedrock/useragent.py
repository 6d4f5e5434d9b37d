"""The SDK's own claim of its credential source: botocore's User-Agent business metrics.

botocore writes the features a request used into its User-Agent as ``m/<id>,<id>,…``
(``botocore.useragent._USERAGENT_FEATURE_MAPPINGS``): ``g`` for environment credentials,
``n`` for a profile, ``0`` for IMDS, ``3`` for the Bedrock bearer token from the environment, …
:func:`credential_claims` decodes the credential-related ones, and :func:`witness` compares that
claim with the ledger's attribution, a second witness of which source signed a request.
Other clients (aws-sdk-bedrock-runtime, anthropic) send no such metrics: no claim, no verdict.
"""

from __future__ import annotations

import re

__all__ = ["CREDENTIAL_FEATURES", "credential_claims", "describe_claims", "witness"]

#: botocore's metric ids for credential and auth sources, with their names.
CREDENTIAL_FEATURES = {
    "e": "CREDENTIALS_CODE",
    "g": "CREDENTIALS_ENV_VARS",
    "h": "CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN",
    "i": "CREDENTIALS_STS_ASSUME_ROLE",
    "k": "CREDENTIALS_STS_ASSUME_ROLE_WEB_ID",
    "n": "CREDENTIALS_PROFILE",
    "o": "CREDENTIALS_PROFILE_SOURCE_PROFILE",
    "p": "CREDENTIALS_PROFILE_NAMED_PROVIDER",
    "q": "CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN",
    "r": "CREDENTIALS_PROFILE_SSO",
    "s": "CREDENTIALS_SSO",
    "t": "CREDENTIALS_PROFILE_SSO_LEGACY",
    "u": "CREDENTIALS_SSO_LEGACY",
    "v": "CREDENTIALS_PROFILE_PROCESS",
    "w": "CREDENTIALS_PROCESS",
    "x": "CREDENTIALS_BOTO2_CONFIG_FILE",
    "z": "CREDENTIALS_HTTP",
    "0": "CREDENTIALS_IMDS",
    "3": "BEARER_SERVICE_ENV_VARS",
    "AC": "CREDENTIALS_PROFILE_LOGIN",
    "AD": "CREDENTIALS_LOGIN",
}

#: Ledger source (label prefix) -> the metric ids that say the same thing.
_EXPECTED = (
    ("bearer:env", {"3"}),
    ("static", {"e"}),
    ("env", {"g"}),
    ("shared-credentials-file:", {"n"}),
    ("config-file:", {"n"}),
    ("container", {"z"}),
    ("imds:", {"0"}),
    ("assume-role:", {"i"}),
    ("web-identity:", {"k", "h", "q"}),
    ("sso:", {"s", "r", "t", "u"}),
    ("process:", {"w", "v"}),
    ("login:", {"AD", "AC"}),
)

_METRICS = re.compile(r"(?:^|\s)m/([A-Za-z0-9,+\-_]+)")


def credential_claims(user_agent: str | None) -> tuple[str, ...] | None:
    """The credential metric ids the User-Agent reports, in order; ``None`` without an ``m/`` section."""
    if not user_agent:
        return None
    match = _METRICS.search(user_agent)
    if match is None:
        return None
    return tuple(i for i in match.group(1).split(",") if i in CREDENTIAL_FEATURES)


def witness(source: str | None, claims: tuple[str, ...] | None) -> bool | None:
    """Whether the SDK's claim agrees with the ledger's ``source``; ``None`` when there is nothing
    to compare (no claim, no credential metric, or a source without a metric of its own)."""
    if source is None or not claims:
        return None
    base = source.split("#", 1)[0]
    for prefix, ids in _EXPECTED:
        if base == prefix or (prefix.endswith(":") and base.startswith(prefix)):
            return bool(ids & set(claims))
    return None


def describe_claims(claims: tuple[str, ...] | None) -> str:
    """The claim in words, each metric by botocore's name and id: ``CREDENTIALS_PROFILE=n``."""
    return ", ".join(f"{CREDENTIAL_FEATURES.get(claim, 'unknown')}={claim}" for claim in claims or ()) or "nothing"
