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
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

from pytest_bedrock_creds import process, sso_cache
from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.ledger import IssuedCredentials, IssuedToken
from pytest_bedrock_creds.login_cache import write_login_cache
from pytest_bedrock_creds.tempfiles import write_private
from pytest_bedrock_creds.web_identity import role_name, write_token_file

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
        self._owners: dict[str, str] = {}  # sso-session -> the profile its cached token names

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

    # -- the rest of the chain: profiles that a fake serves ---------------------------------
    def assume_role(
        self,
        profile: str,
        role_arn: str,
        *,
        source_profile: str | None = None,
        credential_source: str | None = None,
        role_session_name: str | None = None,
        duration_seconds: int | None = None,
        external_id: str | None = None,
        mfa_serial: str | None = None,
        **settings: str,
    ) -> None:
        """Write an assume-role profile in the config file: ``role_arn`` with ``source_profile``
        or ``credential_source`` (``Environment``, ``Ec2InstanceMetadata``, ``EcsContainer``).

        Nothing is checked beyond the file format, so invalid combinations (both sources, none,
        a cycle) can be written to see what an SDK does. With ``aws_env.attach(fake_sts)`` the
        SDK's ``AssumeRole`` reaches FakeSts, which issues ``assume-role:<role name>`` credentials.
        """
        role_name(role_arn)  # a clear error for a malformed ARN
        values = {"role_arn": role_arn, "source_profile": source_profile, "credential_source": credential_source,
                  "role_session_name": role_session_name, "external_id": external_id, "mfa_serial": mfa_serial,
                  "duration_seconds": None if duration_seconds is None else str(duration_seconds)}
        self.config(profile, **{k: v for k, v in values.items() if v is not None}, **settings)

    def web_identity_profile(
        self, profile: str, role_arn: str, *, session_name: str | None = None, expired: bool = False, **settings: str
    ) -> IssuedToken:
        """The profile form of web identity: write a token the ledger issued and a profile with
        ``role_arn``, ``web_identity_token_file`` (and ``role_session_name``)."""
        path, token = write_token_file(self.env.ledger, self.env.home / "web-identity", role_arn, expired=expired)
        values = {"role_arn": role_arn, "web_identity_token_file": str(path)}
        if session_name is not None:
            values["role_session_name"] = session_name
        self.config(profile, **values, **settings)
        return token

    def credential_process(
        self,
        profile: str,
        *,
        expired: bool = False,
        exit_code: int = 0,
        output: str | None = None,
        **settings: str,
    ) -> IssuedCredentials | None:
        """Write a ``credential_process`` profile whose command prints credentials the ledger
        issued (``process:<profile>``, Version 1 JSON, expiring in an hour) and return them.

        Faults: ``expired=True`` prints credentials that expired an hour ago; ``exit_code`` makes
        the command fail; ``output`` prints that text instead (malformed JSON, a wrong Version),
        and then no credentials are issued (``None`` is returned).
        """
        issued = None
        if output is None:
            issued = self.env.ledger.issue_credentials(
                f"process:{_check_name(profile)}", temporary=True, expiration=process.expiration(expired)
            )
            output = process.document(issued)
        command = process.write_script(self.env.home / "credential-process", profile, output, exit_code=exit_code)
        self.config(profile, credential_process=command, **settings)
        return issued

    def sso_profile(
        self,
        profile: str,
        *,
        session: str | None = None,
        role_name: str = "BedrockUser",
        account_id: str | None = None,
        start_url: str = "https://bedrock-creds.awsapps.com/start",
        sso_region: str = "us-east-1",
        expired: bool = False,
        cached: bool = True,
        **settings: str,
    ) -> IssuedToken:
        """Write an IAM Identity Center profile: ``[sso-session <session>]`` (``sso_start_url``,
        ``sso_region``), the profile (``sso_session``, ``sso_account_id``, ``sso_role_name``) and
        the token cache file ``~/.aws/sso/cache/<sha1(session)>.json`` holding an access token the
        ledger issued (``sso:<profile>``). With ``aws_env.attach(fake_sso_portal)`` the SDK's
        ``GetRoleCredentials`` gets credentials attributed to ``sso:<profile>``.

        ``session`` defaults to the profile's name; one profile per sso-session (the token names
        the profile). ``expired=True`` caches a token that expired an hour ago; ``cached=False``
        writes no cache file (the "run aws sso login" case). The token is returned either way.
        """
        session = session or profile
        if self._owners.get(_check_name(session), profile) != profile:
            raise ValueError(f"sso-session {session!r} already serves profile {self._owners[session]!r}; "
                             "give each sso_profile its own session")
        now = datetime.now(timezone.utc).replace(microsecond=0)
        lifetime = timedelta(hours=-1) if expired else timedelta(hours=8)
        token = self.env.ledger.issue_token(f"sso:{_check_name(profile)}", expiration=now + lifetime)
        self.sso_session(session, sso_start_url=start_url, sso_region=sso_region)
        self._owners[session] = profile
        self.config(profile, sso_session=session, sso_account_id=account_id or self.env.ledger.account_id,
                    sso_role_name=role_name, **settings)
        if cached:
            sso_cache.write_token(self.env.home, session, token, start_url=start_url, region=sso_region)
        return token

    def login_profile(self, profile: str, *, session: str | None = None, **settings: str) -> IssuedCredentials:
        """Write an ``aws login`` profile (``login_session``) and the login cache
        (``~/.aws/login/cache/<sha256(session)>.json``) holding credentials the ledger issued
        (``login:<profile>``), as botocore's login provider reads them.

        botocore 1.44 refuses a ``login_session`` profile without the ``awscrt`` package
        (``MissingDependencyException``); see the README's "The rest of the chain".
        """
        session = session or f"arn:aws:iam::{self.env.ledger.account_id}:user/{_check_name(profile)}"
        issued = self.env.ledger.issue_credentials(
            f"login:{profile}", temporary=True, expiration=process.expiration(False)
        )
        write_login_cache(self.env.home, session, issued)
        self.config(profile, login_session=session, **settings)
        return issued

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
        _check_name(profile)  # before the ledger sees the name: its error is the clearer one
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
        if not (given.get("aws_access_key_id") or "").strip() or not (given.get("aws_secret_access_key") or "").strip():
            raise ValueError(
                f"{kind} file profile {profile!r}: give both aws_access_key_id and aws_secret_access_key, "
                f"or neither to have keys issued; write partial or blank profiles with write_raw({kind!r}, ...)"
            )
        section = _check_name(profile) if kind == "credentials" else _config_section(profile)
        self._merge(kind, section, keys)
        recorded = self._record(kind, profile, keys)
        assert recorded is not None
        return recorded

    def _record(self, kind: FileKind, profile: str, keys: dict[str, str]) -> IssuedCredentials | None:
        values = {k.lower(): v for k, v in keys.items()}
        akid, secret = values.get("aws_access_key_id"), values.get("aws_secret_access_key")
        if not akid or not secret or not akid.strip() or not secret.strip():
            return None  # blank values are never attributed
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
