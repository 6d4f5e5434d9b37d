"""The fake IAM Identity Center portal (``server``: :class:`FakeSsoPortal`).

The public names are importable from here (``from pytest_bedrock_creds.servers.sso import …``)."""

from pytest_bedrock_creds.servers.sso.server import FakeSsoPortal, SsoRequest

__all__ = ["FakeSsoPortal", "SsoRequest"]
