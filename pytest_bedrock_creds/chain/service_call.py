"""One call to an AWS service the chain depends on (STS, the IAM Identity Center portal), with retries.

How many attempts: ``AWS_MAX_ATTEMPTS`` / ``max_attempts`` when set (a positive integer), else
five: the guide leaves the default retry mode to each SDK, and botocore's default (``legacy``)
makes five attempts. What is retried, as botocore's legacy mode (``_retry.json``): a connection
that fails or times out, HTTP 429, 500, 502, 503, 504 and 509, and HTTP 400 with a throttling
code (``Throttling``, ``ThrottlingException``, ``ThrottledException``,
``RequestThrottledException``, ``ProvisionedThroughputExceededException``; for STS also
``IDPCommunicationError``). The reference does not wait between attempts (the fakes answer at
once). Addresses of real AWS endpoints and metadata services are refused before any socket
opens (:mod:`.http`).
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.http import HttpFailure, HttpResult, RefusedAddress, request
from pytest_bedrock_creds.chain.model import ChainError

__all__ = ["RETRYABLE_CODES", "RETRYABLE_STATUS", "call_service", "max_attempts"]

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504, 509})
RETRYABLE_CODES = frozenset({"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
                             "ProvisionedThroughputExceededException"})
_DEFAULT_ATTEMPTS = 5
#: How long one attempt may take: the SDKs' read timeouts are a minute; the fakes answer in milliseconds.
_TIMEOUT = 10.0


def max_attempts(ctx: Context) -> tuple[int, str]:
    """The number of attempts per call, and where it came from."""
    value, origin = ctx.setting("AWS_MAX_ATTEMPTS", "max_attempts")
    if value is None:
        return _DEFAULT_ATTEMPTS, "botocore's default (legacy retry mode)"
    try:
        attempts = int(value.strip())
    except ValueError:
        raise ChainError(f"{origin}={value[:40]!r} is not a whole number of attempts") from None
    if attempts < 1:
        raise ChainError(f"{origin}={attempts}: the number of attempts must be at least 1")
    return attempts, origin


def call_service(
    ctx: Context,
    method: str,
    url: str,
    *,
    what: str,
    kind: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    error_code: Callable[[HttpResult], str | None] = lambda reply: None,
    retry_codes: frozenset[str] = RETRYABLE_CODES,
) -> HttpResult:
    """Send the call, retrying what botocore retries (``error_code`` reads a reply's AWS error code);
    a failure is a :class:`ChainError` of ``kind`` whose message starts with ``what``. The last
    reply is returned whatever its status."""
    attempts, _ = max_attempts(ctx)
    last = "no attempt made"
    reply: HttpResult | None = None
    for _ in range(attempts):
        try:
            reply = request(method, url, headers=headers, body=body, timeout=_TIMEOUT)
        except RefusedAddress as exc:
            raise ChainError(f"{what}: {exc}", kind=kind) from None
        except HttpFailure as exc:
            last, reply = str(exc), None
            continue
        if reply.status not in RETRYABLE_STATUS and not (reply.status == 400 and error_code(reply) in retry_codes):
            return reply
        last = f"HTTP {reply.status}"
    if reply is not None:
        return reply
    raise ChainError(f"{what}: {last} after {attempts} attempt(s)", kind=kind)
