"""The scenario targets and outcome statuses by name: what the plugin needs at start-up (option
help, the report header) and what every rendering of the matrix shares, in a module that loads
nothing else."""

from __future__ import annotations

__all__ = ["STATUSES", "TARGETS"]

#: Every target, in matrix column order.
TARGETS = ("reference", "botocore", "aws-sdk-bedrock-runtime", "anthropic", "litellm", "aiobotocore", "langchain-aws",
           "pydantic-ai", "strands-agents")

#: ``agrees``: the target did what ``expect`` says; ``documented``: it did what its
#: ``expect_by_target`` entry says (a divergence with a reason); ``unexpected``: neither;
#: ``skipped``: the target is not installed or the scenario skips it.
STATUSES = ("agrees", "documented", "unexpected", "skipped")
