"""The ``litellm`` target: ``litellm.completion`` on a ``bedrock/`` model, unmodified.

litellm resolves credentials itself (its ``aws_*`` parameters, then ``AWS_*`` variables, then a
boto3 session for the rest of the chain), signs with botocore's ``SigV4Auth`` and sends the
request over its own httpx client; an API key (``api_key``, else ``AWS_BEARER_TOKEN_BEDROCK``)
becomes ``Authorization: Bearer``. The runner reaches the fake through litellm's documented
seams: ``aws_bedrock_runtime_endpoint`` and an ``HTTPHandler(ssl_verify=<the fake's CA>)`` as
``client``. Routes: ``bedrock/converse/`` (Converse, with ``stream=True`` ConverseStream) and
``bedrock/invoke/`` (InvokeModel, InvokeModelWithResponseStream).

Settings: keys (``aws_access_key_id``, ``aws_secret_access_key``, ``aws_session_token``),
``profile`` (``aws_profile_name``), ``bearer_token`` (``api_key``), ``region`` (``aws_region_name``). litellm has no
auth-scheme-preference or signature-version setting: refused.

litellm fetches its model cost map (and Anthropic beta-header list) from the internet unless
``LITELLM_OFFLINE_MODE`` / ``LITELLM_LOCAL_MODEL_COST_MAP`` are set; ``AwsEnv`` sets them
before litellm can be imported in a scenario.
"""

from __future__ import annotations

from typing import Any

from pytest_bedrock_creds.probe import BOTO3_CLIENT_ARGS
from pytest_bedrock_creds.scenarios.clients.base import CALL_TIMEOUT, observe, precheck
from pytest_bedrock_creds.scenarios.operations import MODEL
from pytest_bedrock_creds.scenarios.outcome import Observation
from pytest_bedrock_creds.scenarios.world import Prepared, Runtime

__all__ = ["LITELLM_CALLS", "LITELLM_SETTINGS", "run_litellm"]

#: The scenario operation -> (litellm route, stream).
LITELLM_CALLS: dict[str, tuple[str, bool]] = {
    "Converse": ("converse", False),
    "ConverseStream": ("converse", True),
    "InvokeModel": ("invoke", False),
    "InvokeModelWithResponseStream": ("invoke", True),
}
#: ServiceSettings field -> ``litellm.completion`` parameter.
LITELLM_SETTINGS = {**BOTO3_CLIENT_ARGS, "profile": "aws_profile_name", "bearer_token": "api_key",
                    "region": "aws_region_name"}


def run_litellm(prepared: Prepared, runtime: Runtime) -> Observation:
    operation = prepared.scenario.operation
    early = precheck(prepared, "litellm", LITELLM_SETTINGS, LITELLM_CALLS,
                     "completion() on bedrock/converse/ and bedrock/invoke/ (Converse, ConverseStream, InvokeModel, "
                     "InvokeModelWithResponseStream) in the runner")
    if early is not None:
        return early
    import litellm  # type: ignore[import-not-found, import-untyped, unused-ignore]
    from litellm.llms.custom_httpx.http_handler import HTTPHandler  # type: ignore[import-not-found, import-untyped, unused-ignore]

    http = runtime.cache.get("litellm-http")
    if http is None:
        http = runtime.cache["litellm-http"] = HTTPHandler(ssl_verify=runtime.bedrock.ca_bundle,
                                                           timeout=CALL_TIMEOUT)
    route, stream = LITELLM_CALLS[operation]
    kwargs: dict[str, Any] = {"aws_bedrock_runtime_endpoint": runtime.bedrock.url, "client": http,
                              "num_retries": 0, "max_retries": 0, "timeout": CALL_TIMEOUT,
                              **prepared.settings.as_kwargs(**LITELLM_SETTINGS)}
    error: BaseException | None = None
    try:
        reply = litellm.completion(model=f"bedrock/{route}/{MODEL}", messages=[{"role": "user", "content": "hi"}],
                                   max_tokens=8, stream=stream, **kwargs)
        for _ in reply if stream else ():  # a stream: read it to the end
            pass
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        error = exc
    return observe(runtime.bedrock, error)
