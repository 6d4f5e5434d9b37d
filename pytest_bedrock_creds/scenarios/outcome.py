"""What a target did, in one shape for every target, and whether it is what a scenario expects.

Every target, the reference chain included, ends with a request that reached
:class:`~pytest_bedrock_creds.servers.bedrock.FakeBedrock` (or with an error before any request).
:meth:`Observation.from_request` reads the fake's record: the scheme, the identity that arrived
(the access key id, or the bearer token), the ledger's attribution of it, whether the SigV4
signature verified, and the error code the fake answered. A request the fake rejected is an
error outcome: it never matches an expectation of success.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from pytest_bedrock_creds.redact import hidden_from_diffs, redact
from pytest_bedrock_creds.scenarios.schema import ERROR_KINDS, Expectation
from pytest_bedrock_creds.servers.bedrock.records import BedrockRequest
from pytest_bedrock_creds.servers.bedrock.useragent import describe_claims

__all__ = ["BLANK_TOKEN", "Observation", "classify_error", "matches"]

#: The observed source of a bearer request whose token is empty or whitespace (never attributed).
BLANK_TOKEN = "bearer:<empty>"

_ERROR_PATTERNS: tuple[tuple[str, str], ...] = (
    ("unsupported-operation", r"^unsupported-operation:|AttributeError: .* has no attribute"),
    ("unsupported-setting", r"^unsupported-setting:"),
    # the rest of the chain, before "expired": an expired token STS or the portal refused is their error
    ("sts-error", r"when calling the AssumeRole(WithWebIdentity)? operation"),
    ("sso-error", r"when calling the GetRoleCredentials operation|SSOTokenLoadError|UnauthorizedSSOTokenError|"
                  r"Error when retrieving token from sso|TokenRetrievalError"),
    ("login-error", r"LoginTokenLoadError|LoginRefreshRequired|login credential provider"),
    ("process-error", r"from custom-process|credential process|ProfileCredentialProcess"),
    ("no-credentials", r"No credentials found in credential_source"),
    ("invalid-config", r"InfiniteLoopConfigError|Infinite loop in credential configuration"),
    ("expired-credentials", r"expired"),
    ("partial-credentials", r"partial ?credential|without secret_access_key|without access_key_id|"
                            r"but no aws_secret_access_key|AWS_SECRET_ACCESS_KEY missing|"
                            r"both aws_access_key_id and aws_secret_access_key must be specified"),
    ("profile-not-found", r"ProfileNotFound|profile .* (could not be found|is not in)|profile .*not found"),
    ("container-error", r"container credentials|container metadata|CredentialRetrievalError|"
                        r"Unsupported host '|Auth token value is not a legal header value"),
    ("config-file-error", r"ConfigParseError|Unable to parse config|, line \d+:"),
    ("invalid-config", r"InvalidConfig|IMDSConfigurationError|InvalidIMDSEndpoint|not a valid IMDS endpoint mode|"
                       r"Invalid (endpoint )?EC2 Instance Metadata endpoint|"
                       r"InvalidRegionError|Must be a valid AWS region identifier|"
                       r"region_name '.*' doesn't match a supported format|Invalid AWS region format"),
    ("imds-error", r"MetadataRetrievalError|Error retrieving metadata"),
    ("no-region", r"NoRegionError|must specify a region|must provide a `region_name`|No AWS region|Missing Region|"
                  r"region.*(is required|not set)|"
                  r"no region"),
    ("no-credentials", r"no credentials|NoCredentialsError|NoAuthTokenError|Unable to locate credentials|"
                       r"IdentityChainError|No credential providers|Could not resolve AWS credentials|"
                       r"SmithyIdentityError"),
)


def classify_error(message: str) -> str:
    """The error kind of a client's or the chain's message (``other`` when none fits). A message that
    starts with a kind (``"sts-error: …"``, as the reference's and the runners' do) keeps it."""
    head, sep, _ = message.partition(": ")
    if sep and head in ERROR_KINDS:
        return head
    for kind, pattern in _ERROR_PATTERNS:
        if re.search(pattern, message, flags=re.IGNORECASE):
            return kind
    return "other"


@hidden_from_diffs
@dataclass(frozen=True, repr=False)
class Observation:
    """What a target did.

    With a request: ``scheme`` (``sigv4``, ``bearer``, ``none``), ``source`` (the ledger's label
    for the key or token that arrived; ``<unknown key '…'>``, ``<unknown token>`` or
    ``bearer:<empty>`` when the ledger does not attribute it), the identity itself
    (``access_key_id``; ``token``, never printed), ``signature_valid`` and ``rejected`` (the
    fake's error code). ``error`` is ``"<kind>: <message>"``: the client's error when no
    request was sent, or ``"rejected: <code>: …"`` when the fake refused the request.
    ``region`` is the region the request was signed for (a short-term API key's region; ``None``
    for a long-term API key, which carries none). ``sdk_reported`` is the SDK's own claim of its
    credential source (botocore's User-Agent metrics) and ``witness`` whether it agrees with
    ``source`` (``None``: nothing to compare).
    """

    scheme: str | None = None
    source: str | None = None
    access_key_id: str | None = None
    token: str | None = field(default=None, compare=False)
    signature_valid: bool | None = None
    rejected: str | None = None
    error: str | None = None
    operation: str | None = None
    region: str | None = None
    sdk_reported: tuple[str, ...] | None = None
    witness: bool | None = None
    #: the ledger's lineage of what arrived: the source, then who obtained it (``()``: unknown)
    lineage: tuple[str, ...] = ()

    @property
    def via(self) -> tuple[str, ...]:
        return self.lineage[1:]

    @classmethod
    def failure(cls, message: str) -> Observation:
        """An error before any request reached the fake."""
        message = " ".join(message.split())[:400]
        kind = classify_error(message)
        prefix = f"{kind}: "
        return cls(error=message if message.startswith(prefix) else prefix + message)

    @classmethod
    def from_request(cls, request: BedrockRequest) -> Observation:
        """The outcome of ``request`` as the fake recorded and judged it."""
        auth = request.auth
        source: str | None
        if auth.scheme == "bearer":
            token = auth.token or ""
            source = BLANK_TOKEN if not token.strip() else auth.source or "<unknown token>"
        elif auth.scheme in ("sigv4", "unknown"):
            key = auth.access_key_id
            source = auth.source or ("<no key id>" if key is None else f"<unknown key {key!r}>")
        else:
            source = None
        rejected = auth.error or (request.error_code if request.status >= 400 else None)
        observed = cls(
            scheme=auth.scheme,
            source=source,
            access_key_id=auth.access_key_id,
            token=auth.token,
            signature_valid=auth.signature_valid,
            rejected=rejected,
            operation=request.operation,
            region=auth.region,
            sdk_reported=auth.sdk_reported,
            witness=auth.witness,
            lineage=auth.lineage,
        )
        if rejected is None:
            return observed
        message = (auth.message or "").splitlines()[0] if auth.error else f"HTTP {request.status}"
        return _replace_error(observed, f"rejected: {rejected}: {message} ({observed.identity()})")

    def identity(self) -> str:
        """The identity that arrived, in words (a key id is shown; a token only redacted)."""
        if self.scheme == "bearer":
            if self.source == BLANK_TOKEN:
                return f"bearer, blank token {self.token!r}"
            return f"bearer token {redact(self.token)} from {self.source}"
        if self.scheme == "none":
            return "no Authorization header"
        words = f"{self.scheme} with key {self.access_key_id!r} from {self.source}"
        if self.via:
            words += f" via {' <- '.join(self.via)}"
        if self.signature_valid is not None:
            words += ", signature " + ("valid" if self.signature_valid else "INVALID")
        return words

    def describe(self, *, key: bool = True) -> str:
        """The outcome in words; ``key=False`` leaves out the (per-run random) access key id."""
        if self.scheme is None:
            return f"error: {self.error}"
        text = f"{self.scheme} from {self.source}"
        if self.via:
            text += f" via {' <- '.join(self.via)}"
        if self.access_key_id is not None and key:
            text += f" (key {self.access_key_id!r})"
        if self.region is not None:
            text += f" in {self.region}"
        if self.signature_valid is False:
            text += ", signature INVALID"
        if self.rejected is not None:
            text += f", rejected: {self.rejected}"
        if self.witness is False:
            text += f" (the SDK reported {describe_claims(self.sdk_reported)})"
        return text

    def __repr__(self) -> str:
        return f"Observation({self.describe()})"


def _replace_error(observed: Observation, error: str) -> Observation:
    return replace(observed, error=error)


def matches(observed: Observation, expected: Expectation, *, default_region: str | None = None) -> bool:
    """Whether ``observed`` is what ``expected`` says.

    * ``region``: the request was signed for that region. Without ``expected.region``,
      ``default_region`` (the region the runner set, for scenarios that name none) is checked
      whenever the request carries a region.

    * ``scheme`` + ``source`` (+ ``via``): the request arrived with that identity, obtained through
      that lineage (``via`` empty: credentials read as they are), and (for SigV4) its
      signature verified, and the fake accepted it. With ``signature_valid: false`` the
      signature must not verify (the fake then rejects it with InvalidSignatureException).
      With ``error`` too, the fake must have rejected it with an error containing that text.
    * ``error`` alone: an error (before any request, or the fake's rejection) containing that text.
    """
    if expected.error is not None and (observed.error is None
                                       or expected.error.lower() not in observed.error.lower()):
        return False
    if expected.scheme is None:
        return expected.error is not None
    if (observed.scheme, observed.source, observed.via) != (expected.scheme, expected.source, expected.via):
        return False
    if expected.region is not None and observed.region != expected.region:
        return False
    if expected.region is None and default_region is not None and observed.region not in (None, default_region):
        return False
    if (observed.signature_valid is False) != (expected.signature_valid is False):
        return False
    if expected.error is not None:
        return True
    if expected.signature_valid is False:
        return observed.rejected == "InvalidSignatureException"
    return observed.error is None
