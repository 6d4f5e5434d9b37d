"""The client targets' runners against the real clients: each maps the scenario's settings to
the client's own parameters (or refuses them by name), calls the operation it was asked for (or
reports ``unsupported-operation``), and the outcome is what reached the fake."""

from __future__ import annotations

import importlib.util

import pytest
from _target_helpers import ScenarioRunner, scenario_runner  # noqa: F401 - the fixture

from pytest_bedrock_creds.scenarios import target_unavailable
from pytest_bedrock_creds.scenarios.clients import CLIENT_NEEDS, CLIENT_RUNNERS

TARGETS = tuple(CLIENT_RUNNERS)
ENV_KEYS = "env_keys: issued\n"
ENV_BEARER = 'env: {AWS_BEARER_TOKEN_BEDROCK: "{bearer:bearer:env}"}\n'
#: langchain-aws reads the AWS_* keys itself and gives them to boto3 in code: botocore's User-Agent
#: then reports code credentials (metric "e"), where the ledger knows they came from the environment.
LANGCHAIN_ENV_KEYS = "sigv4 from env (the SDK reported CREDENTIALS_CODE=e)"

#: name -> (scenario body, the operation sent, {target: outcome}; "*" for every other target).
CASES: dict[str, tuple[str, str | None, dict[str, str]]] = {
    "env-keys": (ENV_KEYS, "Converse", {"*": "sigv4 from env", "langchain-aws": LANGCHAIN_ENV_KEYS}),
    "settings-keys-beat-env": (ENV_KEYS + "settings: {keys: issued}\n", "Converse", {"*": "sigv4 from static"}),
    "settings-temporary-keys": ("settings: {keys: issued-temporary}\n", "Converse", {"*": "sigv4 from static"}),
    "settings-profile": (ENV_KEYS + "settings: {profile: dev}\nfiles: {credentials: {dev: issued}}\n", "Converse",
                         {"*": "sigv4 from shared-credentials-file:dev"}),
    "settings-bearer": (ENV_KEYS + 'settings: {bearer_token: "{bearer:bearer:settings}"}\n', "Converse",
                        {"*": "bearer from bearer:settings",
                         "aiobotocore": "error: unsupported-setting: aiobotocore has no bearer token setting"}),
    "env-bearer": (ENV_BEARER, "Converse", {"*": "bearer from bearer:env"}),
    "settings-preference-sigv4": (
        ENV_KEYS + ENV_BEARER + "settings: {auth_scheme_preference: sigv4}\n", "Converse",
        {"*": "sigv4 from env", "langchain-aws": "bearer from bearer:env",
         "litellm": "error: unsupported-setting: litellm has no auth scheme preference setting",
         "pydantic-ai": "error: unsupported-setting: pydantic-ai has no auth scheme preference setting"}),
    "settings-signature-version": (
        ENV_KEYS + ENV_BEARER + "settings: {signature_version: v4}\n", "Converse",
        {"*": "sigv4 from env",
         "litellm": "error: unsupported-setting: litellm has no signature version setting",
         "pydantic-ai": "error: unsupported-setting: pydantic-ai has no signature version setting"}),
    "instance-role": ("imds: {roles: [app-role]}\n", "Converse", {"*": "sigv4 from imds:app-role"}),
    "converse-stream": (ENV_KEYS + "operation: ConverseStream\n", "ConverseStream",
                        {"*": "sigv4 from env", "langchain-aws": LANGCHAIN_ENV_KEYS}),
    "invoke-model": (ENV_KEYS + "operation: InvokeModel\n", "InvokeModel",
                     {"*": "sigv4 from env", "pydantic-ai": "error: unsupported-operation",
                      "strands-agents": "error: unsupported-operation", "langchain-aws": LANGCHAIN_ENV_KEYS}),
    "invoke-model-stream": (ENV_KEYS + "operation: InvokeModelWithResponseStream\n", "InvokeModelWithResponseStream",
                            {"*": "sigv4 from env", "pydantic-ai": "error: unsupported-operation",
                             "strands-agents": "error: unsupported-operation", "langchain-aws": LANGCHAIN_ENV_KEYS}),
    "count-tokens": (ENV_KEYS + "operation: CountTokens\n", "CountTokens",
                     {"*": "error: unsupported-operation", "aiobotocore": "sigv4 from env"}),
    "settings-region": (ENV_KEYS + "settings: {region: eu-central-1}\n", "Converse",
                        {"*": "sigv4 from env in eu-central-1",
                         "langchain-aws": LANGCHAIN_ENV_KEYS.replace("env", "env in eu-central-1", 1)}),
    "settings-resolver": (ENV_KEYS + "settings: {resolver: environment}\n", "Converse",
                          {"*": "error: unsupported-setting"}),
}


def _indented(body: str) -> str:
    return "".join(f"    {line}\n" for line in body.splitlines())


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", list(CASES))
def test_runner(case: str, target: str, scenario_runner: ScenarioRunner) -> None:  # noqa: F811
    why = target_unavailable(target)
    if why is not None:
        pytest.skip(why)
    body, operation, outcomes = CASES[case]
    expected = outcomes.get(target, outcomes["*"])
    observed = scenario_runner.run(f"  - name: {case}\n{_indented(body)}    expect: {{error: x}}\n", target)
    described = observed.describe(key=False)
    if " in " not in expected and observed.region == "us-east-1":  # the runner's region, when the case names none
        described = described.replace(" in us-east-1", "")
    if expected.startswith("error: "):
        assert described.startswith(expected), described
        assert observed.operation is None, "nothing may be sent in its place"
    else:
        assert described == expected
        assert observed.signature_valid is not False
        assert observed.operation == operation


def test_a_missing_client_is_a_skip_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "litellm" else real(name, *a))
    assert target_unavailable("litellm") == "litellm: litellm is not installed"
    assert set(CLIENT_NEEDS) == set(CLIENT_RUNNERS)
