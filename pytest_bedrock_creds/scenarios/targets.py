"""Run a scenario: build its hermetic world, then ask a target which credentials it uses.

:func:`prepare` turns a :class:`Scenario` into process state inside an active :class:`AwsEnv`
(variables, files, the fake IMDS and container endpoint) and returns the client settings.
Each target then runs in that state and returns an :class:`Observation`:

* ``reference``: :func:`pytest_bedrock_creds.chain.resolve`.
* ``botocore``: a real boto3 call of the scenario's operation against :class:`FakeBedrock`;
  the outcome is the ``AuthRecord`` the fake recorded (scheme, ledger source, signature).
* ``aws-sdk-bedrock-runtime``: the experimental client's default chain against the fake's HTTP URL.
* ``anthropic``: ``anthropic.AnthropicBedrock`` ``messages.create`` (an ``InvokeModel``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_bedrock_creds.chain.bearer import bearer_supported
from pytest_bedrock_creds.chain.model import Resolution, ServiceSettings
from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.ledger import IssuedCredentials, Ledger
from pytest_bedrock_creds.probe import BOTO3_CLIENT_ARGS
from pytest_bedrock_creds.scenarios.schema import PLACEHOLDER, TARGETS, Expectation, Scenario
from pytest_bedrock_creds.servers.bedrock import FakeBedrock
from pytest_bedrock_creds.servers.container import FakeContainerCredentials
from pytest_bedrock_creds.servers.imds import FakeImds

__all__ = [
    "OPERATIONS",
    "Observation",
    "Prepared",
    "Runtime",
    "arm_fakes",
    "classify_error",
    "matches",
    "prepare",
    "run_target",
    "target_unavailable",
]

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"

#: boto3 method and minimal input per operation.
OPERATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "Converse": ("converse", {"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "hi"}]}]}),
    "ConverseStream": ("converse_stream",
                       {"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "hi"}]}]}),
    "InvokeModel": ("invoke_model", {"modelId": MODEL, "body": b"{}"}),
    "CountTokens": ("count_tokens", {"modelId": MODEL, "input": {"converse": {"messages": [
        {"role": "user", "content": [{"text": "hi"}]}]}}}),
    "ListAsyncInvokes": ("list_async_invokes", {}),
    "InvokeModelWithBidirectionalStream": ("invoke_model_with_bidirectional_stream", {"modelId": MODEL}),
}

_ERROR_PATTERNS: tuple[tuple[str, str], ...] = (
    ("unsupported-operation", r"^unsupported-operation:|AttributeError: .* has no attribute"),
    ("unsupported-setting", r"^unsupported-setting:"),
    ("expired-credentials", r"expired"),
    ("partial-credentials", r"partial ?credential|without secret_access_key|without access_key_id|"
                            r"but no aws_secret_access_key|AWS_SECRET_ACCESS_KEY missing"),
    ("profile-not-found", r"ProfileNotFound|profile .* (could not be found|is not in)|profile .*not found"),
    ("container-error", r"container credentials|container metadata|CredentialRetrievalError"),
    ("config-file-error", r"ConfigParseError|Unable to parse config|, line \d+:"),
    ("invalid-config", r"InvalidConfig|IMDSConfigurationError|InvalidIMDSEndpointMode|not a valid IMDS endpoint mode"),
    ("imds-error", r"MetadataRetrievalError"),
    ("no-credentials", r"no credentials|NoCredentialsError|Unable to locate credentials|IdentityChainError|"
                       r"No credential providers|Could not resolve AWS credentials"),
)


def classify_error(message: str) -> str:
    for kind, pattern in _ERROR_PATTERNS:
        if re.search(pattern, message, flags=re.IGNORECASE):
            return kind
    return "other"


@dataclass(frozen=True)
class Observation:
    """What a target did: a scheme and attributed source, or an error (``"<kind>: <message>"``)."""

    scheme: str | None = None
    source: str | None = None
    access_key_id: str | None = None
    signature_valid: bool | None = None
    error: str | None = None

    def describe(self, *, key: bool = True) -> str:
        """The outcome in words; ``key=False`` leaves out the (per-run random) access key id."""
        if self.error is not None:
            return f"error: {self.error}"
        text = f"{self.scheme} from {self.source}"
        if self.access_key_id and key:
            text += f" (key {self.access_key_id})"
        if self.signature_valid is False:
            text += ", signature INVALID"
        return text

    @classmethod
    def failure(cls, message: str) -> Observation:
        message = " ".join(message.split())[:400]
        kind = classify_error(message)
        prefix = f"{kind}: "
        return cls(error=message if message.startswith(prefix) else prefix + message)


def matches(observed: Observation, expected: Expectation) -> bool:
    if expected.error is not None:
        return observed.error is not None and expected.error.lower() in observed.error.lower()
    return (
        observed.error is None
        and observed.scheme == expected.scheme
        and observed.source == expected.source
        and (observed.signature_valid is False) == (expected.signature_valid is False)
    )


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


class _Issuer:
    """Issues one credential per placeholder label, so ``{key:env}`` and ``{secret:env}`` agree."""

    def __init__(self, ledger: Ledger, temporary: set[str]) -> None:
        self.ledger, self.temporary = ledger, temporary
        self.creds: dict[str, IssuedCredentials] = {}
        self.tokens: dict[str, str] = {}
        self.secrets: set[str] = set()

    def pair(self, label: str, source: str, temporary: bool = False) -> IssuedCredentials:
        if label not in self.creds:
            creds = self.ledger.issue_credentials(source, temporary=temporary or label in self.temporary)
            self.creds[label] = creds
            self.secrets.add(creds.secret_access_key)
            if creds.session_token:
                self.secrets.add(creds.session_token)
        return self.creds[label]

    def token(self, label: str, source: str) -> str:
        if label not in self.tokens:
            self.tokens[label] = self.ledger.issue_token(source).token
            self.secrets.add(self.tokens[label])
        return self.tokens[label]

    def substitute(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            kind, source, suffix = match.group(1), match.group(2), match.group(3)
            label = f"{source}#{suffix}" if suffix else source
            if kind == "bearer":
                return self.token(label, source)
            creds = self.pair(label, source)
            if kind == "key":
                return creds.access_key_id
            if kind == "secret":
                return creds.secret_access_key
            return creds.session_token or ""

        return PLACEHOLDER.sub(one, text)


def _temporary_labels(scenario: Scenario) -> set[str]:
    texts: list[str] = [v for v in scenario.env.values() if v]
    texts += [v for v in (scenario.settings.session_token, scenario.files.get("credentials_raw"),
                          scenario.files.get("config_raw")) if v]
    for kind in ("credentials", "config"):
        for section in (scenario.files.get(kind) or {}).values():
            if isinstance(section, dict):
                texts += list(section.values())
    labels = set()
    for text in texts:
        for match in PLACEHOLDER.finditer(text):
            if match.group(1) == "session":
                labels.add(f"{match.group(2)}#{match.group(3)}" if match.group(3) else match.group(2))
    return labels


def prepare(scenario: Scenario, env: AwsEnv, runtime: Runtime) -> Prepared:
    """Put the scenario's world in place inside the active ``env``."""
    issuer = _Issuer(runtime.ledger, _temporary_labels(scenario))
    # The fakes: always reset; the IMDS endpoint always points at the fake (hermetic even when
    # a scenario turns IMDS on), and the Bedrock endpoint is the fake's HTTPS listener.
    arm_fakes(scenario, runtime)
    env.attach(runtime.bedrock)
    env.set(AWS_EC2_METADATA_SERVICE_ENDPOINT=runtime.imds.url + "/")
    if scenario.imds is not None:
        env.unset("AWS_EC2_METADATA_DISABLED")
    if scenario.container is not None:
        spec = scenario.container
        if spec.token == "file":
            variables = runtime.container.env(token_file=env.home / "container-token")
        else:
            variables = runtime.container.env()
            if spec.token == "none":
                variables.pop("AWS_CONTAINER_AUTHORIZATION_TOKEN", None)
            elif spec.token == "wrong":
                variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "not-the-token"
        env.set(**variables)
    _write_files(scenario, env, issuer)
    if scenario.env_keys:
        creds = issuer.pair("env", "env", temporary=scenario.env_keys == "issued-temporary")
        env.set(AWS_ACCESS_KEY_ID=creds.access_key_id, AWS_SECRET_ACCESS_KEY=creds.secret_access_key)
        if creds.session_token:
            env.set(AWS_SESSION_TOKEN=creds.session_token)
    for name, value in scenario.env.items():
        if value is None:
            env.unset(name)
        else:
            env.set(**{name: issuer.substitute(value)})
    spec_settings = scenario.settings
    kwargs: dict[str, Any] = {}
    for name in ("access_key_id", "secret_access_key", "session_token", "bearer_token", "profile",
                 "auth_scheme_preference"):
        value = getattr(spec_settings, name)
        if value is not None:
            kwargs[name] = issuer.substitute(value)
    if spec_settings.keys:
        creds = issuer.pair("static", "static", temporary=spec_settings.keys == "issued-temporary")
        kwargs.update(access_key_id=creds.access_key_id, secret_access_key=creds.secret_access_key,
                      session_token=creds.session_token)
    if spec_settings.signature_version == "v4" and "auth_scheme_preference" not in kwargs:
        kwargs["auth_scheme_preference"] = "sigv4"  # the reference's reading of signature_version=v4
    # Literal keys given in YAML are attributed like issued ones.
    if kwargs.get("access_key_id") and kwargs.get("secret_access_key") and not spec_settings.keys:
        runtime.ledger.record_credentials("static", kwargs["access_key_id"], kwargs["secret_access_key"],
                                          kwargs.get("session_token"))
    if kwargs.get("bearer_token") and "{bearer:" not in (spec_settings.bearer_token or ""):
        runtime.ledger.record_token("bearer:settings", kwargs["bearer_token"])
    return Prepared(scenario, ServiceSettings(**kwargs), spec_settings.signature_version,
                    issuer.secrets | scenario.literal_secrets())


