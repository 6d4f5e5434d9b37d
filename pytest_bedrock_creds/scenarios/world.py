"""Build a scenario's world inside an active :class:`~pytest_bedrock_creds.env.AwsEnv`.

:func:`prepare` puts the variables, the files and the fakes in place and returns the client
settings. Nothing the runner sets masks a setting the scenario makes: the IMDS endpoint
variable is left out when the scenario's config file names an endpoint (``{imds-url}``), and
the region variables when the scenario says anything about the region. What the runner
cannot leave out is refused when the file is loaded (:mod:`.loader`).

The scenario's files are written where its ``AWS_SHARED_CREDENTIALS_FILE`` /
``AWS_CONFIG_FILE`` point, expanded as the reference chain expands them (``$VAR``,
``${VAR}``, a leading ``~``; the loader keeps them inside the temporary home); when the
variable is empty or names a directory, the file goes to its default place
(``~/.aws/credentials``, ``~/.aws/config``), so a client that falls back to the default
location anyway is caught reading it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_bedrock_creds.chain import (
    DEFAULT_CHAIN,
    ContainerCredentialsResolver,
    EnvironmentCredentialsResolver,
    IMDSCredentialsResolver,
    Resolver,
    StaticCredentialsResolver,
)
from pytest_bedrock_creds.chain.locations import expand_path
from pytest_bedrock_creds.chain.model import ServiceSettings
from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.ledger import IssuedCredentials, Ledger
from pytest_bedrock_creds.scenarios.schema import FAKE_URL, PLACEHOLDER, ContainerSpec, Scenario
from pytest_bedrock_creds.servers.bedrock import FakeBedrock
from pytest_bedrock_creds.servers.container import FakeContainerCredentials
from pytest_bedrock_creds.servers.imds import FakeImds
from pytest_bedrock_creds.tempfiles import private_subdir, write_private

__all__ = ["Prepared", "Runtime", "arm_fakes", "prepare"]

@dataclass
class Runtime:
    """The long-lived pieces a run needs: the ledger and the three session fakes."""

    ledger: Ledger
    bedrock: FakeBedrock
    imds: FakeImds
    container: FakeContainerCredentials
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass
class Prepared:
    """The scenario's world, ready: client settings and every secret to redact."""

    scenario: Scenario
    settings: ServiceSettings
    signature_version: str | None
    secrets: set[str]

    @property
    def reference_chain(self) -> tuple[Resolver, ...]:
        """The reference chain for the scenario: the whole chain, or the one resolver it names
        (``settings.resolver``: a specific resolver ignores every other source, bearer token included)."""
        return REFERENCE_RESOLVERS[self.scenario.settings.resolver or "default"]


#: ``settings.resolver`` -> the reference chain it stands for.
REFERENCE_RESOLVERS: dict[str, tuple[Resolver, ...]] = {
    "default": DEFAULT_CHAIN,
    "environment": (EnvironmentCredentialsResolver(),),
    "imds": (IMDSCredentialsResolver(),),
    "static": (StaticCredentialsResolver(),),
    "container": (ContainerCredentialsResolver(),),
}


