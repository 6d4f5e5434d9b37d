"""``AwsFiles``: shared credentials and config files written on demand.

Files are written in the exact forms the SDKs read: ``[name]`` sections in the
credentials file; ``[default]``, ``[profile name]`` and ``[sso-session name]`` in the
config file. Repeated calls merge into the same section. ``write_raw`` writes text as
given (for malformed files; ``bytes`` for content that is not UTF-8); structured sections
written afterwards are appended to it. Files are written 0600 in a 0700 ``.aws``, as the AWS
CLI writes them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.ledger import IssuedCredentials
from pytest_bedrock_creds.tempfiles import write_private

__all__ = ["AwsFiles"]

FileKind = Literal["credentials", "config"]

_KEY = re.compile(r"^[A-Za-z0-9_.\-]+$")
_CREDENTIAL_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")


class AwsFiles:
    """Writes ``AWS_SHARED_CREDENTIALS_FILE`` and ``AWS_CONFIG_FILE`` for an active :class:`AwsEnv`."""

    def __init__(self, env: AwsEnv) -> None:
        self.env = env
        self._sections: dict[FileKind, dict[str, dict[str, str]]] = {"credentials": {}, "config": {}}
        self._raw: dict[FileKind, bytes] = {"credentials": b"", "config": b""}

    @property
    def credentials_path(self) -> Path:
        return self.env.credentials_path

    @property
    def config_path(self) -> Path:
        return self.env.config_path

    def path(self, kind: FileKind) -> Path:
        if kind == "credentials":
            return self.credentials_path
        if kind == "config":
            return self.config_path
        raise ValueError(f"file kind must be 'credentials' or 'config', not {kind!r}")

    # -- structured writers ------------------------------------------------------------
    def credentials(self, profile: str = "default", *, temporary: bool = False, **keys: str) -> IssuedCredentials:
        """Write ``[profile]`` in the credentials file and return the credentials in it.

        With no ``aws_access_key_id``/``aws_secret_access_key`` given, fresh keys are issued
        by the ledger (source ``shared-credentials-file:<profile>``; ``temporary`` adds a
        session token). Other keys (``region``, ``aws_session_token``...) are written as given.
        """
        return self._write_credentials("credentials", profile, temporary, keys)

    def config_credentials(
        self, profile: str = "default", *, temporary: bool = False, **settings: str
    ) -> IssuedCredentials:
        """Like :meth:`credentials`, but keys go into the config file (source ``config-file:<profile>``)."""
        return self._write_credentials("config", profile, temporary, settings)

    def config(self, profile: str = "default", **settings: str) -> IssuedCredentials | None:
        """Merge ``settings`` into the profile's config section (``[default]`` or ``[profile x]``).

        Returns the credentials when the settings include an access key pair (they are then
        recorded in the ledger as ``config-file:<profile>``), else ``None``.
        """
        self._merge("config", _config_section(profile), settings)
        return self._record("config", profile, settings)

    def sso_session(self, name: str, **settings: str) -> None:
        """Merge ``settings`` into ``[sso-session name]`` in the config file."""
        self._merge("config", f"sso-session {_check_name(name)}", settings)

    def write_raw(self, kind: FileKind, text: str | bytes) -> Path:
        """Write ``text`` verbatim (sections written later are appended after it).

        ``str`` is written as UTF-8; give ``bytes`` for content that is not UTF-8 (a ``str``
        that cannot be encoded, such as one with a lone surrogate, is refused and nothing
        is written).
        """
        path = self.path(kind)
        if isinstance(text, str):
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(
                    f"write_raw({kind!r}, ...): the text cannot be written as UTF-8: {exc.reason} "
                    f"{text[exc.start:exc.end]!r} at index {exc.start}; pass bytes to write bytes that are not UTF-8"
                ) from None
        elif isinstance(text, (bytes, bytearray)):
            data = bytes(text)
        else:
            raise TypeError(f"write_raw({kind!r}, ...) needs str or bytes, got {type(text).__name__}")
        self._raw[kind] = data
        self._flush(kind)
        return path

    def remove(self, kind: FileKind) -> None:
        """Delete a file and forget what was written to it."""
        self._raw[kind] = b""
        self._sections[kind] = {}
        self.path(kind).unlink(missing_ok=True)

    # -- internals -----------------------------------------------------------------------
    def _write_credentials(
        self, kind: FileKind, profile: str, temporary: bool, keys: dict[str, str]
    ) -> IssuedCredentials:
        lowered = {k.lower() for k in keys}
        if not ({"aws_access_key_id", "aws_secret_access_key"} & lowered):
            source = f"{'shared-credentials-file' if kind == 'credentials' else 'config-file'}:{profile}"
            issued = self.env.ledger.issue_credentials(source, temporary=temporary)
            keys = {
                "aws_access_key_id": issued.access_key_id,
                "aws_secret_access_key": issued.secret_access_key,
                **({"aws_session_token": issued.session_token} if issued.session_token else {}),
                **keys,
            }
        given = {k.lower(): v for k, v in keys.items()}
        if not given.get("aws_access_key_id") or not given.get("aws_secret_access_key"):
            raise ValueError(
                f"{kind} file profile {profile!r}: give both aws_access_key_id and aws_secret_access_key, "
                f"or neither to have keys issued; write partial profiles with write_raw({kind!r}, ...)"
            )
        section = _check_name(profile) if kind == "credentials" else _config_section(profile)
        self._merge(kind, section, keys)
        recorded = self._record(kind, profile, keys)
        assert recorded is not None
        return recorded

    def _record(self, kind: FileKind, profile: str, keys: dict[str, str]) -> IssuedCredentials | None:
        values = {k.lower(): v for k, v in keys.items()}
        akid, secret = values.get("aws_access_key_id"), values.get("aws_secret_access_key")
        if not akid or not secret:
            return None
        source = f"{'shared-credentials-file' if kind == 'credentials' else 'config-file'}:{profile}"
        return self.env.ledger.record_credentials(source, akid, secret, values.get("aws_session_token"))

    def _merge(self, kind: FileKind, section: str, values: dict[str, str]) -> None:
        for key, value in values.items():
            if not _KEY.match(key):
                raise ValueError(f"{kind} file [{section}]: invalid key name {key!r}")
            if not isinstance(value, str):
                raise TypeError(f"{kind} file [{section}] {key}: value must be str, got {type(value).__name__}")
            if "\n" in value or "\r" in value:
                raise ValueError(f"{kind} file [{section}] {key}: value contains a line break")
        self._sections[kind].setdefault(section, {}).update(values)
        self._flush(kind)

    def _flush(self, kind: FileKind) -> None:
        path = self.path(kind)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        parts = [self._raw[kind]] if self._raw[kind] else []
        for section, values in self._sections[kind].items():
            lines = [f"[{section}]"] + [f"{k} = {v}" for k, v in values.items()]
            parts.append(("\n".join(lines) + "\n").encode("utf-8"))
        write_private(path, b"\n".join(p if p.endswith(b"\n") else p + b"\n" for p in parts))


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"profile name must be a non-empty string, not {name!r}")
    if any(c in name for c in "[]\r\n"):
        raise ValueError(f"profile name {name!r} cannot contain '[', ']' or line breaks")
    return name


def _config_section(profile: str) -> str:
    _check_name(profile)
    return "default" if profile == "default" else f"profile {profile}"
