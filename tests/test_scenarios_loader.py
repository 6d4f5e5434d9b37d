"""The scenario loader: valid files load; every mistake names the file, the line and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_bedrock_creds.scenarios import SCHEMA, ScenarioFileError, load_file, load_text
from pytest_bedrock_creds.scenarios.outcome import classify_error

CATALOGUE = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"

GOOD = """\
family: mine
scenarios:
  - name: env-keys
    doc: keys in the environment
    env_keys: issued
    expect: {scheme: sigv4, source: env}
  - name: bearer
    env: {AWS_BEARER_TOKEN_BEDROCK: "{bearer:bearer:env}"}
    expect: {scheme: bearer, source: "bearer:env"}
    expect_by_target:
      aws-sdk-bedrock-runtime: {error: no-credentials, reason: no bearer support}
"""


def test_a_valid_file_loads() -> None:
    first, second = load_text(GOOD, source="mine.bedrock.yaml")
    assert (first.name, first.family, first.line, first.env_keys) == ("env-keys", "mine", 3, "issued")
    assert first.expect.scheme == "sigv4" and first.expect.source == "env"
    assert second.expectation_for("botocore") is second.expect
    assert second.expectation_for("aws-sdk-bedrock-runtime").reason == "no bearer support"


def test_family_defaults_to_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "bedrock_creds_deploy.yaml"
    path.write_text("scenarios:\n  - name: a\n    expect: {error: no-credentials}\n")
    assert load_file(path)[0].family == "deploy"
    other = tmp_path / "imds.bedrock.yaml"
    other.write_text(path.read_text())
    assert load_file(other)[0].family == "imds"


@pytest.mark.parametrize(
    ("text", "line", "field", "problem"),
    [
        ("scenarios:\n  - name: a\n    evn: {}\n    expect: {error: x}\n", 3, "scenarios[0].evn", "unknown key 'evn'"),
        ("scenarios:\n  - name: a\n    env: {AWS_PROFILE: 3}\n    expect: {error: x}\n", 3,
         "scenarios[0].env.AWS_PROFILE", "expected string or null, got integer 3"),
        ("scenarios:\n  - name: a\n    expect: {scheme: sigv5, source: env}\n", 3, "scenarios[0].expect.scheme",
         "'sigv5' is not one of"),
        ("scenarios:\n  - name: a\n    expect: {scheme: sigv4}\n", 3, "scenarios[0].expect",
         "give 'scheme' and 'source' together"),
        ("scenarios:\n  - name: a\n    expect: {scheme: sigv4, source: laptop}\n", 3, "scenarios[0].expect.source",
         "'laptop' is not a source label"),
        ("scenarios:\n  - name: a\n    expect: {error: x}\n  - name: a\n    expect: {error: y}\n", 4,
         "scenarios[1].name", "duplicate scenario name 'a' (first at line 2)"),
        ("scenarios:\n  - name: a\n    expect: {error: x}\n    expect_by_target:\n      botocore: {error: y}\n", 5,
         "scenarios[0].expect_by_target.botocore", "missing required key 'reason'"),
        ("scenarios:\n  - name: a\n    expect: {error: x}\n    expect_by_target:\n      boto: {error: y, reason: r}\n",
         5, "scenarios[0].expect_by_target.boto", "unknown name 'boto'"),
        ("scenarios:\n  - name: a\n    expect: {error: x}\n    expect_by_target:\n"
         "      botocore: {error: x, reason: r}\n",
         5, "scenarios[0].expect_by_target.botocore", "is the same as 'expect'"),
        ("scenarios:\n  - name: a\n    env: {AWS_ACCESS_KEY_ID: \"{key:laptop}\"}\n    expect: {error: x}\n", 3,
         "scenarios[0].env.AWS_ACCESS_KEY_ID", "'laptop' is not a source label"),
        ("scenarios:\n  - name: a\n    env: {AWS_EC2_METADATA_SERVICE_ENDPOINT: \"http://169.254.169.254\"}\n"
         "    expect: {error: x}\n", 3, "scenarios[0].env.AWS_EC2_METADATA_SERVICE_ENDPOINT", "only loopback URLs"),
        ("scenarios:\n  - name: a\n    env: {AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: /v2/x}\n    expect: {error: x}\n",
         3, "scenarios[0].env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "169.254.170.2"),
        ("scenarios:\n  - name: a\n    imds: {roles: [r], faults: [{kind: explode}]}\n    expect: {error: x}\n", 3,
         "scenarios[0].imds.faults[0].kind", "'explode' is not one of"),
        ("scenarios:\n  - name: a\n    files: {config: {dev: {role_arn: x}}}\n    expect: {error: x}\n", 3,
         "scenarios[0].files.config.dev.role_arn", "selects a credential provider"),
        ("scenarios:\n  - name: a\n    files:\n      config_raw: |\n        [default]\n        credential_process = x\n"
         "    expect: {error: x}\n", 4, "scenarios[0].files.config_raw", "line 2 of the text: 'credential_process'"),
        ("scenarios:\n  - name: a\n    env: {AWS_ROLE_ARN: x}\n    expect: {error: x}\n", 3,
         "scenarios[0].env.AWS_ROLE_ARN", "calls AWS STS"),
        ("scenarios: []\n", 1, "scenarios", "needs at least 1 item(s)"),
        ("family: x\n", 1, "<file>", "missing required key 'scenarios'"),
    ],
)
def test_mistakes_name_file_line_and_field(text: str, line: int, field: str, problem: str) -> None:
    with pytest.raises(ScenarioFileError) as info:
        load_text(text, source="dir/bad.bedrock.yaml")
    error = info.value
    assert (error.path, error.line, error.field) == ("dir/bad.bedrock.yaml", line, field)
    assert problem in error.problem
    assert str(error).startswith(f"dir/bad.bedrock.yaml:{line}: {field}: ")


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(ScenarioFileError, match=r"^x\.bedrock\.yaml:3: invalid YAML"):
        load_text("scenarios:\n  - name: a\n    expect: {error: x}}\n  - name: b\n", source="x.bedrock.yaml")


def test_yaml_tags_are_refused_by_the_safe_loader() -> None:
    with pytest.raises(ScenarioFileError, match="invalid YAML"):
        load_text("scenarios: !!python/object/apply:os.system ['true']\n")


def test_the_error_pickles() -> None:
    import pickle

    error = ScenarioFileError("a.yaml", 3, "scenarios[0].env", "bad")
    again = pickle.loads(pickle.dumps(error))
    assert (again.path, again.line, again.field, str(again)) == ("a.yaml", 3, "scenarios[0].env", str(error))


def test_the_shipped_schema_json_is_the_schema() -> None:
    shipped = Path(__file__).resolve().parents[1] / "pytest_bedrock_creds" / "scenarios" / "schema.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == json.loads(json.dumps(SCHEMA))


def test_literal_secrets_are_collected_for_redaction() -> None:
    (scenario,) = load_text(
        "scenarios:\n  - name: a\n"
        "    settings: {access_key_id: AKIALITERAL0000000001, secret_access_key: s3cr3tvalue}\n"
        "    files: {credentials_raw: \"[default]\\naws_secret_access_key = rawsecret\\n\"}\n"
        "    expect: {error: x}\n"
    )
    assert scenario.literal_secrets() == {"s3cr3tvalue", "rawsecret"}
    assert "s3cr3tvalue" not in repr(scenario.settings)


def test_the_catalogue_is_large_and_every_divergence_has_a_reason() -> None:
    scenarios = [s for path in sorted(CATALOGUE.glob("*.bedrock.yaml")) for s in load_file(path)]
    assert len(scenarios) >= 300
    families = {s.family for s in scenarios}
    assert {"order", "bearer", "environment", "profiles", "files", "container", "imds", "expiry"} <= families
    assert {"profile-file", "locations", "imds-settings", "env-variables", "legacy", "auth-preference",
            "container-settings", "region", "rust-default-chain", "rust-profile-provider", "rust-imds-config",
            "rust-ecs"} <= families
    for scenario in scenarios:
        for target, expectation in scenario.expect_by_target.items():
            assert expectation.reason and expectation.reason.strip(), (scenario.name, target)


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("NoCredentialsError: Unable to locate credentials", "no-credentials"),
        ("PartialCredentialsError: Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY",
         "partial-credentials"),
        ("ProfileNotFound: The config profile (nope) could not be found", "profile-not-found"),
        ("/tmp/h/.aws/credentials, line 1: File contains no section headers", "config-file-error"),
        ("container credentials endpoint http://127.0.0.1:1/x answered HTTP 500", "container-error"),
        ("RuntimeError: Credentials were refreshed, but the refreshed credentials are still expired.",
         "expired-credentials"),
        ("NoAuthTokenError: Unable to locate authorization token", "no-credentials"),
        ("InvalidIMDSEndpointError: Invalid endpoint EC2 Instance Metadata endpoint: not a uri", "invalid-config"),
        ("InvalidRegionError: Provided region_name 'eu west 1' doesn't match a supported format.", "invalid-config"),
        ("ConfigValidationError: Invalid value for 'region': 'eu west 1'. Must be a valid AWS region identifier.",
         "invalid-config"),
        ("ValueError: Unsupported host 'None'. Can only retrieve metadata from a loopback address", "container-error"),
        ("IdentityChainError: ... EcsContainer: Auth token value is not a legal header value..", "container-error"),
        ("something else entirely", "other"),
    ],
)
def test_errors_are_classified(message: str, kind: str) -> None:
    assert classify_error(message) == kind


def test_a_resolver_no_fake_serves_is_refused() -> None:
    with pytest.raises(ScenarioFileError, match=r"settings.resolver: 'process' runs the profile's credential_process"):
        load_text("scenarios:\n  - name: a\n    settings: {resolver: process}\n    expect: {error: x}\n")
    (scenario,) = load_text("scenarios:\n  - name: a\n    settings: {resolver: imds}\n    expect: {error: x}\n")
    assert scenario.settings.resolver == "imds"
