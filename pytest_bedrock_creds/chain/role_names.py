"""Names the STS sources share: the source label of a role, and the role session name."""

from __future__ import annotations

import time

from pytest_bedrock_creds.chain.context import Context

__all__ = ["role_label", "session_name"]


def role_label(prefix: str, role_arn: str) -> str:
    """``assume-role:bedrock-invoker`` from ``arn:aws:iam::…:role/path/bedrock-invoker`` (the path
    dropped, as the ledger labels what FakeSts issues)."""
    name = role_arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or role_arn
    return f"{prefix}:{name}"


def session_name(ctx: Context) -> tuple[str, str]:
    """The profile's ``role_session_name``, else a made-up one; with where it came from."""
    given = ctx.profile_setting("role_session_name")
    if given is not None:
        return given.value, f"role_session_name in {given.where}"
    return f"bedrock-creds-reference-{int(time.time())}", "made up (none set)"
