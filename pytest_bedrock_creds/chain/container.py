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

__all__ = ["ECS_HOST", "ContainerCredentialsResolver", "container_endpoint"]

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
    ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` (the guide: FULL_URI "will only be used if
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not set"), which must be https, or http on a
    loopback address, ``localhost``, 169.254.170.2, 169.254.170.23 or ``fd00:ec2::23``
    (botocore's list). ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`` wins over
    ``AWS_CONTAINER_AUTHORIZATION_TOKEN``; the file is sent as read, not stripped (botocore),
    so a token with a line break, a trailing newline included, is an error. Once
    configured, a failure is a configuration error (the chain stops), as in botocore.
    """

    name = "ContainerCredentialsResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        chosen = container_endpoint(ctx)
        if chosen is None:
            return Skip("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set")
        url, origin = chosen
        headers = {}
        token = _authorization_token(ctx)
        if token is not None:
            headers["Authorization"] = token
        try:
            result = request("GET", url, headers=headers, timeout=max(ctx.http_timeout, 2.0))
        except (RefusedAddress, HttpFailure) as exc:
            raise ChainError(f"container credentials from {origin}: {exc}", kind="container-error") from None
        if result.status != 200:
            raise ChainError(f"container credentials endpoint {url} answered HTTP {result.status}",
                             kind="container-error")
        try:
            creds = parse_credentials_document(result.body, f"container credentials from {url}")
        except ChainError as exc:
            raise ChainError(str(exc), kind="container-error") from None
        return Found(
            "sigv4", "container", f"GET {url} ({origin})",
            access_key_id=creds.access_key_id, secret_access_key=creds.secret_access_key,
            session_token=creds.session_token,
        )


def container_endpoint(ctx: Context) -> tuple[str, str] | None:
    """The URL the container source asks and the variable that chose it; ``None`` when
    neither variable is set; :class:`ChainError` for a FULL_URI host that is not allowed."""
    relative = ctx.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    full = ctx.env("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if relative:
        return ECS_HOST + relative, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
    if not full:
        return None
    if not _allowed(full):
        raise ChainError(
            f"AWS_CONTAINER_CREDENTIALS_FULL_URI={full!r}: only https URLs or http on loopback, localhost, "
            "169.254.170.2, 169.254.170.23 or fd00:ec2::23 are allowed", kind="container-error"
        )
    return full, "AWS_CONTAINER_CREDENTIALS_FULL_URI"


def _authorization_token(ctx: Context) -> str | None:
    token_file = ctx.env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    token: str | None
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ChainError(f"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {token_file!r}: {why}",
                             kind="container-error") from None
        origin = f"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {token_file!r}"
    else:
        token, origin = ctx.env("AWS_CONTAINER_AUTHORIZATION_TOKEN"), "AWS_CONTAINER_AUTHORIZATION_TOKEN"
    if token is not None and ("\r" in token or "\n" in token):
        raise ChainError(f"the container authorization token from {origin} contains a line break "
                         "(a trailing newline counts); it cannot be sent as a header", kind="container-error")
    return token
