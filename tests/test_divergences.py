"""Divergence rows that are not precedence cases: each runs the real SDK and shows the difference."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from botocore.exceptions import InvalidEndpointConfigurationError
from precedence_cases import CASES
from test_precedence import readme_divergences

from pytest_bedrock_creds import AwsEnv, FakeBedrock
from pytest_bedrock_creds.chain import resolve
from pytest_bedrock_creds.scenarios import load_file

#: Rows proved by a test other than a precedence case: row -> "tests/<module>.py::<test function>".
BACKED_BY = {
    "bearer-over-plain-http": "test_divergences.py::test_bearer_over_plain_http",
    "experimental-client-ignores-bearer": "test_divergences.py::test_experimental_client_ignores_bearer",
    "empty-session-token-sent": "test_divergences.py::test_empty_session_token_sent",
    "keys-not-merged-across-files":
        "test_chain_botocore.py::test_keys_split_across_the_files_make_one_profile_departure",
    "inline-comments-kept": "test_chain_botocore.py::test_inline_comment_after_a_key_id_departure",
    "profile-default-order": "test_chain_botocore.py::test_profile_default_beats_default_wherever_it_is",
    "quoted-profile-name": "test_chain_botocore.py::test_quoted_profile_name_departure",
    "duplicate-sections-refused": "test_chain_botocore.py::test_duplicate_sections_merge_departure",
    "aws-security-token": "test_chain_botocore.py::test_aws_security_token_is_not_read_departure",
    "credential-expiration-formats":
        "test_chain_botocore.py::test_aws_credential_expiration_in_a_form_only_dateutil_reads_departure",
    "legacy-credential-files": "test_chain_botocore.py::test_legacy_sources_are_named_not_used_departure",
    "auth-scheme-preference-in-code":
        "test_chain_botocore.py::test_a_preference_without_a_bedrock_scheme_in_code_departure",
    "aws-region-ignored": "test_chain_region.py::test_aws_region_alone_departure",
    "empty-default-region": "test_chain_region.py::test_empty_aws_default_region_falls_through_departure",
}
ROOT = Path(__file__).resolve().parents[1]
#: Rows proved by the client targets' test modules: row -> "module::test" (the test names its row).
SHOWN_BY_CLIENT_TESTS = {
    "litellm-credential-cache": "test_litellm_target.py::test_credentials_outlive_the_environment_they_came_from",
    "whitespace-bearer-not-sendable": "test_litellm_target.py::test_a_whitespace_api_key_is_not_sendable",
    "empty-env-keys": "test_litellm_target.py::test_empty_environment_keys_are_used_as_values",
    "keys-filled-per-field-from-env": "test_litellm_target.py::test_each_key_parameter_falls_back_to_its_own_variable",
    "litellm-region-sources": "test_client_regions.py::test_region_signed_for",
    "strands-region-default": "test_strands_target.py::test_without_a_region_it_signs_for_us_west_2",
    "langchain-bearer-overrides-config":
        "test_langchain_target.py::test_an_ambient_token_beats_an_in_code_sigv4_preference",
    "langchain-nova-sonic-sets-bearer-env":
        "test_langchain_target.py::test_nova_sonic_writes_its_api_key_into_the_process_environment",
    "boto3-session-partial-keys": "test_pydantic_ai_target.py::test_partial_keys_in_code_are_not_refused",
}


def catalogue_keys() -> set[str]:
    """README rows that catalogue scenarios name in an expect_by_target entry (each runs the real SDK)."""
    return {exp.key for path in [*ROOT.glob("fixtures/**/*.yaml"), *ROOT.glob("examples/**/*.yaml")]
            for scenario in load_file(path) for exp in scenario.expect_by_target.values() if exp.key}


def test_every_readme_row_is_backed_by_a_test() -> None:
    backed = {c.divergence for c in CASES if c.divergence} | set(BACKED_BY) | set(SHOWN_BY_CLIENT_TESTS) \
        | catalogue_keys()
    assert readme_divergences() == backed, "rows without a test, or tests naming no row"
    for row, test in BACKED_BY.items():
        module, name = test.split("::")
        assert f"def {name}(" in (ROOT / "tests" / module).read_text(encoding="utf-8"), f"{row}: {test} is gone"


@pytest.mark.parametrize("row", sorted(SHOWN_BY_CLIENT_TESTS))
def test_client_rows_name_a_test_that_exists_and_names_the_row(row: str) -> None:
    module, test = SHOWN_BY_CLIENT_TESTS[row].split("::")
    text = (ROOT / "tests" / module).read_text(encoding="utf-8")
    assert f"def {test}(" in text
    assert row in text


def test_every_divergence_key_of_the_catalogue_is_a_readme_row() -> None:
    keys = catalogue_keys()
    assert keys, "the catalogue names README rows"
    assert keys <= readme_divergences(), f"not in the README table: {sorted(keys - readme_divergences())}"


def test_bearer_over_plain_http(aws_env: AwsEnv) -> None:
    aws_env.bearer_token()
    aws_env.static_keys()
    assert resolve().scheme == "bearer"  # the reference has no notion of the transport
    client = boto3.Session().client("bedrock-runtime", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(InvalidEndpointConfigurationError, match="Bearer authorization requires an HTTPS endpoint"):
        client.converse(modelId="m", messages=[{"role": "user", "content": [{"text": "hi"}]}])


def _experimental_converse(endpoint: str) -> object:
    import asyncio

    from aws_sdk_bedrock_runtime.client import AsyncBedrockRuntimeClient
    from aws_sdk_bedrock_runtime.config import AsyncBedrockRuntimeConfig
    from aws_sdk_bedrock_runtime.models import ContentBlockText, ConverseInput, Message

    async def call() -> object:
        config = await AsyncBedrockRuntimeConfig.resolve(endpoint_uri=endpoint, max_attempts=1)
        message = Message(role="user", content=[ContentBlockText(value="hi")])
        async with AsyncBedrockRuntimeClient(config=config) as client:
            return await client.converse(ConverseInput(model_id="anthropic.claude-3-haiku-20240307-v1:0",
                                                       messages=[message]))

    return asyncio.run(call())


def test_experimental_client_ignores_bearer(aws_env: AwsEnv, fake_bedrock: FakeBedrock) -> None:
    pytest.importorskip("aws_sdk_bedrock_runtime")
    aws_env.bearer_token()
    aws_env.static_keys()
    assert resolve().source == "bearer:env"
    _experimental_converse(fake_bedrock.http_url)
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)

    aws_env.unset("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    assert resolve().source == "bearer:env"
    with pytest.raises(Exception, match="No credential providers") as info:
        _experimental_converse(fake_bedrock.http_url)
    assert type(info.value).__name__ == "IdentityChainError"
    assert len(fake_bedrock.requests) == 1, "nothing was sent with only a bearer token"


def test_empty_session_token_sent(aws_env: AwsEnv, fake_bedrock: FakeBedrock) -> None:
    pytest.importorskip("aws_sdk_bedrock_runtime")
    issued = aws_env.static_keys()
    aws_env.set(AWS_SESSION_TOKEN="")
    assert resolve().session_token is None, "the reference reads an empty AWS_SESSION_TOKEN as unset"
    boto3.client("bedrock-runtime").converse(modelId="m", messages=[{"role": "user", "content": [{"text": "hi"}]}])
    assert fake_bedrock.last_request.header("X-Amz-Security-Token") is None, "botocore leaves it out"
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)
    with pytest.raises(Exception, match="UnrecognizedClientException"):
        _experimental_converse(fake_bedrock.http_url)
    request = fake_bedrock.last_request
    assert request.header("X-Amz-Security-Token") == ""
    assert "x-amz-security-token" in request.auth.signed_headers
    assert (request.auth.access_key_id, request.auth.error) == (issued.access_key_id, "UnrecognizedClientException")