def arm_fakes(scenario: Scenario, runtime: Runtime) -> None:
    """Reset the three fakes and give IMDS and the container endpoint the scenario's roles,
    credentials and faults. Called again between the reference run and a client's run, so a
    one-time fault (``times: 1``) meets each of them fresh."""
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
                creds = issuer.pair(f"{label}:{profile}", f"{label}:{profile}", temporary=mode == "issued-temporary")
                values.update(aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key)
                if creds.session_token:
                    values["aws_session_token"] = creds.session_token
            if isinstance(section, dict):
                values.update({k: issuer.substitute(v) for k, v in section.items() if k != "keys"})
            lowered = {k.lower(): v for k, v in values.items()}
            akid, secret = lowered.get("aws_access_key_id"), lowered.get("aws_secret_access_key")
            if not mode and akid and akid.strip() and secret and secret.strip():
                env.ledger.record_credentials(f"{label}:{profile}", akid, secret, lowered.get("aws_session_token"))
            header = profile if kind == "credentials" or profile == "default" else f"profile {profile}"
            parts.append("\n".join([f"[{header}]", *(f"{k} = {v}".rstrip() for k, v in values.items())]) + "\n")
        path = env.credentials_path if kind == "credentials" else env.config_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(p if p.endswith("\n") else p + "\n" for p in parts), encoding="utf-8")


