"""Region as a second verdict, and the SDK's own claim of its credential source as a second witness."""

from __future__ import annotations

import boto3
import pytest

from pytest_bedrock_creds import AwsEnv, AwsFiles, FakeBedrock
from pytest_bedrock_creds.scenarios import Expectation, Matrix, Observation, Result, load_text, matches
from pytest_bedrock_creds.servers.bedrock.useragent import credential_claims, describe_claims, witness

MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
UA = "Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux lang/python#3.12.1 m/N,E,b,{ids},Z cfg/retry-mode#standard"


@pytest.mark.parametrize(
    ("ids", "claims"),
    [("g", ("g",)), ("3", ("3",)), ("n,o,i", ("n", "o", "i")), ("AD", ("AD",)), ("", ())],
)
def test_credential_claims_are_read_from_the_metrics(ids: str, claims: tuple[str, ...]) -> None:
    assert credential_claims(UA.format(ids=ids).replace(",,", ",")) == claims


@pytest.mark.parametrize(
    ("claims", "words"),
    [(("e",), "CREDENTIALS_CODE=e"), (("n", "3"), "CREDENTIALS_PROFILE=n, BEARER_SERVICE_ENV_VARS=3"),
     (("AD",), "CREDENTIALS_LOGIN=AD"), (("Q",), "unknown=Q"), ((), "nothing"), (None, "nothing")],
)
def test_a_claim_is_told_by_botocore_s_names(claims: tuple[str, ...] | None, words: str) -> None:
    assert describe_claims(claims) == words


def test_the_observation_names_the_claim_it_disagrees_with() -> None:
    observed = Observation(scheme="sigv4", source="env", sdk_reported=("e",), witness=False)
    assert observed.describe().endswith("from env (the SDK reported CREDENTIALS_CODE=e)")


def test_no_metrics_is_no_claim() -> None:
    assert credential_claims("AnthropicBedrock/Python 2.14.0") is None
    assert credential_claims(None) is None


@pytest.mark.parametrize(
    ("source", "claims", "agrees"),
    [("env", ("g",), True), ("env", ("n",), False), ("shared-credentials-file:dev", ("n",), True),
     ("config-file:dev#tag", ("n",), True), ("imds:role", ("0",), True), ("imds:role", ("g",), False),
     ("bearer:env", ("3",), True), ("container", ("z",), True), ("static", ("e",), True),
     ("assume-role:r", ("n", "o", "i"), True), ("env", (), None), (None, ("g",), None),
     ("bearer:settings", ("e",), None)],
)
def test_the_witness_compares_the_claim_with_the_ledger(source: str | None, claims: tuple[str, ...],
                                                       agrees: bool | None) -> None:
    assert witness(source, claims) is agrees


def _converse() -> None:
    # a fresh session: botocore reports the source only when the request's client resolved the credentials
    boto3.Session().client("bedrock-runtime").converse(modelId="m", messages=MESSAGES)


