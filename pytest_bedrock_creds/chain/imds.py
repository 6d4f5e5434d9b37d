"""``IMDSCredentialsResolver``: the EC2 instance role, from the instance metadata service.

IMDSv2 first (``PUT /latest/api/token``); on 403, 404 or 405, or no answer, IMDSv1
unless ``AWS_EC2_METADATA_V1_DISABLED`` / ``ec2_metadata_v1_disabled`` is true (the SDKs
and Tools Reference Guide). A failure here is a skip: it is the last source.
"""

from __future__ import annotations

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.documents import parse_credentials_document
from pytest_bedrock_creds.chain.http import HttpFailure, RefusedAddress, request
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip

__all__ = ["IMDSCredentialsResolver", "imds_endpoint"]

_ROLES_PATH = "/latest/meta-data/iam/security-credentials/"


def imds_endpoint(ctx: Context) -> tuple[str, str]:
    """Endpoint and where it came from: the endpoint setting, else the mode, else IPv4."""
    endpoint, origin = ctx.setting("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint")
    if endpoint:
        return endpoint.rstrip("/"), origin
    mode, origin = ctx.setting("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode")
    if mode is None or mode.lower() == "ipv4":
        return "http://169.254.169.254", "the default"
    if mode.lower() == "ipv6":
        return "http://[fd00:ec2::254]", origin
    raise ChainError(f"{origin}={mode!r} is not a valid IMDS endpoint mode (IPv4 or IPv6)")


class IMDSCredentialsResolver(Resolver):
    name = "IMDSCredentialsResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        if (ctx.env("AWS_EC2_METADATA_DISABLED") or "").lower() == "true":
            return Skip("AWS_EC2_METADATA_DISABLED=true")
        base, origin = imds_endpoint(ctx)
        try:
            return self._fetch(ctx, base)
        except RefusedAddress as exc:
            return Skip(f"{exc} (endpoint from {origin}; point AWS_EC2_METADATA_SERVICE_ENDPOINT at a fake)")
        except HttpFailure as exc:
            return Skip(f"IMDS at {base} unreachable: {exc}")
        except ChainError as exc:
            return Skip(str(exc))

    def _fetch(self, ctx: Context, base: str) -> Found | Skip:
        timeout = ctx.http_timeout
        headers: dict[str, str] = {}
        version = "IMDSv2"
        try:
            token = request("PUT", base + "/latest/api/token",
                            headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"}, timeout=timeout)
            token_status: int | None = token.status
        except HttpFailure:
            token_status = None
        if token_status == 200:
            headers["X-aws-ec2-metadata-token"] = token.body.decode("utf-8", "replace")
        elif token_status in (403, 404, 405, None):
            v1_disabled, where = ctx.setting("AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled")
            if (v1_disabled or "").lower() == "true":
                return Skip(f"IMDSv2 token request failed ({token_status or 'no answer'}) and IMDSv1 is "
                            f"disabled by {where}")
            version = "IMDSv1"
        else:
            return Skip(f"IMDSv2 token request answered HTTP {token_status}")
        roles = request("GET", base + _ROLES_PATH, headers=headers, timeout=timeout)
        if roles.status != 200:
            return Skip(f"{version} role list answered HTTP {roles.status}")
        role = roles.body.decode("utf-8", "replace").strip().splitlines()[0:1]
        if not role:
            return Skip(f"{version}: no instance role attached (empty role list)")
        doc_reply = request("GET", base + _ROLES_PATH + role[0], headers=headers, timeout=timeout)
        if doc_reply.status != 200:
            return Skip(f"{version} credentials for role {role[0]!r} answered HTTP {doc_reply.status}")
        creds = parse_credentials_document(doc_reply.body, f"{version} credentials for role {role[0]!r}")
        return Found(
            "sigv4", f"imds:{role[0]}", f"{version} instance role {role[0]!r} at {base}",
            access_key_id=creds.access_key_id, secret_access_key=creds.secret_access_key,
            session_token=creds.session_token,
        )
