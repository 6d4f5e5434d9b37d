"""``ContainerCredentialsResolver``: the ECS / EKS Pod Identity credentials endpoint."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.documents import parse_credentials_document
from pytest_bedrock_creds.chain.http import HttpFailure, RefusedAddress, request
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip

__all__ = ["ECS_HOST", "ContainerCredentialsResolver"]

ECS_HOST = "http://169.254.170.2"
_ALLOWED_HTTP_HOSTS = {"localhost", "169.254.170.2", "169.254.170.23", "fd00:ec2::23"}


def _allowed(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    if parts.scheme != "http" or not parts.hostname:
        return False
    host = parts.hostname.lower()
    if host in _ALLOWED_HTTP_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ContainerCredentialsResolver(Resolver):
    """``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` (on 169.254.170.2) wins over
    ``AWS_CONTAINER_CREDENTIALS_FULL_URI``, which must be https or a loopback/ECS/EKS host.
    ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`` wins over ``AWS_CONTAINER_AUTHORIZATION_TOKEN``.
    Once configured, a failure is a configuration error (the chain stops), as in botocore.
    """

    name = "ContainerCredentialsResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        relative = ctx.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        full = ctx.env("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        if relative:
            url, origin = ECS_HOST + relative, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
        elif full:
            url, origin = full, "AWS_CONTAINER_CREDENTIALS_FULL_URI"
            if not _allowed(url):
                raise ChainError(
                    f"{origin}={url!r}: only https URLs or http on loopback, localhost, "
                    "169.254.170.2, 169.254.170.23 or fd00:ec2::23 are allowed"
                )
        else:
            return Skip("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set")
        headers = {}
        token = _authorization_token(ctx)
        if token is not None:
            headers["Authorization"] = token
        try:
            result = request("GET", url, headers=headers, timeout=max(ctx.http_timeout, 2.0))
        except (RefusedAddress, HttpFailure) as exc:
            raise ChainError(f"container credentials from {origin}: {exc}") from None
        if result.status != 200:
            raise ChainError(f"container credentials endpoint {url} answered HTTP {result.status}")
        creds = parse_credentials_document(result.body, f"container credentials from {url}")
        return Found(
            "sigv4", "container", f"GET {url} ({origin})",
            access_key_id=creds.access_key_id, secret_access_key=creds.secret_access_key,
            session_token=creds.session_token,
        )


def _authorization_token(ctx: Context) -> str | None:
    token_file = ctx.env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    token: str | None
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ChainError(f"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {token_file!r}: {exc.strerror}") from None
    else:
        token = ctx.env("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    if token is not None and ("\r" in token or "\n" in token):
        raise ChainError("the container authorization token contains a line break")
    return token
