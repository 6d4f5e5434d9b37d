"""The reference chain on its own: traces, configuration errors, redaction, refusals."""

from __future__ import annotations

import pytest

from pytest_bedrock_creds import AwsEnv, AwsFiles
from pytest_bedrock_creds.chain import (
    BEARER_UNSUPPORTED_OPERATIONS,
    ChainError,
    ConfigFileError,
    Resolution,
    ServiceSettings,
    TraceStep,
    bearer_supported,
    resolve,
)
from pytest_bedrock_creds.chain.profiles import read_credentials_file


def step(result: Resolution, name: str) -> TraceStep:
    return next(s for s in result.trace if s.resolver == name)


def test_trace_names_every_source_in_documented_order(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    aws_files.config_credentials()
    result = resolve()
    assert [s.resolver for s in result.trace] == [
        "profile selection",
        "region",
        "IMDS settings",
        "BearerTokenResolver",
        "StaticCredentialsResolver",
        "EnvironmentCredentialsResolver",
        "SharedCredentialsFileResolver",
        "ConfigFileResolver",
        "BotocoreLegacySourcesResolver",
        "ContainerCredentialsResolver",
        "IMDSCredentialsResolver",
    ]
    assert [s.outcome for s in result.trace] == [
        "used",
        "used",
        "used",
        "skipped",
        "skipped",
        "skipped",
        "skipped",
        "used",
        "not reached",
        "not reached",
        "not reached",
    ]
    assert "does not exist" in step(result, "SharedCredentialsFileResolver").reason
    assert (result.scheme, result.source, result.region, result.region_source) == (
        "sigv4", "config-file:default", "us-east-1", "env:AWS_REGION")


def test_partial_environment_keys_explain_themselves(aws_env: AwsEnv) -> None:
    aws_env.set(AWS_ACCESS_KEY_ID="AKIAHALFHALFHALFHALF")
    result = resolve()
    assert not result.ok
    assert result.scheme is None
    assert result.error == "AWS_ACCESS_KEY_ID set but AWS_SECRET_ACCESS_KEY missing"
    assert result.error_kind == "partial-credentials"
    assert [s.outcome for s in result.trace][5:] == [
        "error",
        "not reached",
        "not reached",
        "not reached",
        "not reached",
        "not reached",
    ]


@pytest.mark.parametrize("operation", sorted(BEARER_UNSUPPORTED_OPERATIONS))
def test_operations_that_reject_api_keys_skip_the_bearer_source(aws_env: AwsEnv, operation: str) -> None:
    aws_env.bearer_token()
    creds = aws_env.static_keys()
    result = resolve(operation=operation)
    assert result.scheme == "sigv4"
    assert result.access_key_id == creds.access_key_id
    assert f"do not work for {operation}" in step(result, "BearerTokenResolver").reason


@pytest.mark.parametrize(
    ("operation", "supported"),
    [
        ("Converse", True),
        ("bedrock-runtime:Converse", True),
        ("bedrock-agent-runtime:Retrieve", False),
        ("bedrock-data-automation-runtime:ListTagsForResource", False),
        ("bedrock-agent:ListAgents", False),
    ],
)
def test_bearer_supported(operation: str, supported: bool) -> None:
    assert bearer_supported(operation) is supported


def test_settings_bearer_beats_env_bearer(aws_env: AwsEnv) -> None:
    aws_env.bearer_token()
    token = aws_env.ledger.issue_token("bearer:settings").token
    result = resolve(settings=ServiceSettings(bearer_token=token))
    assert (result.scheme, result.source, result.token) == ("bearer", "bearer:settings", token)


def test_reprs_and_traces_never_show_secrets(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    token = aws_env.bearer_token()
    static = aws_env.ledger.issue_credentials("static", temporary=True)
    settings = ServiceSettings(static.access_key_id, static.secret_access_key, static.session_token, token)
    results = [resolve(settings=settings), resolve(operation="InvokeModelWithBidirectionalStream", settings=settings)]
    text = repr(settings) + "".join(repr(r) + r.explain() for r in results)
    assert results[1].access_key_id == static.access_key_id
    assert static.access_key_id in text
    for secret in (token, static.secret_access_key, static.session_token):
        assert secret
        assert secret not in text


def test_malformed_file_names_file_and_line_without_quoting_secrets(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    path = aws_files.write_raw("credentials", "aws_secret_access_key = topsecretvalue\n[default]\n")
    result = resolve()
    assert result.error is not None and result.error_kind == "config-file-error"
    assert f"{path}, line 1: Expected a profile definition" in result.error
    assert "aws_secret_access_key" in result.error
    assert "topsecretvalue" not in result.error + result.explain()


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("[default\nregion = x\n", 1, "Profile definition must end with ']'"),
        ("region = x\n[default]\n", 1, "Expected a profile definition"),
        ("[a]\nx = 1\nnot an assignment\n", 3, "Expected an '=' sign defining a property"),
        ("[a]\n = 1\n", 2, "Expected a property definition, found continuation"),
        ("[a]\n= 1\n", 2, "Property did not have a name"),
        ("[a]\ns3 =\n  nested\n", 3, "Expected an '=' sign defining a sub-property"),
    ],
)
def test_config_file_errors(tmp_path: object, text: str, line: int, words: str) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "credentials"
    path.write_text(text)
    with pytest.raises(ConfigFileError) as info:
        read_credentials_file(path)
    assert info.value.line == line
    assert words in str(info.value)
    assert str(path) in str(info.value)


def test_undecodable_file(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "credentials"
    path.write_bytes(b"[default]\nregion = \xff\xfe\n")
    with pytest.raises(ConfigFileError, match=r"line 2: is not valid UTF-8"):
        read_credentials_file(path)


def test_unmodelled_profile_providers_are_named_not_guessed(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    aws_files.config("default", role_arn="arn:aws:iam::123456789012:role/r", source_profile="base")
    aws_files.credentials("base")
    result = resolve()
    assert result.error is not None
    assert "sets role_arn" in result.error
    assert "does not model" in result.error


def test_real_metadata_addresses_are_refused(aws_env: AwsEnv) -> None:
    aws_env.unset("AWS_EC2_METADATA_DISABLED")
    result = resolve(http_timeout=0.2)
    assert result.error is not None
    imds = result.trace[-1]
    assert imds.outcome == "skipped"
    assert "refusing to contact http://169.254.169.254" in imds.reason


def test_relative_container_uri_is_refused_not_contacted(aws_env: AwsEnv) -> None:
    aws_env.set(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="/v2/credentials/abc")
    result = resolve()
    assert result.error is not None
    assert "refusing to contact http://169.254.170.2/v2/credentials/abc" in result.error


def test_container_full_uri_host_must_be_allowed(aws_env: AwsEnv) -> None:
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://example.com/creds")
    result = resolve()
    assert result.error is not None
    assert "only https URLs or http on loopback" in result.error


def test_invalid_imds_endpoint_mode_is_a_configuration_error(aws_env: AwsEnv) -> None:
    aws_env.unset("AWS_EC2_METADATA_DISABLED")
    aws_env.set(AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE="IPv7")
    assert "not a valid IMDS endpoint mode" in (resolve().error or "")


def test_chain_error_is_an_exception_users_can_catch() -> None:
    assert issubclass(ConfigFileError, ChainError)


@pytest.mark.parametrize(
    "variables",
    [
        {"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://[::1"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:99999/"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:notaport/"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "tök-ïñ-ℌ"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://xn--a.example/"},
    ],
)
def test_bad_endpoint_values_are_an_error_never_a_raw_exception(aws_env: AwsEnv, variables: dict[str, str]) -> None:
    aws_env.set(**variables)
    result = resolve()  # must not raise
    assert result.scheme is None and result.error
    assert "tök" not in (result.error or "") + result.explain()
