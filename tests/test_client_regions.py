"""Which region each client signs for (the SigV4 credential scope the fake records), by what the
environment sets. Rows of the README's region table; litellm-region-sources and
strands-region-default are divergence rows."""

from __future__ import annotations

import pytest
from _target_helpers import ScenarioRunner, scenario_runner  # noqa: F401 - the fixture

from pytest_bedrock_creds.scenarios import target_unavailable

#: setup -> the scenario's region settings (the runner then sets no region of its own).
SETUPS = {
    "AWS_REGION": "env: {AWS_REGION: eu-west-1, AWS_DEFAULT_REGION: null}",
    "AWS_REGION + AWS_DEFAULT_REGION": "env: {AWS_REGION: eu-west-1, AWS_DEFAULT_REGION: us-east-2}",
    "AWS_REGION + config file": "env: {AWS_REGION: eu-west-1}\n    files: {config: {default: {region: ap-south-1}}}",
    "AWS_REGION_NAME + both":
        "env: {AWS_REGION_NAME: ap-northeast-1, AWS_REGION: eu-west-1, AWS_DEFAULT_REGION: us-east-2}",
    "none": "env: {AWS_REGION: null, AWS_DEFAULT_REGION: null}",
}
NO_REGION = "error"
#: setup -> {target: region signed for, or NO_REGION}.
REGIONS = {
    "AWS_REGION": {"botocore": NO_REGION, "aiobotocore": NO_REGION, "pydantic-ai": NO_REGION,
                   "litellm": "eu-west-1", "langchain-aws": "eu-west-1", "strands-agents": "eu-west-1"},
    "AWS_REGION + AWS_DEFAULT_REGION": {"botocore": "us-east-2", "aiobotocore": "us-east-2", "pydantic-ai": "us-east-2",
                                        "litellm": "eu-west-1", "langchain-aws": "eu-west-1",
                                        "strands-agents": "us-east-2"},
    "AWS_REGION + config file": {"botocore": "ap-south-1", "aiobotocore": "ap-south-1", "pydantic-ai": "ap-south-1",
                                 "litellm": "eu-west-1", "langchain-aws": "eu-west-1",
                                 "strands-agents": "ap-south-1"},
    "AWS_REGION_NAME + both": {"botocore": "us-east-2", "aiobotocore": "us-east-2", "pydantic-ai": "us-east-2",
                               "litellm": "ap-northeast-1", "langchain-aws": "eu-west-1",
                               "strands-agents": "us-east-2"},
    "none": {"botocore": NO_REGION, "aiobotocore": NO_REGION, "pydantic-ai": NO_REGION, "langchain-aws": NO_REGION,
             "litellm": "us-west-2", "strands-agents": "us-west-2"},
}


@pytest.mark.parametrize("target", ["botocore", "litellm", "aiobotocore", "langchain-aws", "pydantic-ai",
                                    "strands-agents"])
@pytest.mark.parametrize("setup", list(SETUPS))
def test_region_signed_for(setup: str, target: str, scenario_runner: ScenarioRunner) -> None:  # noqa: F811
    why = target_unavailable(target)
    if why is not None:
        pytest.skip(why)
    fake = scenario_runner.runtime.bedrock
    text = f"  - name: r\n    env_keys: issued\n    {SETUPS[setup]}\n    expect: {{error: x}}\n"
    observed = scenario_runner.run(text, target)
    expected = REGIONS[setup][target]
    if expected == NO_REGION:
        assert fake.requests == (), f"{target} signed for {fake.last_request.auth.region!r}"
        assert observed.error is not None and "region" in observed.error.lower()
    else:
        assert fake.requests, observed.describe()
        assert (fake.last_request.auth.region, observed.source) == (expected, "env")
