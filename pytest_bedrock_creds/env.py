"""``AwsEnv``: a hermetic AWS environment for one test (or one ``with`` block).

On entry every ``AWS_*`` variable, the CA-bundle variables the SDKs read and
``BOTO_CONFIG`` are removed; ``HOME`` points at an empty temporary directory, so
``~/.aws`` is empty; ``AWS_CONFIG_FILE`` and ``AWS_SHARED_CREDENTIALS_FILE`` point inside
it; ``AWS_EC2_METADATA_DISABLED=true`` keeps a miss from waiting on 169.254.169.254; and
boto3's cached default session is dropped. On exit the process environment is restored
exactly (names and values, empty strings included), a working directory inside the
temporary home is left, the temporary home is removed and boto3's default session is put
back, also when the block raises.

Who restores the environment: by default ``AwsEnv`` itself, from the snapshot it took on entry.
The pytest fixture passes the test's ``MonkeyPatch`` as the *patcher*: ``AwsEnv`` then puts one
entry on its undo stack on entry, and undoing that entry restores the snapshot. The sandbox and
whatever the test patches itself are undone together, in reverse order, whichever fixture the
test asked for first; and what was written behind the patcher's back (``os.environ[...] = ...``
by the test or by an SDK, as langchain-aws's ``ChatBedrockNovaSonic`` writes its API key) is
undone with the sandbox, since the snapshot holds every name.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from pytest_bedrock_creds import homes
from pytest_bedrock_creds.environ import EnvironSnapshot, names_set
from pytest_bedrock_creds.ledger import IssuedCredentials, IssuedToken, Ledger
from pytest_bedrock_creds.offline import OFFLINE_SWITCHES
from pytest_bedrock_creds.redact import redact
from pytest_bedrock_creds.sso_cache import redirect_botocore
from pytest_bedrock_creds.web_identity import write_token_file

__all__ = ["ISOLATED_VARIABLES", "OFFLINE_SWITCHES", "AwsEnv", "EnvPatcher", "EnvSeam"]

#: Variables removed on entry besides every ``AWS_*`` one.
ISOLATED_VARIABLES = (
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
    "BOTO_CONFIG",
    "HOMEDRIVE",
    "HOMEPATH",
    # a proxy would carry the SDKs' requests to the loopback fakes off the machine
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)

_ISOLATED = frozenset(ISOLATED_VARIABLES)

_SECRET_VARIABLES = frozenset(
    {
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    }
)


class EnvSeam(Protocol):
    """Anything that tells an SDK where it is through environment variables (the fakes)."""

    def env(self) -> Mapping[str, str]: ...


class EnvPatcher(Protocol):
    """What restores ``AwsEnv``'s changes when its undo runs; ``pytest.MonkeyPatch`` is one.
    ``AwsEnv`` puts one entry on its undo stack with ``setitem(mapping, key, value)``: the undo
    writes the old value (``mapping.get(key)``) back, which restores the whole environment."""

    def setitem(self, dic: Any, name: Any, value: Any) -> None: ...


class AwsEnv:
    """Hermetic AWS process environment.

    >>> with AwsEnv() as env:
    ...     creds = env.static_keys()
    ...     os.environ["AWS_ACCESS_KEY_ID"] == creds.access_key_id
    True
    """

    def __init__(
        self, *, ledger: Ledger | None = None, region: str | None = "us-east-1", patcher: EnvPatcher | None = None
    ) -> None:
        """``patcher`` (e.g. ``pytest.MonkeyPatch``) then owns restoring the variables, when its undo
        runs; by default ``AwsEnv`` restores its own snapshot on exit."""
        self.ledger = ledger if ledger is not None else Ledger()
        self.region = region
        if patcher is not None and not callable(getattr(patcher, "setitem", None)):
            raise TypeError(f"AwsEnv(patcher=...) needs an object with MonkeyPatch's setitem(); got {patcher!r}")
        self._patcher = patcher
        self._saved: EnvironSnapshot | None = None
        self._saved_boto3_session: Any = None
        self._saved_cwd: str | None = None
        self._home: Path | None = None
        self._scope: int | None = None
        self._restore_sso_cache: Callable[[], None] | None = None

    # -- lifecycle -------------------------------------------------------------------
    def __enter__(self) -> AwsEnv:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        if self._saved is not None:
            raise RuntimeError("this AwsEnv is already active; create another one to nest")
        self._saved = EnvironSnapshot()
        if self._patcher is not None:  # its undo restores the snapshot, at this place in its stack
            self._patcher.setitem(_RestoreOnUndo(self._saved), "os.environ", "sandboxed")
        self._saved_cwd = _getcwd()
        self._scope = self.ledger.open_scope()  # what this env issues is attributed only inside it
        try:
            self._home = homes.take()
            for name in names_set("AWS_", _ISOLATED):
                del os.environ[name]
            home = os.fspath(self._home)
            aws_dir = os.path.join(home, ".aws")  # homes.take() made it 0700, as the AWS CLI makes it
            os.environ.update(
                HOME=home,
                USERPROFILE=home,
                AWS_CONFIG_FILE=os.path.join(aws_dir, "config"),
                AWS_SHARED_CREDENTIALS_FILE=os.path.join(aws_dir, "credentials"),
                AWS_EC2_METADATA_DISABLED="true",
            )
            if self.region:
                os.environ.update(AWS_REGION=self.region, AWS_DEFAULT_REGION=self.region)
            for name, value in OFFLINE_SWITCHES.items():
                if os.environ.get(name) != value:  # the plugin sets them for the session: mostly set already
                    os.environ[name] = value
            self._saved_boto3_session = _swap_boto3_default_session(None)
            _clear_sdk_session_caches()
            self._restore_sso_cache = redirect_botocore(home)  # see sso_cache: botocore fixes it at import
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._saved is None:
            return
        saved, self._saved = self._saved, None
        if self._patcher is None:
            saved.restore()
        if self._restore_sso_cache is not None:
            self._restore_sso_cache()
            self._restore_sso_cache = None
        _swap_boto3_default_session(self._saved_boto3_session)
        self._saved_boto3_session = None
        _clear_sdk_session_caches()
        if self._scope is not None:
            self.ledger.close_scope(self._scope)
            self._scope = None
        if self._home is not None:
            _leave(self._home, self._saved_cwd)
            homes.give_back(self._home)
            self._home = None

    @property
    def active(self) -> bool:
        return self._saved is not None

    def _require_active(self) -> None:
        if self._saved is None:
            raise RuntimeError("AwsEnv is not active; use it as a context manager or call start()")

    # -- paths -----------------------------------------------------------------------
    @property
    def home(self) -> Path:
        self._require_active()
        assert self._home is not None
        return self._home

    @property
    def credentials_path(self) -> Path:
        """Where ``AWS_SHARED_CREDENTIALS_FILE`` points now."""
        self._require_active()
        return Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE", str(self.home / ".aws" / "credentials")))

    @property
    def config_path(self) -> Path:
        """Where ``AWS_CONFIG_FILE`` points now."""
        self._require_active()
        return Path(os.environ.get("AWS_CONFIG_FILE", str(self.home / ".aws" / "config")))

    # -- changing variables ------------------------------------------------------------
    def set(self, **variables: str) -> None:
        """Set environment variables; every value must be a string (``""`` is a value)."""
        self._require_active()
        for name, value in variables.items():
            if not isinstance(value, str):
                raise TypeError(
                    f"aws_env.set({name}=...) needs a str, got {type(value).__name__}; "
                    "environment values are strings (use 'true', '1', '')"
                )
            if "\0" in value:
                raise ValueError(f"aws_env.set({name}=...): value contains a NUL byte")
        os.environ.update(variables)

    def unset(self, *names: str) -> None:
        """Remove variables; a name that is not set is ignored."""
        self._require_active()
        for name in names:
            os.environ.pop(name, None)

    def static_keys(self, session_token: bool = False) -> IssuedCredentials:
        """Issue keys from the ledger (source ``env``) and export them.

        Sets ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY``, plus ``AWS_SESSION_TOKEN``
        (with an ``ASIA`` key) when ``session_token`` is true.
        """
        self._require_active()
        creds = self.ledger.issue_credentials("env", temporary=session_token)
        self.set(AWS_ACCESS_KEY_ID=creds.access_key_id, AWS_SECRET_ACCESS_KEY=creds.secret_access_key)
        if creds.session_token:
            self.set(AWS_SESSION_TOKEN=creds.session_token)
        else:
            self.unset("AWS_SESSION_TOKEN")
        return creds

    def bearer_token(self, token: str | None = None) -> str:
        """Set ``AWS_BEARER_TOKEN_BEDROCK`` (issuing a fake ``ABSK…`` key when none is given).

        A token you give is recorded as ``bearer:env``, except a blank one (``""``, spaces):
        it is set, but never attributed, so a request carrying it reads as ``bearer:<blank>``.
        """
        self._require_active()
        if token is None:
            token = self.ledger.issue_token("bearer:env").token
        elif token.strip():
            self.ledger.record_token("bearer:env", token)
        self.set(AWS_BEARER_TOKEN_BEDROCK=token)
        return token

    def web_identity(self, role_arn: str, *, session_name: str | None = None, expired: bool = False) -> IssuedToken:
        """The EKS IRSA form: write a web identity token the ledger issued (for ``role_arn``'s
        role) into the temporary home and set ``AWS_WEB_IDENTITY_TOKEN_FILE``, ``AWS_ROLE_ARN``
        and, when given, ``AWS_ROLE_SESSION_NAME``. With ``aws_env.attach(fake_sts)`` the SDK
        trades it for credentials attributed to ``web-identity:<role>``.

        ``expired=True`` writes a token whose ``exp`` has passed (STS: ``ExpiredTokenException``).
        """
        self._require_active()
        path, token = write_token_file(self.ledger, self.home / "web-identity", role_arn, expired=expired)
        self.set(AWS_WEB_IDENTITY_TOKEN_FILE=str(path), AWS_ROLE_ARN=role_arn)
        if session_name is not None:
            self.set(AWS_ROLE_SESSION_NAME=session_name)
        else:
            self.unset("AWS_ROLE_SESSION_NAME")
        return token

    def profile(self, name: str) -> None:
        """Select a profile with ``AWS_PROFILE``."""
        if not name or not name.strip():
            raise ValueError("aws_env.profile() needs a non-empty profile name")
        self.set(AWS_PROFILE=name)

    def attach(self, *fakes: EnvSeam) -> None:
        """Point the SDK seams at fakes, e.g. ``aws_env.attach(fake_imds, fake_bedrock)``.

        A fake IMDS endpoint clears ``AWS_EC2_METADATA_DISABLED``.
        """
        self._require_active()
        for fake in fakes:
            variables = dict(fake.env())
            if "AWS_EC2_METADATA_SERVICE_ENDPOINT" in variables:
                self.unset("AWS_EC2_METADATA_DISABLED")
            self.set(**variables)

    # -- display ---------------------------------------------------------------------
    def snapshot(self) -> dict[str, str]:
        """The ``AWS_*`` variables now set, secrets redacted (for messages and reports)."""
        return {
            name: (redact(value) if name in _SECRET_VARIABLES else value)
            for name, value in sorted(os.environ.items())
            if name.startswith("AWS_")
        }

    def __repr__(self) -> str:
        if not self.active:
            return "AwsEnv(inactive)"
        return f"AwsEnv(home={str(self._home)!r}, aws={self.snapshot()!r})"


def _getcwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # the working directory was already deleted
        return None


def _leave(home: Path, saved_cwd: str | None) -> None:
    """Step out of ``home`` before it is deleted, else the next test starts in a deleted directory."""
    real = homes.real_path(home)
    cwd = _getcwd()
    if cwd is not None and not homes.inside(cwd, real):
        return  # the usual case (getcwd() names the real directory, links resolved): outside the home
    for target in (saved_cwd, os.path.dirname(real)):
        if target is not None and not homes.inside(os.path.realpath(target), real):
            try:
                os.chdir(target)
                return
            except OSError:
                continue


class _RestoreOnUndo:
    """One entry on a ``MonkeyPatch``'s undo stack: ``setitem(entry, "os.environ", "sandboxed")``
    records the old value ``"as before"``, and when the undo writes that back, the environment is
    restored to ``saved`` (every name and value)."""

    def __init__(self, saved: EnvironSnapshot) -> None:
        self._saved = saved

    def get(self, key: str, default: object = None) -> str:
        return "as before"

    def __setitem__(self, key: str, value: str) -> None:
        if value == "as before":
            self._saved.restore()


def _swap_boto3_default_session(new: Any) -> Any:
    """Replace ``boto3.DEFAULT_SESSION`` if boto3 is imported; return the old one."""
    boto3 = sys.modules.get("boto3")
    if boto3 is None:
        return None
    old = getattr(boto3, "DEFAULT_SESSION", None)
    setattr(boto3, "DEFAULT_SESSION", new)  # noqa: B010 - boto3 may be untyped here
    return old


#: SDK modules that cache boto3 sessions (and so credentials) for the whole process:
#: anthropic's ``AnthropicBedrock`` keeps an ``lru_cache`` of sessions keyed by its arguments,
#: so a test would sign with the keys an earlier test's environment had.
_SESSION_CACHES = (("anthropic.lib.aws._auth", "_get_session"), ("anthropic.lib.bedrock._auth", "_get_session"))


def _clear_sdk_session_caches() -> None:
    for module_name, function_name in _SESSION_CACHES:
        module = sys.modules.get(module_name)
        cache_clear = getattr(getattr(module, function_name, None), "cache_clear", None)
        if callable(cache_clear):
            cache_clear()
    _flush_client_caches()


#: Process-wide caches of clients that hold what an earlier environment gave them, flushed on
#: entry and exit (module, dotted attribute, method): litellm's Bedrock credential cache keeps
#: the credentials a boto3 session found for up to 10 minutes, keyed by the ``aws_*`` arguments
#: (none, for credentials from the chain), so a later test would sign with an earlier test's
#: keys; its httpx client cache keeps clients built with an earlier ``SSL_CERT_FILE``/``SSL_VERIFY``.
_CLIENT_CACHES = (
    ("litellm.llms.bedrock.base_aws_llm", "BaseAWSLLM._shared_iam_cache", "flush_cache"),
    ("litellm", "in_memory_llm_clients_cache", "flush_cache"),
)


def _flush_client_caches() -> None:
    for module_name, attribute, method in _CLIENT_CACHES:
        target: Any = sys.modules.get(module_name)
        for part in attribute.split("."):
            target = getattr(target, part, None)
        flush = getattr(target, method, None)
        if callable(flush):
            flush()