class _Issuer:
    """Issues one credential per placeholder label, so ``{key:env}`` and ``{secret:env}`` agree.

    The label is the ledger source, ``#tag`` included: two pairs given to one source
    (``config-file:default`` and ``config-file:default#plain``) stay distinguishable.
    """

    def __init__(self, ledger: Ledger, temporary: set[str], urls: dict[str, str]) -> None:
        self.ledger, self.temporary, self.urls = ledger, temporary, urls
        self.creds: dict[str, IssuedCredentials] = {}
        self.tokens: dict[str, str] = {}
        self.secrets: set[str] = set()

    def pair(self, label: str, temporary: bool = False) -> IssuedCredentials:
        if label not in self.creds:
            creds = self.ledger.issue_credentials(label, temporary=temporary or label in self.temporary)
            self.creds[label] = creds
            self.secrets.add(creds.secret_access_key)
            if creds.session_token:
                self.secrets.add(creds.session_token)
        return self.creds[label]

    def token(self, label: str) -> str:
        if label not in self.tokens:
            self.tokens[label] = self.ledger.issue_token(label).token
            self.secrets.add(self.tokens[label])
        return self.tokens[label]

    def substitute(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            kind, label = match.group(1), _label(match)
            if kind == "bearer":
                return self.token(label)
            creds = self.pair(label)
            if kind == "key":
                return creds.access_key_id
            if kind == "secret":
                return creds.secret_access_key
            return creds.session_token or ""

        text = PLACEHOLDER.sub(one, text)
        return FAKE_URL.sub(lambda m: self.urls[m.group(1)], text)


def _label(match: re.Match[str]) -> str:
    return f"{match.group(2)}#{match.group(3)}" if match.group(3) else match.group(2)


def _temporary_labels(scenario: Scenario) -> set[str]:
    return {_label(m) for text in scenario.texts() for m in PLACEHOLDER.finditer(text) if m.group(1) == "session"}


def prepare(scenario: Scenario, env: AwsEnv, runtime: Runtime) -> Prepared:
    """Put the scenario's world in place inside the active ``env``."""
    urls = {"imds-url": runtime.imds.url, "container-url": runtime.container.full_uri}
    issuer = _Issuer(runtime.ledger, _temporary_labels(scenario), urls)
    # The fakes: always reset. The Bedrock endpoint is the fake's HTTPS listener; IMDS points at
    # the fake unless the scenario's config file names the endpoint itself ({imds-url}).
    arm_fakes(scenario, runtime)
    env.attach(runtime.bedrock)
    if "ec2_metadata_service_endpoint" not in scenario.file_keys:
        env.set(AWS_EC2_METADATA_SERVICE_ENDPOINT=runtime.imds.url + "/")
    if scenario.imds is not None:
        env.unset("AWS_EC2_METADATA_DISABLED")
    if scenario.container is not None:
        env.set(**_container_variables(scenario.container, env, runtime))
    if scenario.env_keys:
        creds = issuer.pair("env", temporary=scenario.env_keys == "issued-temporary")
        env.set(AWS_ACCESS_KEY_ID=creds.access_key_id, AWS_SECRET_ACCESS_KEY=creds.secret_access_key)
        if creds.session_token:
            env.set(AWS_SESSION_TOKEN=creds.session_token)
    for name, value in scenario.env.items():
        if value is None:
            env.unset(name)
        else:
            env.set(**{name: issuer.substitute(value)})
    _write_files(scenario, env, issuer)  # after the variables: they say where the files go
    spec_settings = scenario.settings
    kwargs: dict[str, Any] = {}
    for name in ("access_key_id", "secret_access_key", "session_token", "bearer_token", "profile",
                 "auth_scheme_preference", "region"):
        value = getattr(spec_settings, name)
        if value is not None:
            kwargs[name] = issuer.substitute(value)
    if spec_settings.keys:
        creds = issuer.pair("static", temporary=spec_settings.keys == "issued-temporary")
        kwargs.update(access_key_id=creds.access_key_id, secret_access_key=creds.secret_access_key,
                      session_token=creds.session_token)
    if spec_settings.signature_version == "v4" and "auth_scheme_preference" not in kwargs:
        kwargs["auth_scheme_preference"] = "sigv4"  # the reference's reading of signature_version=v4
    # Literal keys and tokens given in YAML are attributed like issued ones (blank ones never are).
    if not spec_settings.keys and _usable(kwargs.get("access_key_id"), kwargs.get("secret_access_key")):
        runtime.ledger.record_credentials("static", kwargs["access_key_id"], kwargs["secret_access_key"],
                                          kwargs.get("session_token"))
    if _usable(kwargs.get("bearer_token")) and "{bearer:" not in (spec_settings.bearer_token or ""):
        runtime.ledger.record_token("bearer:settings", kwargs["bearer_token"])
    return Prepared(scenario, ServiceSettings(**kwargs), spec_settings.signature_version,
                    issuer.secrets | scenario.literal_secrets())


def _usable(*values: str | None) -> bool:
    return all(v is not None and v.strip() for v in values)


def arm_fakes(scenario: Scenario, runtime: Runtime) -> None:
    """Reset the three fakes and give IMDS and the container endpoint the scenario's roles,
    credentials and faults. Called again before each target's run, so a one-time fault
    (``times: 1``) meets each of them fresh."""
    runtime.imds.reset()
    runtime.container.reset()
    runtime.bedrock.reset()
    if scenario.imds is not None:
        runtime.imds.v1_enabled = scenario.imds.v1
        for role, options in scenario.imds.roles.items():
            runtime.imds.add_role(role, expired=options.get("expired", False),
                                  unauthorized=options.get("unauthorized", False))
        for fault in scenario.imds.faults:
            _apply_fault(runtime.imds, fault, default_target="token")
    if scenario.container is not None:
        if scenario.container.credentials != "none":
            runtime.container.issue(expired=scenario.container.credentials == "expired")
        for fault in scenario.container.faults:
            _apply_fault(runtime.container, fault, default_target="credentials")


def _container_variables(spec: ContainerSpec, env: AwsEnv, runtime: Runtime) -> dict[str, str]:
    """``AWS_CONTAINER_CREDENTIALS_FULL_URI`` on the fake (as ``localhost`` if asked) and its token
    as the spec says: inline or in a file, with a trailing line break, missing or wrong."""
    token_file = env.home / "container-token" if spec.token.startswith("file") else None
    variables = runtime.container.env(token_file=token_file)
    if spec.host == "localhost":
        variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = runtime.container.full_uri.replace(
            f"//{runtime.container.host}:", "//localhost:", 1)
    token = runtime.container.auth_token or ""
    if spec.token == "none":
        variables.pop("AWS_CONTAINER_AUTHORIZATION_TOKEN", None)
    elif spec.token == "wrong":
        variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "not-the-token"
    elif spec.token == "inline-newline":
        variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = token + "\n"
    elif spec.token == "file-newline" and token_file is not None:
        write_private(token_file, (token + "\n").encode())
    return variables


def _apply_fault(server: FakeImds | FakeContainerCredentials, fault: dict[str, Any], *, default_target: str) -> None:
    kind, target, times = fault["kind"], fault.get("target", default_target), fault.get("times")
    if kind == "fail":
        server.fail(target, status=fault.get("status", 500), times=times)
    elif kind == "delay":
        server.delay(float(fault.get("seconds", 1.5)), target=target, times=times)
    elif kind == "hang":
        server.hang(target=target, times=times)
    elif kind == "malformed_json":
        server.malformed_json(target=target, times=times)
    else:
        server.reset_connection(target=target, times=times)


def _write_files(scenario: Scenario, env: AwsEnv, issuer: _Issuer) -> None:
    for kind in ("credentials", "config"):
        raw = scenario.files.get(f"{kind}_raw")
        sections = scenario.files.get(kind) or {}
        if raw is None and not sections:
            continue
        parts = [issuer.substitute(raw)] if raw else []
        label = "shared-credentials-file" if kind == "credentials" else "config-file"
        for profile, section in sections.items():
            values: dict[str, str] = {}
            mode = section if isinstance(section, str) else section.get("keys")
            if mode:
                creds = issuer.pair(f"{label}:{profile}", temporary=mode == "issued-temporary")
                values.update(aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key)
                if creds.session_token:
                    values["aws_session_token"] = creds.session_token
            if isinstance(section, dict):
                values.update({k: issuer.substitute(v) for k, v in section.items() if k != "keys"})
            lowered = {k.lower(): v for k, v in values.items()}
            akid, secret = lowered.get("aws_access_key_id"), lowered.get("aws_secret_access_key")
            if not mode and _usable(akid, secret):
                assert akid is not None and secret is not None
                env.ledger.record_credentials(f"{label}:{profile}", akid, secret, lowered.get("aws_session_token"))
            header = profile if kind == "credentials" or profile == "default" else f"profile {profile}"
            parts.append("\n".join([f"[{header}]", *(f"{k} = {v}".rstrip() for k, v in values.items())]) + "\n")
        path = _file_path(kind, env)
        private_subdir(path.parent)
        write_private(path, "\n".join(p if p.endswith("\n") else p + "\n" for p in parts).encode())


def _file_path(kind: str, env: AwsEnv) -> Path:
    """Where the scenario's ``kind`` file goes: where its variable points, expanded like the
    reference expands it; the default place when the variable is empty or names a directory."""
    variable = "AWS_SHARED_CREDENTIALS_FILE" if kind == "credentials" else "AWS_CONFIG_FILE"
    default = env.home / ".aws" / kind
    private_subdir(default.parent)  # so "~/.aws" always names a directory
    raw = os.environ.get(variable)
    if not raw:
        return default
    path = Path(expand_path(raw, os.environ))
    if path.is_dir() or raw.endswith(("/", os.sep)):
        return default
    home = env.home.resolve()
    if home != path.resolve() and home not in path.resolve().parents:  # the loader keeps it in the home
        raise ValueError(f"{variable}={raw!r} leaves the temporary home ({path})")
    return path
