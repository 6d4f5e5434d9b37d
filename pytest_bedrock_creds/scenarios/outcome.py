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
from dataclasses import dataclass, field

from pytest_bedrock_creds.redact import redact
from pytest_bedrock_creds.scenarios.schema import Expectation
from pytest_bedrock_creds.servers.bedrock_records import BedrockRequest

__all__ = ["BLANK_TOKEN", "Observation", "classify_error", "matches"]

#: The observed source of a bearer request whose token is empty or whitespace (never attributed).
BLANK_TOKEN = "bearer:<empty>"

_ERROR_PATTERNS: tuple[tuple[str, str], ...] = (
    ("unsupported-operation", r"^unsupported-operation:|AttributeError: .* has no attribute"),
    ("unsupported-setting", r"^unsupported-setting:"),
    ("expired-credentials", r"expired"),
    ("partial-credentials", r"partial ?credential|without secret_access_key|without access_key_id|"
                            r"but no aws_secret_access_key|AWS_SECRET_ACCESS_KEY missing|"
                            r"both aws_access_key_id and aws_secret_access_key must be specified"),
    ("profile-not-found", r"ProfileNotFound|profile .* (could not be found|is not in)|profile .*not found"),
    ("container-error", r"container credentials|container metadata|CredentialRetrievalError"),
    ("config-file-error", r"ConfigParseError|Unable to parse config|, line \d+:"),
    ("invalid-config", r"InvalidConfig|IMDSConfigurationError|InvalidIMDSEndpointMode|not a valid IMDS endpoint mode|"
                       r"Invalid EC2 Instance Metadata endpoint mode"),
    ("imds-error", r"MetadataRetrievalError|Error retrieving metadata"),
    ("no-credentials", r"no credentials|NoCredentialsError|Unable to locate credentials|IdentityChainError|"
                       r"No credential providers|Could not resolve AWS credentials"),
)


def classify_error(message: str) -> str:
    """The error kind of a client's or the chain's message (``other`` when none fits)."""
    for kind, pattern in _ERROR_PATTERNS:
        if re.search(pattern, message, flags=re.IGNORECASE):
            return kind
    return "other"


@dataclass(frozen=True, repr=False)
class Observation:
    """What a target did.

    With a request: ``scheme`` (``sigv4``, ``bearer``, ``none``), ``source`` (the ledger's label
    for the key or token that arrived; ``<unknown key '…'>``, ``<unknown token>`` or
    ``bearer:<empty>`` when the ledger does not attribute it), the identity itself
    (``access_key_id``; ``token``, never printed), ``signature_valid`` and ``rejected`` (the
    fake's error code). ``error`` is ``"<kind>: <message>"``: the client's error when no
    request was sent, or ``"rejected: <code>: …"`` when the fake refused the request.
    """

    scheme: str | None = None
    source: str | None = None
    access_key_id: str | None = None
    token: str | None = field(default=None, compare=False)
    signature_valid: bool | None = None
    rejected: str | None = None
    error: str | None = None
    operation: str | None = None

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
        if self.signature_valid is not None:
            words += ", signature " + ("valid" if self.signature_valid else "INVALID")
        return words

    def describe(self, *, key: bool = True) -> str:
        """The outcome in words; ``key=False`` leaves out the (per-run random) access key id."""
        if self.scheme is None:
            return f"error: {self.error}"
        text = f"{self.scheme} from {self.source}"
        if self.access_key_id is not None and key:
            text += f" (key {self.access_key_id!r})"
        if self.signature_valid is False:
            text += ", signature INVALID"
        if self.rejected is not None:
            text += f", rejected: {self.rejected}"
        return text

    def __repr__(self) -> str:
        return f"Observation({self.describe()})"


def _replace_error(observed: Observation, error: str) -> Observation:
    return Observation(observed.scheme, observed.source, observed.access_key_id, observed.token,
                       observed.signature_valid, observed.rejected, error, observed.operation)


def matches(observed: Observation, expected: Expectation) -> bool:
    """Whether ``observed`` is what ``expected`` says.

    * ``scheme`` + ``source``: the request arrived with that identity, and (for SigV4) its
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
    if (observed.scheme, observed.source) != (expected.scheme, expected.source):
        return False
    if (observed.signature_valid is False) != (expected.signature_valid is False):
        return False
    if expected.error is not None:
        return True
    if expected.signature_valid is False:
        return observed.rejected == "InvalidSignatureException"
    return observed.error is None
