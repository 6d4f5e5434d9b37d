"""Precedence scenarios as YAML data, run against the reference chain and real clients.

Works without pytest: :func:`load_file` validates a file, :func:`prepare` builds a
scenario's world inside an :class:`~pytest_bedrock_creds.env.AwsEnv`, :func:`run_target`
asks one target, :func:`matches` compares its :class:`Observation` with the expectation,
and :class:`Matrix` renders the results. ``plugin.py`` turns files named
``bedrock_creds_*.yaml`` or ``*.bedrock.yaml`` into test items.
"""

from pytest_bedrock_creds.scenarios.loader import ScenarioFileError, load_file, load_text
from pytest_bedrock_creds.scenarios.matrix import MATRIX_SUFFIXES, STATUSES, Matrix, Result
from pytest_bedrock_creds.scenarios.outcome import Observation, classify_error, matches
from pytest_bedrock_creds.scenarios.schema import RUNNER_REGION, SCHEMA, TARGETS, Expectation, Scenario
from pytest_bedrock_creds.scenarios.targets import run_target, target_unavailable
from pytest_bedrock_creds.scenarios.world import Prepared, Runtime, arm_fakes, prepare

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
]
