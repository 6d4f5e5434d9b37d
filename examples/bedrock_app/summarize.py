"""A small application that calls Amazon Bedrock through boto3: it summarises text with Converse.

Nothing here knows about tests. In production the credentials come from wherever the
environment provides them: a Bedrock API key, the instance role, a profile...
"""

from __future__ import annotations

import boto3

MODEL_ID = "anthropic.claude-3-haiku-20240307-v1:0"


def bedrock_client(profile: str | None = None):  # type: ignore[no-untyped-def]
    """The client the app uses; ``profile`` is the app's ``--profile`` option."""
    return boto3.Session(profile_name=profile).client("bedrock-runtime")


def summarize(text: str, *, profile: str | None = None) -> str:
    reply = bedrock_client(profile).converse(
        modelId=MODEL_ID,
        messages=[{"role": "user", "content": [{"text": f"Summarise in one line:\n{text}"}]}],
        inferenceConfig={"maxTokens": 64},
    )
    return "".join(block.get("text", "") for block in reply["output"]["message"]["content"])