# -- targets --------------------------------------------------------------------------------------------


def target_unavailable(target: str) -> str | None:
    """Why ``target`` cannot run here, or ``None``."""
    needs = {
        "reference": (),
        "botocore": ("boto3",),
        "aws-sdk-bedrock-runtime": ("aws_sdk_bedrock_runtime", "aiohttp"),
        "anthropic": ("anthropic", "httpx2"),
    }[target]
    if target == "aws-sdk-bedrock-runtime" and sys.version_info < (3, 12):
        return "aws-sdk-bedrock-runtime needs Python 3.12+"
    for module in needs:
        if importlib.util.find_spec(module) is None:
            return f"{target}: {module} is not installed"
    return None


def run_target(target: str, prepared: Prepared, runtime: Runtime, reference: Resolution) -> Observation:
    """What ``target`` does in the prepared world; ``reference`` is the chain's resolution, made
    just before (the fakes are re-armed here, so the reference run leaves no trace for a client)."""
    if target == "reference":
        return Observation(reference.scheme, reference.source, reference.access_key_id, None,
                           None if reference.error is None else f"{classify_error(reference.error)}: {reference.error}")
    runner: Callable[[Prepared, Runtime], Observation] = _RUNNERS[target]
    arm_fakes(prepared.scenario, runtime)
    return runner(prepared, runtime)


def _from_fake(fake: FakeBedrock, error: BaseException | None) -> Observation:
    """The outcome is what reached the fake; without a request, the client's error."""
    requests = fake.requests
    if not requests:
        if error is None:
            return Observation.failure("the client returned without sending a request")
        return Observation.failure(f"{type(error).__name__}: {error}")
    auth = requests[-1].auth
    if auth.scheme == "bearer":
        token = auth.token or ""
        source = auth.source or ("bearer:<empty>" if not token.strip() else "<unknown token>")
        return Observation("bearer", source)
    if auth.scheme == "sigv4":
        source = auth.source or f"<unknown key {auth.access_key_id!r}>"
        return Observation("sigv4", source, auth.access_key_id, auth.signature_valid)
    return Observation.failure(f"request without usable auth (scheme {auth.scheme})")


