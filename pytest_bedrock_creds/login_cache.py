"""The ``aws login`` token cache botocore's login provider reads.

``~/.aws/login/cache/<sha256 of the login_session>.json`` (or ``AWS_LOGIN_CACHE_DIRECTORY``),
holding the session's temporary credentials under ``accessToken`` plus the refresh material
(``refreshToken``, ``clientId``, ``dpopKey``) the provider requires to be present. botocore
reads the directory when the provider is built, from the ``HOME`` then in force.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timezone
from pathlib import Path

from pytest_bedrock_creds.ledger import IssuedCredentials

__all__ = ["cache_path", "write_login_cache"]


def cache_path(home: Path, session: str) -> Path:
    return home / ".aws" / "login" / "cache" / f"{hashlib.sha256(session.encode('utf-8')).hexdigest()}.json"


def write_login_cache(home: Path, session: str, creds: IssuedCredentials) -> Path:
    assert creds.expiration is not None and creds.account_id is not None
    path = cache_path(home, session)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "accessToken": {
            "accessKeyId": creds.access_key_id,
            "secretAccessKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
            "accountId": creds.account_id,
            "expiresAt": creds.expiration.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "tokenType": "aws_sigv4",
        "refreshToken": secrets.token_urlsafe(48),
        "idToken": secrets.token_urlsafe(48),
        "clientId": f"arn:aws:signin:::devtools/{secrets.token_hex(8)}",
        # Refreshing would need this key to sign DPoP proofs; the fakes never refresh it.
        "dpopKey": "-----BEGIN EC PRIVATE KEY-----\n" + secrets.token_urlsafe(90) + "\n-----END EC PRIVATE KEY-----\n",
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
