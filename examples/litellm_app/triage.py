"""A small application that triages support tickets with a model on Amazon Bedrock, through litellm.

Nothing here knows about tests. The deployment configures it with environment variables:
``TRIAGE_AWS_REGION`` (required: litellm would otherwise pick a region on its own) and, optionally,
``TRIAGE_AWS_PROFILE``. Credentials come from wherever the environment provides them: a Bedrock
API key, the ECS task role, a profile... litellm reads the endpoint from ``AWS_BEDROCK_RUNTIME_ENDPOINT``
when it is set (a VPC endpoint in production).
"""

from __future__ import annotations

import os
from typing import Any

import litellm

MODEL = "bedrock/converse/anthropic.claude-3-haiku-20240307-v1:0"
LABELS = ("billing", "bug", "question")


class ConfigurationError(RuntimeError):
    """The deployment did not say what the app needs to know."""


def bedrock_settings() -> dict[str, Any]:
    """The litellm parameters the deployment's configuration gives."""
    region = os.environ.get("TRIAGE_AWS_REGION", "").strip()
    if not region:
        raise ConfigurationError("TRIAGE_AWS_REGION is not set: refusing to let litellm choose a region")
    settings: dict[str, Any] = {"aws_region_name": region}
    profile = os.environ.get("TRIAGE_AWS_PROFILE", "").strip()
    if profile:
        settings["aws_profile_name"] = profile
    return settings


def triage(ticket: str) -> str:
    """One of :data:`LABELS` for ``ticket``."""
    reply = litellm.completion(
        model=MODEL,
        messages=[{"role": "user", "content": f"Answer with one word of {', '.join(LABELS)}:\n{ticket}"}],
        max_tokens=8,
        num_retries=0,
        **bedrock_settings(),
    )
    label = (reply.choices[0].message.content or "").strip().lower()
    return label if label in LABELS else "question"