def _botocore(prepared: Prepared, runtime: Runtime) -> Observation:
    import boto3
    import botocore.session
    from botocore.config import Config

    loader = runtime.cache.get("loader")
    if loader is None:
        loader = runtime.cache["loader"] = botocore.session.Session().get_component("data_loader")
    settings = prepared.settings
    config: dict[str, Any] = {"retries": {"total_max_attempts": 1}, "connect_timeout": 5, "read_timeout": 10}
    if prepared.signature_version:
        config["signature_version"] = prepared.signature_version
    if prepared.scenario.settings.auth_scheme_preference is not None:
        config["auth_scheme_preference"] = settings.auth_scheme_preference
    kwargs: dict[str, Any] = {"endpoint_url": runtime.bedrock.url, "verify": runtime.bedrock.ca_bundle,
                              "config": Config(**config), **settings.as_kwargs(**BOTO3_CLIENT_ARGS)}
    if settings.bearer_token is not None:
        return Observation.failure("unsupported-setting: botocore has no bearer token client setting")
    method, params = OPERATIONS.get(prepared.scenario.operation, (_snake(prepared.scenario.operation), {}))
    error: BaseException | None = None
    try:
        core = botocore.session.Session(profile=settings.profile)
        core.register_component("data_loader", loader)
        client = boto3.Session(botocore_session=core).client("bedrock-runtime", **kwargs)
        getattr(client, method)(**params)
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        error = exc
    return _from_fake(runtime.bedrock, error)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.rpartition(":")[2]).lower()


def _smithy(prepared: Prepared, runtime: Runtime) -> Observation:
    from aws_sdk_bedrock_runtime.client import AsyncBedrockRuntimeClient  # type: ignore[import-not-found, unused-ignore]
    from aws_sdk_bedrock_runtime.config import AsyncBedrockRuntimeConfig  # type: ignore[import-not-found, unused-ignore]
    from aws_sdk_bedrock_runtime.models import ContentBlockText, ConverseInput, Message  # type: ignore[import-not-found, unused-ignore]

    settings = prepared.settings
    operation = prepared.scenario.operation
    if not bearer_supported(operation):
        return Observation.failure(f"unsupported-operation: the scenario runner calls Converse, not {operation}")
    config: dict[str, Any] = {"endpoint_uri": runtime.bedrock.http_url, "max_attempts": 1,
                              **settings.as_kwargs(profile="profile", **BOTO3_CLIENT_ARGS)}

    async def call() -> None:
        resolved = await AsyncBedrockRuntimeConfig.resolve(**config)
        async with AsyncBedrockRuntimeClient(config=resolved) as client:  # closes its aiohttp session
            await client.converse(ConverseInput(model_id=MODEL, messages=[
                Message(role="user", content=[ContentBlockText(value="hi")])]))

    error: BaseException | None = None
    try:
        asyncio.run(asyncio.wait_for(call(), timeout=20))
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        error = exc
    return _from_fake(runtime.bedrock, error)


def _anthropic(prepared: Prepared, runtime: Runtime) -> Observation:
    from anthropic import AnthropicBedrock

    settings = prepared.settings
    if not bearer_supported(prepared.scenario.operation):
        return Observation.failure("unsupported-operation: AnthropicBedrock calls InvokeModel (messages.create); "
                                   f"it has no {prepared.scenario.operation}")
    http = runtime.cache.get("httpx2")
    if http is None:
        import httpx2

        http = runtime.cache["httpx2"] = httpx2.Client(verify=runtime.bedrock.client_ssl_context())
    kwargs: dict[str, Any] = {
        "base_url": runtime.bedrock.url, "http_client": http, "max_retries": 0,
        **settings.as_kwargs(access_key_id="aws_access_key", secret_access_key="aws_secret_key",
                             session_token="aws_session_token", profile="aws_profile", bearer_token="api_key"),
    }
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        kwargs["aws_region"] = runtime.bedrock.region
    # AwsEnv clears AnthropicBedrock's process-wide boto3 session cache on entry and exit.
    error: BaseException | None = None
    try:
        client = AnthropicBedrock(**kwargs)
        client.messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        error = exc
    return _from_fake(runtime.bedrock, error)


_RUNNERS: dict[str, Callable[[Prepared, Runtime], Observation]] = {
    "botocore": _botocore,
    "aws-sdk-bedrock-runtime": _smithy,
    "anthropic": _anthropic,
}
assert set(_RUNNERS) | {"reference"} == set(TARGETS)
