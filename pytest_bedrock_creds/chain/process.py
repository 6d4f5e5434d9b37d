"""``CredentialProcessResolver``: a profile's ``credential_process`` command, run, its JSON read.

The guide ("Process credential provider"): the command is the program's path and its arguments
(double quotes around a part that holds a space; no variables, no ``~``); it writes to stdout
``{"Version": 1, "AccessKeyId": …, "SecretAccessKey": …, "SessionToken": …, "Expiration": …}``,
``SessionToken`` and ``Expiration`` (ISO 8601) being optional; ``Version`` must be 1. Where
the guide is silent, botocore 1.44 (``ProcessProvider``): the command is split as a POSIX shell
would split it (no shell runs it), stdin is not given, a non-zero exit is an error quoting the
process's stderr, as is output that is not JSON, a ``Version`` other than 1 or a missing key;
credentials already expired when printed are an ``expired-credentials`` error (botocore refreshes
once, by running the command again, then gives up). The reference waits at most a minute. The
source is ``process:<profile>``.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from datetime import datetime, timezone

from pytest_bedrock_creds.chain.base import Resolver
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.environment import parse_timestamp
from pytest_bedrock_creds.chain.model import ChainError, Found, Skip

__all__ = ["CredentialProcessResolver", "run_credential_process"]

_TIMEOUT = 60.0


class CredentialProcessResolver(Resolver):
    name = "CredentialProcessResolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        found = ctx.profile_setting("credential_process")
        if found is None:
            return Skip(f"profile {ctx.profile!r} has no credential_process")
        return run_credential_process(found.value, f"process:{ctx.profile}", f"credential_process in {found.where}")


def run_credential_process(command: str, source: str, origin: str) -> Found:
    """Run ``command`` and read the credentials it prints; :class:`ChainError` when it fails."""
    what = origin
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ChainError(f"{what} cannot be split into a command line: {exc}", kind="process-error") from None
    if not argv:
        raise ChainError(f"{what} is empty", kind="process-error")
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ChainError(f"{what}: the command could not run ({type(exc).__name__})", kind="process-error") from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()[:200]
        raise ChainError(f"{what}: the command exited with {done.returncode}" + (f": {stderr}" if stderr else ""),
                         kind="process-error")
    try:
        document = json.loads(done.stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ChainError(f"{what}: the command's output is not JSON", kind="process-error") from None
    if not isinstance(document, dict):
        raise ChainError(f"{what}: the command's output is not a JSON object", kind="process-error")
    version = document.get("Version", "<no Version>")
    if version != 1 or isinstance(version, bool):
        raise ChainError(f"{what}: Version {str(version)[:20]!r} is not supported (only 1)", kind="process-error")
    missing = [k for k in ("AccessKeyId", "SecretAccessKey") if not isinstance(document.get(k), str) or not document[k]]
    if missing:
        raise ChainError(f"{what}: the output has no {', '.join(missing)}", kind="process-error")
    token = document.get("SessionToken")
    reason = f"ran {what}"
    expiration = document.get("Expiration")
    if expiration is not None:
        try:
            moment = parse_timestamp(str(expiration))
        except ValueError:
            raise ChainError(f"{what}: Expiration {str(expiration)[:40]!r} is not an ISO 8601 time with a zone",
                             kind="process-error") from None
        if moment <= datetime.now(timezone.utc):
            raise ChainError(f"{what}: the credentials it printed expired at {moment.isoformat()}",
                             kind="expired-credentials")
        reason += f"; they expire at {moment.isoformat()}"
    return Found("sigv4", source, reason, access_key_id=document["AccessKeyId"],
                 secret_access_key=document["SecretAccessKey"],
                 session_token=token if isinstance(token, str) and token else None)
