"""Precedence scenarios as YAML data, run against the reference chain and real clients.

Works without pytest: :func:`load_file` validates a file, :func:`prepare` builds a
scenario's world inside an :class:`~pytest_bedrock_creds.env.AwsEnv`, :func:`run_target`
asks one target, :func:`matches` compares its :class:`Observation` with the expectation,
and :class:`Matrix` renders the results. ``plugin.py`` turns files named
``bedrock_creds_*.yaml`` or ``*.bedrock.yaml`` into test items.

The names load on first use: the plugin reads :data:`TARGETS` at start-up without loading
YAML, the fakes or the SDK runners.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_bedrock_creds.scenarios.loader import ScenarioFileError, load_file, load_text
    from pytest_bedrock_creds.scenarios.matrix import STATUSES, Matrix, Result
    from pytest_bedrock_creds.scenarios.matrix_files import MATRIX_SUFFIXES, write_matrix
    from pytest_bedrock_creds.scenarios.outcome import Observation, classify_error, matches
    from pytest_bedrock_creds.scenarios.schema import RUNNER_REGION, SCHEMA, TARGETS, Expectation, Scenario
    from pytest_bedrock_creds.scenarios.targets import run_target, target_unavailable
    from pytest_bedrock_creds.scenarios.world import Prepared, Runtime, arm_fakes, prepare

_LOADER = "pytest_bedrock_creds.scenarios.loader"
_MATRIX = "pytest_bedrock_creds.scenarios.matrix"
_OUTCOME = "pytest_bedrock_creds.scenarios.outcome"
_SCHEMA = "pytest_bedrock_creds.scenarios.schema"
_TARGETS = "pytest_bedrock_creds.scenarios.targets"
_WORLD = "pytest_bedrock_creds.scenarios.world"

#: Where each public name lives.
_EXPORTS = {
    "MATRIX_SUFFIXES": "pytest_bedrock_creds.scenarios.matrix_files",
    "RUNNER_REGION": _SCHEMA,
    "SCHEMA": _SCHEMA,
    "STATUSES": _MATRIX,
    "TARGETS": "pytest_bedrock_creds.scenarios.names",
    "Expectation": _SCHEMA,
    "Matrix": _MATRIX,
    "Observation": _OUTCOME,
    "Prepared": _WORLD,
    "Result": _MATRIX,
    "Runtime": _WORLD,
    "Scenario": _SCHEMA,
    "ScenarioFileError": _LOADER,
    "arm_fakes": _WORLD,
    "classify_error": _OUTCOME,
    "load_file": _LOADER,
    "load_text": _LOADER,
    "matches": _OUTCOME,
    "prepare": _WORLD,
    "run_target": _TARGETS,
    "target_unavailable": _TARGETS,
    "write_matrix": "pytest_bedrock_creds.scenarios.matrix_files",
}

__all__ = [
    "MATRIX_SUFFIXES",
    "RUNNER_REGION",
    "SCHEMA",
    "STATUSES",
    "TARGETS",
    "Expectation",
    "Matrix",
    "Observation",
    "Prepared",
    "Result",
    "Runtime",
    "Scenario",
    "ScenarioFileError",
    "arm_fakes",
    "classify_error",
    "load_file",
    "load_text",
    "matches",
    "prepare",
    "run_target",
    "target_unavailable",
    "write_matrix",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
