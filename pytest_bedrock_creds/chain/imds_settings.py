"""The IMDS settings, read and checked once, before any source is tried.

Endpoint and mode follow the SDKs and Tools Reference Guide and the Rust SDK's
``imds-endpoint-tests.json``: an endpoint (environment, then profile) beats any mode; the
mode (``IPv4`` or ``IPv6``, any case; environment, then profile) picks
``http://169.254.169.254`` or ``http://[fd00:ec2::254]``. Where the guide is silent the
reference reads like botocore 1.44 (``credentials.create_credential_resolver``): the settings
are read when the default chain is built, so an invalid mode or endpoint, or a
``metadata_service_num_attempts`` / ``metadata_service_timeout`` that is not an integer, is a
configuration error even when an earlier source would have answered (and even with an
endpoint set, an invalid mode is an error); only keys given in the service settings skip the
default chain and so these checks. Every profile key is read from the merged profile, so
the credentials file may carry IMDS settings too, as botocore allows.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.model import ChainError

__all__ = ["IPV4_ENDPOINT", "IPV6_ENDPOINT", "ImdsSettings", "read_imds_settings", "valid_endpoint"]

IPV4_ENDPOINT = "http://169.254.169.254"
IPV6_ENDPOINT = "http://[fd00:ec2::254]"
_LABEL = re.compile(r"^((?!-)[A-Z\d-]{1,63}(?<!-)\.)*((?!-)[A-Z\d-]{1,63}(?<!-))$", re.IGNORECASE)


def valid_endpoint(url: str) -> bool:
    """botocore's ``is_valid_uri``: a scheme and a host name or bracketed IPv6 literal, no line breaks or tabs."""
    if any(c in url for c in "\t\r\n"):
        return False
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if host is None or len(host) > 255:
        return False
    if "[" in url:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
            return True
        except ValueError:
            return False
    return _LABEL.match(host.rstrip(".")) is not None


@dataclass(frozen=True)
class ImdsSettings:
    """What the IMDS source will use, and where each value came from."""

    endpoint: str
    endpoint_origin: str
    num_attempts: int
    attempts_origin: str
    timeout: float
    timeout_origin: str
    v1_disabled: bool
    v1_origin: str
    disabled: bool

    def describe(self) -> str:
        text = (f"endpoint {self.endpoint} ({self.endpoint_origin}), {self.num_attempts} attempt(s) "
                f"({self.attempts_origin}), timeout {self.timeout:g} s ({self.timeout_origin})")
        if self.v1_disabled:
            text += f", IMDSv1 disabled by {self.v1_origin}"
        if self.disabled:
            text += ", IMDS disabled by AWS_EC2_METADATA_DISABLED"
        return text


def _integer(ctx: Context, env_name: str, key: str, default: float) -> tuple[float, str]:
    raw, origin = ctx.setting(env_name, key)
    if raw is None:
        return default, "the default"
    try:
        return int(raw), origin
    except ValueError:
        raise ChainError(f"{origin}={raw[:40]!r} is not an integer (botocore reads it with int())",
                         kind="invalid-config") from None


def read_imds_settings(ctx: Context) -> ImdsSettings:
    """The IMDS settings; :class:`ChainError` (``invalid-config``) for a value botocore refuses."""
    mode, mode_origin = ctx.setting("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode")
    if mode is not None and mode.lower() not in ("ipv4", "ipv6"):
        raise ChainError(f"{mode_origin}={mode[:40]!r} is not a valid IMDS endpoint mode (IPv4 or IPv6)",
                         kind="invalid-config")
    endpoint, origin = ctx.setting("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint")
    if endpoint is None:
        ipv6 = mode is not None and mode.lower() == "ipv6"
        endpoint, origin = (IPV6_ENDPOINT, mode_origin) if ipv6 else (IPV4_ENDPOINT, "the default")
    elif not valid_endpoint(endpoint):
        raise ChainError(f"{origin}={endpoint[:80]!r} is not a valid IMDS endpoint URI", kind="invalid-config")
    attempts, attempts_origin = _integer(ctx, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts", 1)
    timeout, timeout_origin = _integer(ctx, "AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout",
                                       ctx.http_timeout)
    v1, v1_origin = ctx.setting("AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled")
    return ImdsSettings(
        endpoint=endpoint.rstrip("/"),
        endpoint_origin=origin,
        num_attempts=max(int(attempts), 0),
        attempts_origin=attempts_origin,
        timeout=timeout,
        timeout_origin=timeout_origin,
        v1_disabled=(v1 or "").lower() == "true",
        v1_origin=v1_origin,
        disabled=(ctx.env("AWS_EC2_METADATA_DISABLED") or "").lower() == "true",
    )
