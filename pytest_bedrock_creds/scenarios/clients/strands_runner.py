"""The ``strands-agents`` target: ``strands.models.bedrock.BedrockModel.stream``.

``BedrockModel`` makes its client from the ``boto_session`` it is given (else a new
``boto3.Session()``), with the region ``region_name``, else the session's, else
``AWS_REGION``, else ``us-west-2``. An ``api_key`` turns signing off
(``signature_version=UNSIGNED``, merged over ``boto_client_config``) and sets
``Authorization: Bearer <key>`` in a ``before-send`` hook. The runner gives it
``endpoint_url`` (the fake); the CA reaches botocore through ``AWS_CA_BUNDLE``.
``streaming=False`` calls Converse, the default ConverseStream.

Settings: keys and ``profile`` go into the ``boto_session`` (``boto3.Session(...)``, how strands
takes them), ``bearer_token`` is ``api_key``, ``auth_scheme_preference`` and
``signature_version`` go into ``boto_client_config``, ``region`` is ``region_name``; one attempt is set there too.
"""

from __future__ import annotations

from pytest_bedrock_creds.probe import BOTO3_CLIENT_ARGS
from pytest_bedrock_creds.scenarios.clients.base import ONE_ATTEMPT, auth_config, observe, precheck, run_async
from pytest_bedrock_creds.scenarios.operations import MODEL
from pytest_bedrock_creds.scenarios.outcome import Observation
from pytest_bedrock_creds.scenarios.world import Prepared, Runtime

__all__ = ["run_strands"]

_STREAM = {"Converse": False, "ConverseStream": True}


def run_strands(prepared: Prepared, runtime: Runtime) -> Observation:
    operation = prepared.scenario.operation
    early = precheck(prepared, "strands-agents", (*BOTO3_CLIENT_ARGS, "profile", "bearer_token",
                                                  "auth_scheme_preference", "signature_version", "region"),
                     _STREAM, "BedrockModel.stream (Converse, ConverseStream) in the runner")
    if early is not None:
        return early
    import boto3
    from botocore.config import Config
    from strands.models.bedrock import BedrockModel  # type: ignore[import-not-found, import-untyped, unused-ignore]

    settings = prepared.settings
    config = Config(**ONE_ATTEMPT, **auth_config(prepared))
    session_kwargs = settings.as_kwargs(profile="profile_name", **BOTO3_CLIENT_ARGS)

    async def call() -> None:
        model = BedrockModel(model_id=MODEL, max_tokens=8, streaming=_STREAM[operation],
                             endpoint_url=runtime.bedrock.url, boto_client_config=config,
                             boto_session=boto3.Session(**session_kwargs) if session_kwargs else None,
                             api_key=settings.bearer_token, region_name=settings.region)
        async for _ in model.stream([{"role": "user", "content": [{"text": "hi"}]}]):
            pass

    error: BaseException | None = None
    try:
        run_async(call())
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        error = exc
    return observe(runtime.bedrock, error)
