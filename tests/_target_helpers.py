"""Run one YAML scenario on one target, as the plugin's scenario items do, for the client
targets' own tests (``test_<client>_target.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pytest_bedrock_creds import AwsEnv, FakeBedrock, FakeContainerCredentials, FakeImds, Ledger
from pytest_bedrock_creds.chain import resolve
from pytest_bedrock_creds.scenarios import Observation, Runtime, load_text, prepare, run_target


@dataclass
class ScenarioRunner:
    """``run(text, target)``: the observation of the single scenario in ``text`` on ``target``."""

    runtime: Runtime

    def run(self, text: str, target: str) -> Observation:
        (scenario,) = load_text("scenarios:\n" + text)
        with AwsEnv(ledger=self.runtime.ledger, region=scenario.default_region) as env:
            prepared = prepare(scenario, env, self.runtime)
            reference = resolve(operation=scenario.operation, settings=prepared.settings,
                                chain=prepared.reference_chain)
            return run_target(target, prepared, self.runtime, reference)


@pytest.fixture
def scenario_runner(bedrock_ledger: Ledger, bedrock_server: FakeBedrock, bedrock_imds_server: FakeImds,
                    bedrock_container_server: FakeContainerCredentials) -> ScenarioRunner:
    return ScenarioRunner(Runtime(bedrock_ledger, bedrock_server, bedrock_imds_server, bedrock_container_server))
