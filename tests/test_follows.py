"""Targets that follow botocore: they take botocore's documented divergence where a scenario gives
them no entry, may restate ``expect`` where they depart from botocore, and are still judged on
what they did (``expectation_for`` only says what to expect)."""

from __future__ import annotations

import pytest

from pytest_bedrock_creds.scenarios import ScenarioFileError, load_text
from pytest_bedrock_creds.scenarios.schema import FOLLOWS, TARGETS

BOTOCORE_ENTRY = '      botocore: {error: no-region, reason: "botocore never reads AWS_REGION"}\n'


def scenario(entries: str) -> str:
    return ("scenarios:\n  - name: aws-region-alone\n    env_keys: issued\n"
            "    env: {AWS_REGION: eu-west-1}\n    expect: {scheme: sigv4, source: env, region: eu-west-1}\n"
            "    expect_by_target:\n" + entries)


def test_the_followers_are_targets_and_follow_botocore() -> None:
    assert set(FOLLOWS) == {"litellm", "aiobotocore", "langchain-aws", "pydantic-ai", "strands-agents"}
    assert set(FOLLOWS) <= set(TARGETS)
    assert {followed for followed, _ in FOLLOWS.values()} == {"botocore"}


def test_a_follower_without_an_entry_is_expected_to_do_what_botocore_does() -> None:
    (loaded,) = load_text(scenario(BOTOCORE_ENTRY))
    inherited = loaded.expectation_for("aiobotocore")
    assert inherited.error == "no-region" and inherited.scheme is None
    assert inherited.reason is not None and inherited.reason.startswith("as botocore (aiobotocore runs")
    assert inherited.reason.endswith("botocore never reads AWS_REGION")
    assert loaded.documents("aiobotocore") and loaded.documents("botocore")
    # a target that follows none still expects what 'expect' says
    assert loaded.expectation_for("anthropic") is loaded.expect and not loaded.documents("anthropic")


def test_a_follower_may_restate_expect_where_it_departs_from_botocore() -> None:
    litellm = '      litellm: {scheme: sigv4, source: env, region: eu-west-1, reason: "reads AWS_REGION"}\n'
    (loaded,) = load_text(scenario(BOTOCORE_ENTRY + litellm))
    own = loaded.expectation_for("litellm")
    assert (own.scheme, own.source, own.region, own.reason) == ("sigv4", "env", "eu-west-1", "reads AWS_REGION")
    assert not loaded.documents("litellm"), "restating 'expect' agrees with the reference"
    assert loaded.documents("langchain-aws"), "the other followers still take botocore's entry"


@pytest.mark.parametrize("entries", [
    '      anthropic: {scheme: sigv4, source: env, region: eu-west-1, reason: "x"}\n',  # follows none
    '      litellm: {scheme: sigv4, source: env, region: eu-west-1, reason: "x"}\n',  # botocore has no entry
])
def test_restating_expect_is_refused_where_nothing_is_departed_from(entries: str) -> None:
    with pytest.raises(ScenarioFileError, match="is the same as 'expect'; a divergence must differ"):
        load_text(scenario(entries))


def test_a_skipped_botocore_is_not_inherited() -> None:
    (loaded,) = load_text(scenario('      botocore: {skip: true, reason: "not here"}\n'))
    assert loaded.expectation_for("strands-agents") is loaded.expect


def test_an_inherited_verdict_passes_only_when_the_real_client_did_it(pytester: pytest.Pytester) -> None:
    """langchain-aws inherits botocore's entries: one wrong on purpose fails on both; one right for
    botocore fails on langchain-aws, which reads AWS_REGION where botocore does not."""
    pytester.makefile(".yaml", bedrock_creds_follow=(
        "scenarios:\n"
        "  - name: wrong-on-purpose\n    env_keys: issued\n    expect: {scheme: sigv4, source: env}\n"
        "    expect_by_target:\n      botocore: {error: no-credentials, reason: wrong on purpose}\n"
        "  - name: right\n    env_keys: issued\n    env: {AWS_REGION: eu-west-1, AWS_DEFAULT_REGION: null}\n"
        "    expect: {scheme: sigv4, source: env, region: eu-west-1}\n"
        "    expect_by_target:\n      botocore: {error: no-region, reason: botocore never reads AWS_REGION}\n"))
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-v", "--bedrock-targets=botocore,langchain-aws")
    result.stdout.fnmatch_lines_random([
        "*wrong-on-purpose[[]botocore[]] FAILED*", "*wrong-on-purpose[[]langchain-aws[]] FAILED*",
        "*right[[]botocore[]] PASSED*", "*right[[]langchain-aws[]] FAILED*",
    ])
    assert "expect_by_target: as botocore (langchain-aws calls Bedrock through a boto3 client)" in result.stdout.str()
