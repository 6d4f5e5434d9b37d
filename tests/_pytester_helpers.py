"""Shared by the pytester tests: a user's scenario file, and running a suite with one of the plugin's switches
given as the option or as its ini twin."""

from __future__ import annotations

import pytest

#: A user's scenario file: two scenarios every target agrees on, one documented botocore divergence.
MINE = """\
family: mine
scenarios:
  - name: env-keys
    env_keys: issued
    expect: {scheme: sigv4, source: env}
  - name: bearer-beats-profile
    env: {AWS_BEARER_TOKEN_BEDROCK: "{bearer:bearer:env}", AWS_PROFILE: dev}
    files: {credentials: {dev: issued}}
    expect: {scheme: bearer, source: "bearer:env"}
  - name: blank-token
    env: {AWS_BEARER_TOKEN_BEDROCK: " "}
    env_keys: issued
    expect: {scheme: sigv4, source: env}
    expect_by_target:
      botocore: {scheme: bearer, source: "bearer:<empty>", error: "rejected: AccessDeniedException",
                 reason: botocore sends the blank token}
"""


def run_with_switch(pytester: pytest.Pytester, how: str, ini_name: str, *extra: str) -> pytest.RunResult:
    """``how="ini"`` writes ``<ini_name> = true``; anything else passes ``--<ini name with dashes>``."""
    if how == "ini":
        pytester.makeini(f"[pytest]\n{ini_name} = true\n")
        return pytester.runpytest_subprocess(*extra)
    return pytester.runpytest_subprocess("--" + ini_name.replace("_", "-"), *extra)
