"""Run a prepared scenario on one target and observe what reached the fake.

Every target ends the same way: its request reaches :class:`FakeBedrock`, which attributes the
identity through the ledger and verifies it, and :meth:`Observation.from_request` reads the
verdict; without a request, the target's error is the outcome.

* ``reference``: :func:`pytest_bedrock_creds.chain.resolve`, then a request signed with the
  identity it resolved (:mod:`.wire`), so the reference is attributed like any client.
* ``botocore``: a real boto3 call of the scenario's operation.
* ``aws-sdk-bedrock-runtime``: the experimental client's default chain, the scenario's operation.
* ``anthropic``: ``anthropic.AnthropicBedrock`` ``messages.create`` (InvokeModel; with
  ``stream=True`` InvokeModelWithResponseStream), for the operations that map to it.
* ``litellm``, ``aiobotocore``, ``langchain-aws``: one module each in :mod:`.clients`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import Callable
from typing import Any

from pytest_bedrock_creds.chain.model import Resolution
from pytest_bedrock_creds.probe import BOTO3_CLIENT_ARGS
from pytest_bedrock_creds.scenarios.clients import CLIENT_NEEDS, CLIENT_RUNNERS
from pytest_bedrock_creds.scenarios.clients.base import ONE_ATTEMPT, auth_config, refuse_resolver
from pytest_bedrock_creds.scenarios.clients.base import observe as _observe
from pytest_bedrock_creds.scenarios.names import TARGETS
from pytest_bedrock_creds.scenarios.operations import ANTHROPIC_CALLS, BOTO3_CALLS, MODEL, smithy_call
from pytest_bedrock_creds.scenarios.outcome import Observation, classify_error
from pytest_bedrock_creds.scenarios.quick_exit import freeze_at_exit
from pytest_bedrock_creds.scenarios.reuse import sdk_reuse
from pytest_bedrock_creds.scenarios.wire import send_as_reference
from pytest_bedrock_creds.scenarios.world import Prepared, Runtime, arm_fakes

__all__ = ["run_target", "target_unavailable"]


def target_unavailable(target: str) -> str | None:
    """Why ``target`` cannot run here, or ``None``."""
    needs = {
        "reference": (),
        "botocore": ("boto3",),
        "aws-sdk-bedrock-runtime": ("aws_sdk_bedrock_runtime", "aiohttp"),
        "anthropic": ("anthropic", "httpx2"),
        **CLIENT_NEEDS,
    }[target]
    if target == "aws-sdk-bedrock-runtime" and sys.version_info < (3, 12):
        return "aws-sdk-bedrock-runtime needs Python 3.12+"
    for module in needs:
        if importlib.util.find_spec(module) is None:
            return f"{target}: {module} is not installed"
    return None


def run_target(target: str, prepared: Prepared, runtime: Runtime, reference: Resolution) -> Observation:
    """What ``target`` does in the prepared world; ``reference`` is the chain's resolution, made
    just before (the fakes are re-armed here, so the reference's resolution leaves no trace)."""
    arm_fakes(prepared.scenario, runtime)
    if target == "reference":
        return _reference(reference, runtime)
    freeze_at_exit()  # the clients this imports would cost seconds of garbage collection at exit
    with sdk_reuse(runtime.cache):
        return _RUNNERS[target](prepared, runtime)


def _reference(reference: Resolution, runtime: Runtime) -> Observation:
    if reference.error is not None:
        return Observation.failure(f"{reference.error_kind or classify_error(reference.error)}: {reference.error}")
    assert reference.region is not None, "a resolution without an error has a region"
    problem = send_as_reference(reference, runtime.bedrock, reference.region)
    return _observe(runtime.bedrock, None if problem is None else f"other: the reference could not send: {problem}")


def _botocore(prepared: Prepared, runtime: Runtime) -> Observation:
    import boto3
    import botocore.session
    from botocore.config import Config

    settings = prepared.settings
    if settings.bearer_token is not None:
        return Observation.failure("unsupported-setting: botocore has no bearer token client setting")
    if (refused := refuse_resolver("botocore", prepared)) is not None:
        return refused
    # One attempt and short timeouts in code; the loader refuses scenarios that set retries themselves.
    kwargs: dict[str, Any] = {"endpoint_url": runtime.bedrock.url, "verify": runtime.bedrock.ca_bundle,
                              "config": Config(**ONE_ATTEMPT, **auth_config(prepared)),
                              **settings.as_kwargs(region="region_name", **BOTO3_CLIENT_ARGS)}
    method, params = BOTO3_CALLS[prepared.scenario.operation]
    error: BaseException | None = None
    try:
        core = botocore.session.Session(profile=settings.profile)
        client = boto3.Session(botocore_session=core).client("bedrock-runtime", **kwargs)
        result = getattr(client, method)(**params)
        for _ in (result or {}).get("stream") or ():  # an event stream: read it to the end
            pass
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        error = exc
    return _observe(runtime.bedrock, error)


def _smithy(prepared: Prepared, runtime: Runtime) -> Observation:
    from aws_sdk_bedrock_runtime.client import AsyncBedrockRuntimeClient  # type: ignore[import-not-found, import-untyped, unused-ignore]
    from aws_sdk_bedrock_runtime.config import AsyncBedrockRuntimeConfig  # type: ignore[import-not-found, import-untyped, unused-ignore]

    settings = prepared.settings
    operation = prepared.scenario.operation
    config: dict[str, Any] = {"endpoint_uri": runtime.bedrock.http_url, "max_attempts": 1,
                              **settings.as_kwargs(profile="profile", region="region", **BOTO3_CLIENT_ARGS)}
    resolver = prepared.scenario.settings.resolver

    async def call() -> str | None:
        if resolver not in (None, "default"):  # built inside the loop: the HTTP resolvers open aiohttp sessions
            config["aws_credentials_identity_resolver"] = _smithy_resolver(resolver, prepared, runtime)
        resolved = await AsyncBedrockRuntimeConfig.resolve(**config)
        async with AsyncBedrockRuntimeClient(config=resolved) as client:  # closes its aiohttp session
            request = smithy_call(client, operation)
            if request is None:
                return (f"unsupported-operation: {operation} needs an HTTP/2 duplex transport (awscrt), "
                        "which the runner does not drive")
            await request()
        return None

    error: BaseException | str | None = None
    try:
        error = asyncio.run(asyncio.wait_for(call(), timeout=20))
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        error = exc
    return _observe(runtime.bedrock, error)


def _smithy_resolver(name: str, prepared: Prepared, runtime: Runtime) -> Any:
    """The experimental client's own resolver for ``settings.resolver`` (the seed's classes)."""
    if name == "environment":
        from smithy_aws_core.identity import EnvironmentCredentialsResolver  # type: ignore[import-not-found, import-untyped, unused-ignore]

        return EnvironmentCredentialsResolver()  # type: ignore[no-untyped-call, unused-ignore]
    if name == "static":
        from smithy_aws_core.identity import StaticCredentialsResolver  # type: ignore[import-not-found, import-untyped, unused-ignore]
        from smithy_aws_core.identity.components import AWSCredentialsIdentity  # type: ignore[import-not-found, import-untyped, unused-ignore]

        s = prepared.settings
        identity = None if not (s.access_key_id and s.secret_access_key) else AWSCredentialsIdentity(
            access_key_id=s.access_key_id, secret_access_key=s.secret_access_key, session_token=s.session_token)
        return StaticCredentialsResolver(identity=identity)
    if name == "imds":  # it reads no environment variable: the endpoint is given in code, the fake's
        from aws_credentials_imds import IMDSConfig, IMDSCredentialsResolver  # type: ignore[import-not-found, import-untyped, unused-ignore]
        from smithy_core import URI  # type: ignore[import-not-found, import-untyped, unused-ignore]

        return IMDSCredentialsResolver(config=IMDSConfig(endpoint_uri=URI(
            scheme="http", host=runtime.imds.host, port=runtime.imds.port)))
    if name == "process":  # the command of the selected profile's credential_process, split as a shell would
        from smithy_aws_core.identity.process import ProcessCredentialsResolver  # type: ignore[import-not-found, import-untyped, unused-ignore]

        return ProcessCredentialsResolver(command=_profile_command(prepared))
    from aws_credentials_http import ContainerCredentialsResolver  # type: ignore[import-not-found, import-untyped, unused-ignore]

    assert name == "container", name
    return ContainerCredentialsResolver()


def _profile_command(prepared: Prepared) -> list[str]:
    """The selected profile's ``credential_process`` as an argument list (read with the chain's parser)."""
    import os
    import shlex

    from pytest_bedrock_creds.chain.context import Context

    ctx, _ = Context.build(environ=dict(os.environ), settings=prepared.settings, operation=prepared.scenario.operation)
    command = ctx.config_setting("credential_process")
    return shlex.split(command) if command else []


def _anthropic(prepared: Prepared, runtime: Runtime) -> Observation:
    from anthropic import AnthropicBedrock

    settings = prepared.settings
    operation = prepared.scenario.operation
    if (refused := refuse_resolver("AnthropicBedrock", prepared)) is not None:
        return refused
    if operation not in ANTHROPIC_CALLS:
        return Observation.failure(f"unsupported-operation: AnthropicBedrock has only messages.create "
                                   f"(InvokeModel, InvokeModelWithResponseStream); it has no {operation}")
    http = runtime.cache.get("httpx2")
    if http is None:
        import httpx2

        http = runtime.cache["httpx2"] = httpx2.Client(verify=runtime.bedrock.client_ssl_context())
    kwargs: dict[str, Any] = {
        "base_url": runtime.bedrock.url, "http_client": http, "max_retries": 0,
        **settings.as_kwargs(access_key_id="aws_access_key", secret_access_key="aws_secret_key",
                             session_token="aws_session_token", profile="aws_profile", bearer_token="api_key",
                             region="aws_region"),
    }
    # AwsEnv clears AnthropicBedrock's process-wide boto3 session cache on entry and exit.
    error: BaseException | None = None
    try:
        client = AnthropicBedrock(**kwargs)
        reply = client.messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}],
                                       stream=ANTHROPIC_CALLS[operation])
        for _ in reply if ANTHROPIC_CALLS[operation] else ():
            pass
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        error = exc
    return _observe(runtime.bedrock, error)


_RUNNERS: dict[str, Callable[[Prepared, Runtime], Observation]] = {
    "botocore": _botocore,
    "aws-sdk-bedrock-runtime": _smithy,
    "anthropic": _anthropic,
    **CLIENT_RUNNERS,
}
assert set(_RUNNERS) | {"reference"} == set(TARGETS)
