"""The scenario targets by name: what the plugin needs at start-up (option help, the report
header), in a module that loads nothing else."""

from __future__ import annotations

__all__ = ["TARGETS"]

#: Every target, in matrix column order.
TARGETS = ("reference", "botocore", "aws-sdk-bedrock-runtime", "anthropic", "litellm", "aiobotocore", "langchain-aws",
           "pydantic-ai", "strands-agents")
