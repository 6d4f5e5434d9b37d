"""The ``aiobotocore`` target: an ``AioSession`` client's async call of the scenario's operation.

aiobotocore is botocore on asyncio, with its own credential providers (environment, files,
container, IMDS, with async refresh) and its own aiohttp transport. The runner gives it what
the botocore target gives boto3: ``endpoint_url`` and ``verify`` (the fake's CA), one attempt
in code, the keys and the region as ``create_client`` arguments, the profile as ``AioSession(profile=...)``,
``signature_version`` and ``auth_scheme_preference`` as ``AioConfig``. Like botocore, it has no
bearer token setting (the token comes from ``AWS_BEARER_TOKEN_BEDROCK``): refused.
"""

from __future__ import annotations

from pytest_bedrock_creds.probe import BOTO3_CLIENT_ARGS
from pytest_bedrock_creds.scenarios.clients.base import (
    CALL_TIMEOUT,
    ONE_ATTEMPT,
    auth_config,
    observe,
    refuse_settings,
    run_async,
)
from pytest_bedrock_creds.scenarios.operations import BOTO3_CALLS
from pytest_bedrock_creds.scenarios.outcome import Observation
from pytest_bedrock_creds.scenarios.world import Prepared, Runtime

__all__ = ["run_aiobotocore"]


def run_aiobotocore(prepared: Prepared, runtime: Runtime) -> Observation:
    refused = refuse_settings(prepared, "aiobotocore", (*BOTO3_CLIENT_ARGS, "profile", "auth_scheme_preference",
                                                        "signature_version", "region"))
    if refused is not None:
        return refused
    from aiobotocore.config import AioConfig  # type: ignore[import-not-found, import-untyped, unused-ignore]
    from aiobotocore.session import AioSession  # type: ignore[import-not-found, import-untyped, unused-ignore]

    settings = prepared.settings
    config = AioConfig(**ONE_ATTEMPT, **auth_config(prepared))
    method, params = BOTO3_CALLS[prepared.scenario.operation]

    async def call() -> None:
        session = AioSession(profile=settings.profile)
        async with session.create_client("bedrock-runtime", endpoint_url=runtime.bedrock.url,
                                         verify=runtime.bedrock.ca_bundle, config=config,
                                         **settings.as_kwargs(region="region_name", **BOTO3_CLIENT_ARGS)) as client:
            result = await getattr(client, method)(**params)
            stream = (result or {}).get("stream")
            if stream is not None:  # an event stream: read it to the end
                async for _ in stream:
                    pass

    error: BaseException | None = None
    try:
        run_async(call(), timeout=CALL_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        error = exc
    return observe(runtime.bedrock, error)
