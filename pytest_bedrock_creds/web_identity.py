"""Web identity (OIDC) token files, as EKS IRSA projects them into a pod.

The token is issued by the ledger (source ``web-identity:<role>``), so FakeSts accepts it for
that role and a request signed with the credentials it buys is attributed to
``web-identity:<role>``. Used by ``AwsEnv.web_identity`` (the environment form) and
``AwsFiles.web_identity_profile`` (the profile form).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pytest_bedrock_creds.ledger import IssuedToken, Ledger

__all__ = ["parse_role_arn", "role_name", "write_token_file"]

_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})$")


def parse_role_arn(role_arn: object) -> tuple[str, str] | None:
    """``(account, role name)`` of an IAM role ARN (the path dropped), else ``None``."""
    match = _ROLE_ARN.match(role_arn) if isinstance(role_arn, str) else None
    return (match.group(1), match.group(2)) if match else None


def role_name(role_arn: str) -> str:
    """``bedrock-invoker`` from ``arn:aws:iam::123456789012:role/path/bedrock-invoker``."""
    parsed = parse_role_arn(role_arn)
    if parsed is None:
        raise ValueError(f"not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>): {role_arn!r}")
    return parsed[1]


def write_token_file(
    ledger: Ledger, directory: Path, role_arn: str, *, expired: bool = False
) -> tuple[Path, IssuedToken]:
    """Issue a web identity token for ``role_arn`` and write it (no newline) under ``directory``.

    ``expired=True``: the token's ``exp`` is an hour ago, so STS answers ``ExpiredTokenException``.
    """
    name = role_name(role_arn)
    now = datetime.now(timezone.utc)
    expiration = now - timedelta(hours=1) if expired else now + timedelta(hours=24)
    token = ledger.issue_token(f"web-identity:{name}", expiration=expiration)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{len(list(directory.iterdir()))}.jwt"
    path.write_text(token.token, encoding="ascii")
    return path, token
