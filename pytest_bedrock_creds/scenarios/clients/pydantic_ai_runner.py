"""The ``pydantic-ai`` target: an ``Agent`` on ``BedrockConverseModel`` with a ``BedrockProvider``.

``BedrockProvider`` builds its own boto3 session: with an API key (``api_key``, else
``AWS_BEARER_TOKEN_BEDROCK``) a botocore session whose auth token is that key and whose
credentials are ``None``, with ``signature_version="bearer"`` in code; otherwise
``boto3.Session(aws_access_key_id=..., ..., profile_name=...)``. The runner gives it
``base_url`` (the fake); the CA reaches botocore through ``AWS_CA_BUNDLE`` (the provider has no
``verify`` parameter). ``Agent.run_sync`` calls Converse, ``Agent.run_stream`` ConverseStream.

Settings: keys (``aws_access_key_id``, ``aws_secret_access_key``, ``aws_session_token``),
``profile`` (``profile_name``), ``bearer_token`` (``api_key``), ``region`` (``region_name``).
No auth-scheme-preference or signature-version setting: refused.
"""

from __future__ import annotations

from typing import Any

from pytest_bedrock_creds.probe import BOTO3_CLIENT_ARGS
from pytest_bedrock_creds.scenarios.clients.base import observe, precheck, run_async
from pytest_bedrock_creds.scenarios.operations import MODEL
from pytest_bedrock_creds.scenarios.outcome import Observation
from pytest_bedrock_creds.scenarios.world import Prepared, Runtime

__all__ = ["PYDANTIC_AI_SETTINGS", "run_pydantic_ai"]

#: ServiceSettings field -> ``BedrockProvider`` parameter.
PYDANTIC_AI_SETTINGS = {**BOTO3_CLIENT_ARGS, "profile": "profile_name", "bearer_token": "api_key",
                        "region": "region_name"}
_STREAM = {"Converse": False, "ConverseStream": True}


def run_pydantic_ai(prepared: Prepared, runtime: Runtime) -> Observation:
    operation = prepared.scenario.operation
    early = precheck(prepared, "pydantic-ai", PYDANTIC_AI_SETTINGS, _STREAM,
                     "BedrockConverseModel (Converse, ConverseStream)")
    if early is not None:
        return early
    from pydantic_ai import Agent  # type: ignore[import-not-found, import-untyped, unused-ignore]
    from pydantic_ai.models.bedrock import BedrockConverseModel  # type: ignore[import-not-found, import-untyped, unused-ignore]
    from pydantic_ai.providers.bedrock import BedrockProvider  # type: ignore[import-not-found, import-untyped, unused-ignore]

    kwargs: dict[str, Any] = {"base_url": runtime.bedrock.url, **prepared.settings.as_kwargs(**PYDANTIC_AI_SETTINGS)}
    error: BaseException | None = None
    try:
        agent = Agent(BedrockConverseModel(MODEL, provider=BedrockProvider(**kwargs)))
        if _STREAM[operation]:
            async def stream() -> None:
                async with agent.run_stream("hi") as result:
                    async for _ in result.stream_text():
                        pass

            run_async(stream())
        else:
            agent.run_sync("hi")
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        error = exc
    return observe(runtime.bedrock, error)