def test_botocore_claims_what_the_ledger_attributes(fake_bedrock: FakeBedrock, aws_env: AwsEnv,
                                                    aws_files: AwsFiles) -> None:
    aws_env.static_keys()
    _converse()
    assert (fake_bedrock.last_request.auth.sdk_reported, fake_bedrock.last_request.auth.witness) == (("g",), True)
    aws_env.unset("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    aws_files.credentials("default")
    _converse()
    assert (fake_bedrock.last_request.auth.sdk_reported, fake_bedrock.last_request.auth.witness) == (("n",), True)
    aws_env.bearer_token()
    _converse()
    auth = fake_bedrock.last_request.auth  # the chain still runs (and reports) when the token wins
    assert (set(auth.sdk_reported or ()), auth.witness) == ({"n", "3"}, True)


def test_cached_credentials_carry_no_claim(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    session = boto3.Session()
    session.client("bedrock-runtime").converse(modelId="m", messages=MESSAGES)
    session.client("bedrock-runtime").converse(modelId="m", messages=MESSAGES)
    first, second = fake_bedrock.requests
    assert (first.auth.sdk_reported, second.auth.sdk_reported, second.auth.witness) == (("g",), (), None)


def test_a_disagreeing_witness_is_listed_in_the_matrix() -> None:
    matrix = Matrix()
    matrix.add(Result("f", "s", "botocore", "agrees", "", "sigv4 from env",
                      witness="the SDK reported n; the ledger says env"))
    matrix.add(Result("f", "t", "botocore", "agrees"))
    assert [r.scenario for r in matrix.witness_disagreements()] == ["s"]
    assert "second witness: 1 request(s)" in matrix.to_text()
    assert "- botocore f/s: the SDK reported n; the ledger says env" in matrix.to_markdown()
    assert Result.from_dict(matrix.results[("s\0f", "botocore")].to_dict()).witness.startswith("the SDK reported")


# -- region ----------------------------------------------------------------------------------------------


def test_region_is_part_of_the_outcome(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    aws_env.set(AWS_DEFAULT_REGION="eu-west-1")
    _converse()
    observed = Observation.from_request(fake_bedrock.last_request)
    assert observed.region == "eu-west-1"
    assert "in eu-west-1" in observed.describe()
    assert matches(observed, Expectation(scheme="sigv4", source="env", region="eu-west-1"))
    assert not matches(observed, Expectation(scheme="sigv4", source="env", region="us-east-1"))
    assert not matches(observed, Expectation(scheme="sigv4", source="env"), default_region="us-east-1")
    assert matches(observed, Expectation(scheme="sigv4", source="env"))


def test_a_long_term_api_key_carries_no_region() -> None:
    bearer = Observation("bearer", "bearer:env")
    assert matches(bearer, Expectation(scheme="bearer", source="bearer:env"), default_region="us-east-1")
    assert not matches(bearer, Expectation(scheme="bearer", source="bearer:env", region="us-east-1"))


def test_a_scenario_that_names_a_region_gets_none_from_the_runner() -> None:
    named, unnamed, in_settings = load_text(
        "scenarios:\n"
        "  - name: a\n    env: {AWS_REGION: eu-west-1}\n    expect: {error: x}\n"
        "  - name: b\n    expect: {error: x}\n"
        "  - name: c\n    settings: {region: ap-south-1}\n"
        "    expect: {scheme: sigv4, source: env, region: ap-south-1}\n"
    )
    assert (named.default_region, unnamed.default_region, in_settings.default_region) == (None, "us-east-1", None)
    assert in_settings.expect.region == "ap-south-1"


def test_an_invalid_region_expectation_is_refused() -> None:
    with pytest.raises(Exception, match=r"expect.region: 'eu_west' does not match"):
        load_text("scenarios:\n  - name: a\n    expect: {scheme: sigv4, source: env, region: eu_west}\n")


REGION_SCENARIOS = """\
family: region
scenarios:
  - name: settings-region-wins
    env_keys: issued
    env: {AWS_REGION: eu-west-1, AWS_DEFAULT_REGION: eu-west-2}
    settings: {region: ap-south-1}
    expect: {scheme: sigv4, source: env, region: ap-south-1}
  - name: wrong-belief
    env_keys: issued
    env: {AWS_DEFAULT_REGION: eu-west-2}
    expect: {scheme: sigv4, source: env, region: us-east-1}
"""


def test_a_region_disagreement_fails_like_a_source_disagreement(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bedrock_creds_region=REGION_SCENARIOS)
    result = pytester.runpytest_subprocess("--bedrock-targets=reference,botocore", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*expected: sigv4 from env in us-east-1*",
                                 "*observed: sigv4 from env * in eu-west-2*"])
    result.stdout.fnmatch_lines(["region * 1 agree, 1 UNEXPECTED * 1 agree, 1 UNEXPECTED*"])
