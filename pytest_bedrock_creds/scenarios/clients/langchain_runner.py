"""The ``langchain-aws`` target: ``ChatBedrockConverse`` (Converse, ConverseStream) and
``ChatBedrock`` (InvokeModel, InvokeModelWithResponseStream), unmodified.

Both build their boto3 client in ``langchain_aws.utils.create_aws_client``: with an API key
(``api_key``, default ``AWS_BEARER_TOKEN_BEDROCK``) a fresh botocore session with a static token
provider and ``auth_scheme_preference="httpBearerAuth"`` merged over the given ``config``;
otherwise ``boto3.Session(profile_name=...)`` for a profile, ``boto3.Session(keys)`` when
``aws_access_key_id``/``aws_secret_access_key`` (default: the ``AWS_*`` variables) are set,
else ``boto3.client(...)`` (boto3's default session). The runner passes ``endpoint_url``; the
fake's CA reaches botocore through ``AWS_CA_BUNDLE`` (langchain-aws has no ``verify`` field).

Settings: keys (``aws_access_key_id``, ``aws_secret_access_key``, ``aws_session_token``),
``profile`` (``credentials_profile_name``), ``bearer_token`` (``api_key``), ``region`` (``region_name``),
``auth_scheme_preference`` and ``signature_version`` (``config=botocore.config.Config(...)``).
One attempt: ``max_retries=0``. CountTokens (``get_num_tokens_from_messages``) is left out: it
calls the API only for some model ids and falls back to a local count on any error.
InvokeModelWithBidirectionalStream (``ChatBedrockNovaSonic``) needs an HTTP/2 duplex
transport the runner does not drive.
"""

from __future__ import annotations

from typing import Any

from pytest_bedrock_creds.probe import BOTO3_CLIENT_ARGS
from pytest_bedrock_creds.scenarios.clients.base import CALL_TIMEOUT, auth_config, observe, precheck
from pytest_bedrock_creds.scenarios.operations import MODEL
from pytest_bedrock_creds.scenarios.outcome import Observation
from pytest_bedrock_creds.scenarios.world import Prepared, Runtime

__all__ = ["LANGCHAIN_CALLS", "LANGCHAIN_SETTINGS", "run_langchain"]

#: The scenario operation -> (chat model class, stream).
LANGCHAIN_CALLS: dict[str, tuple[str, bool]] = {
    "Converse": ("ChatBedrockConverse", False),
    "ConverseStream": ("ChatBedrockConverse", True),
    "InvokeModel": ("ChatBedrock", False),
    "InvokeModelWithResponseStream": ("ChatBedrock", True),
}
#: ServiceSettings field -> chat model field.
LANGCHAIN_SETTINGS = {**BOTO3_CLIENT_ARGS, "profile": "credentials_profile_name", "bearer_token": "api_key",
                      "region": "region_name"}


def run_langchain(prepared: Prepared, runtime: Runtime) -> Observation:
    operation = prepared.scenario.operation
    early = precheck(prepared, "langchain-aws", (*LANGCHAIN_SETTINGS, "auth_scheme_preference", "signature_version"),
                     LANGCHAIN_CALLS, "ChatBedrockConverse (Converse, ConverseStream) and ChatBedrock (InvokeModel, "
                     "InvokeModelWithResponseStream) in the runner")
    if early is not None:
        return early
    import langchain_aws  # type: ignore[import-not-found, import-untyped, unused-ignore]
    from botocore.config import Config

    settings = prepared.settings
    config = auth_config(prepared)
    name, stream = LANGCHAIN_CALLS[operation]
    kwargs: dict[str, Any] = {"endpoint_url": runtime.bedrock.url, "max_retries": 0, "timeout": int(CALL_TIMEOUT),
                              **settings.as_kwargs(**LANGCHAIN_SETTINGS)}
    if config:
        kwargs["config"] = Config(**config)
    error: BaseException | None = None
    try:
        if name == "ChatBedrockConverse":
            chat: Any = langchain_aws.ChatBedrockConverse(model=MODEL, max_tokens=8, **kwargs)
        else:
            chat = langchain_aws.ChatBedrock(model=MODEL, model_kwargs={"max_tokens": 8}, streaming=stream, **kwargs)
        if stream:
            for _ in chat.stream("hi"):
                pass
        else:
            chat.invoke("hi")
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        error = exc
    return observe(runtime.bedrock, error)
