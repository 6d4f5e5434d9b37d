"""``credential_process`` helpers: a small executable that prints issued credentials.

The script is a Python file run by the interpreter running the tests (``sys.executable``), so
it works on any machine; the command line is quoted for the POSIX shell splitting botocore
applies. It prints the Version 1 JSON document the SDKs expect, or whatever ``output`` says,
and exits with ``exit_code``. Nothing it prints is a real secret: the credentials come from
the ledger (``process:<profile>``).
"""

from __future__ import annotations

import json
import shlex
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pytest_bedrock_creds.ledger import IssuedCredentials

__all__ = ["document", "write_script"]

_SCRIPT = """\
import sys
sys.stdout.write({stdout!r})
sys.stderr.write({stderr!r})
sys.exit({exit_code!r})
"""


def document(creds: IssuedCredentials) -> str:
    """The Version 1 ``credential_process`` output for ``creds``."""
    doc: dict[str, object] = {
        "Version": 1,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
    }
    if creds.session_token is not None:
        doc["SessionToken"] = creds.session_token
    if creds.expiration is not None:
        doc["Expiration"] = creds.expiration.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(doc)


def expiration(expired: bool) -> datetime:
    """An hour ago when ``expired``, else an hour from now (whole seconds, as printed)."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return now - timedelta(hours=1) if expired else now + timedelta(hours=1)


def write_script(directory: Path, profile: str, stdout: str, *, exit_code: int = 0) -> str:
    """Write the script for ``profile`` and return the ``credential_process`` command line."""
    if isinstance(exit_code, bool) or not isinstance(exit_code, int) or not 0 <= exit_code <= 255:
        raise ValueError(f"exit_code must be an int 0-255, not {exit_code!r}")
    directory.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in profile)
    path = directory / f"credential-process-{safe}-{len(list(directory.iterdir()))}.py"
    stderr = f"credential process for profile {profile!r} exited with {exit_code}\n" if exit_code else ""
    path.write_text(_SCRIPT.format(stdout=stdout, stderr=stderr, exit_code=exit_code), encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(path))}"
