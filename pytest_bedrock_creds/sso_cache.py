"""The SSO token cache: where SDKs look for an IAM Identity Center access token.

botocore reads ``~/.aws/sso/cache/<sha1 of the sso-session name>.json``, but computes that
directory once, from the ``HOME`` in force when ``botocore.credentials`` and ``botocore.tokens``
are first imported (the class attributes ``SSOProvider._SSO_TOKEN_CACHE_DIR`` and
``SSOTokenProvider._SSO_TOKEN_CACHE_DIR``). No variable, config setting or session component
moves it for a client made the ordinary way (checked on botocore 1.44.8: the only other seam
is the ``sso_token_cache`` argument of ``ProfileProviderBuilder``, which ``boto3.client()``
never passes). So :func:`redirect_botocore` sets both attributes to the hermetic home's
cache for the life of an ``AwsEnv`` and puts the old values back when it stops: the one
patch of botocore state in this package, documented and restored, and the reason nothing a
test does can read or write the real ``~/.aws/sso/cache``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timezone
from pathlib import Path

from pytest_bedrock_creds.ledger import IssuedToken

__all__ = ["cache_dir", "cache_key", "redirect_botocore", "write_token"]

_PATCHED = (("botocore.credentials", "SSOProvider"), ("botocore.tokens", "SSOTokenProvider"))


def cache_dir(home: Path) -> Path:
    return home / ".aws" / "sso" / "cache"


def cache_key(session_name: str) -> str:
    """The cache file's stem: the SHA-1 of the sso-session name, as every SDK computes it."""
    return hashlib.sha1(session_name.encode("utf-8")).hexdigest()


def write_token(home: Path, session_name: str, token: IssuedToken, *, start_url: str, region: str) -> Path:
    """Write ``token`` as the cached access token of sso-session ``session_name``."""
    assert token.expiration is not None
    directory = cache_dir(home)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{cache_key(session_name)}.json"
    document = {
        "startUrl": start_url,
        "region": region,
        "accessToken": token.token,
        "expiresAt": token.expiration.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def redirect_botocore(home: Path | str) -> Callable[[], None]:
    """Point botocore's SSO token cache at ``home``'s; return the function that restores it."""
    import importlib
    import os
    import sys

    saved: list[tuple[type, str]] = []
    directory = os.path.join(home, ".aws", "sso", "cache")  # cache_dir(home), without pathlib's cost
    for module_name, class_name in _PATCHED:
        cls = getattr(sys.modules.get(module_name) or importlib.import_module(module_name), class_name)
        saved.append((cls, cls._SSO_TOKEN_CACHE_DIR))
        cls._SSO_TOKEN_CACHE_DIR = directory

    def restore() -> None:
        for cls, value in saved:
            cls._SSO_TOKEN_CACHE_DIR = value  # type: ignore[attr-defined]

    return restore

