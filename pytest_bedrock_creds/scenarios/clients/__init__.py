"""Runners for the targets beyond boto3, the experimental client and AnthropicBedrock: one module
per client, each mapping the scenario's settings to the client's own parameters (refusing
what it has none for) and reading the outcome off the fake (:func:`.base.observe`)."""

from __future__ import annotations

from collections.abc import Callable

from pytest_bedrock_creds.scenarios.clients.aiobotocore_runner import run_aiobotocore
from pytest_bedrock_creds.scenarios.clients.langchain_runner import run_langchain
from pytest_bedrock_creds.scenarios.clients.litellm_runner import run_litellm
from pytest_bedrock_creds.scenarios.clients.pydantic_ai_runner import run_pydantic_ai
from pytest_bedrock_creds.scenarios.clients.strands_runner import run_strands
from pytest_bedrock_creds.scenarios.outcome import Observation
from pytest_bedrock_creds.scenarios.world import Prepared, Runtime

__all__ = ["CLIENT_NEEDS", "CLIENT_RUNNERS"]

#: target -> runner.
CLIENT_RUNNERS: dict[str, Callable[[Prepared, Runtime], Observation]] = {
    "litellm": run_litellm,
    "aiobotocore": run_aiobotocore,
    "langchain-aws": run_langchain,
    "pydantic-ai": run_pydantic_ai,
    "strands-agents": run_strands,
}
#: target -> the modules it needs (the target is skipped, with the reason, without them).
CLIENT_NEEDS: dict[str, tuple[str, ...]] = {
    "litellm": ("litellm", "boto3"),
    "aiobotocore": ("aiobotocore",),
    "langchain-aws": ("langchain_aws", "boto3"),
    "pydantic-ai": ("pydantic_ai", "boto3"),
    "strands-agents": ("strands", "boto3"),
}
