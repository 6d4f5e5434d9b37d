"""Running a user's suite with one of the plugin's switches, given as the option or as its ini twin."""

from __future__ import annotations

import pytest


def run_with_switch(pytester: pytest.Pytester, how: str, ini_name: str, *extra: str) -> pytest.RunResult:
    """``how="ini"`` writes ``<ini_name> = true``; anything else passes ``--<ini name with dashes>``."""
    if how == "ini":
        pytester.makeini(f"[pytest]\n{ini_name} = true\n")
        return pytester.runpytest_subprocess(*extra)
    return pytester.runpytest_subprocess("--" + ini_name.replace("_", "-"), *extra)
