"""Verdicts that cannot lie: every outcome carries the identity that arrived and the fake's
judgement, no test's credentials reach another test's verdict, and a scenario cannot pass
vacuously, be silently overridden, run a command or leave loopback."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from pathlib import Path

import boto3
import pytest

from pytest_bedrock_creds import AwsEnv, FakeBedrock, FakeContainerCredentials, FakeImds, Ledger
from pytest_bedrock_creds.chain import Resolution, TraceStep
from pytest_bedrock_creds.scenarios import Expectation, Observation, Runtime, ScenarioFileError, load_text, matches
from pytest_bedrock_creds.scenarios.operations import BOTO3_CALLS, SCENARIO_OPERATIONS, smithy_call
from pytest_bedrock_creds.scenarios.targets import run_target
from pytest_bedrock_creds.scenarios.world import Prepared
from pytest_bedrock_creds.servers.sigv4 import IncompleteSignature, SigV4Authorization

MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"

# -- the ledger: blank values and scopes -------------------------------------------------------------------


def test_blank_values_are_never_recorded(aws_env: AwsEnv) -> None:
    for blank in ("", " ", "\t"):
        with pytest.raises(ValueError, match="blank"):
            aws_env.ledger.record_token("bearer:env", blank)
        with pytest.raises(ValueError, match="blank"):
            aws_env.ledger.record_credentials("env", blank, "secret")
        assert aws_env.bearer_token(blank) == blank  # the variable is set all the same
        assert aws_env.ledger.token_for(blank) == ()


def test_a_key_from_a_closed_scope_is_stale() -> None:
    ledger = Ledger()
    with ledger.scope() as first:
        earlier = ledger.issue_credentials("env")
        assert ledger.source_of_key(earlier.access_key_id) == "env"
    with ledger.scope():
        attribution = ledger.attribute_key(earlier.access_key_id)
        assert attribution.source is None and attribution.issued == ()
        assert [c.scope for c in attribution.stale] == [first]
        assert "earlier test or scenario" in attribution.describe(earlier.access_key_id)
    session_wide = ledger.issue_credentials("static")
    with ledger.scope():
        assert ledger.source_of_key(session_wide.access_key_id) == "static", "scope 0 is seen everywhere"


def test_keys_of_an_earlier_test_are_refused_by_the_fake(bedrock_ledger: Ledger, bedrock_server: FakeBedrock) -> None:
    with AwsEnv(ledger=bedrock_ledger) as env:
        leftover = env.static_keys()
    with AwsEnv(ledger=bedrock_ledger) as env:
        env.attach(bedrock_server)
        env.set(AWS_ACCESS_KEY_ID=leftover.access_key_id, AWS_SECRET_ACCESS_KEY=leftover.secret_access_key)
        bedrock_server.reset()
        with pytest.raises(Exception, match="UnrecognizedClientException"):
            boto3.client("bedrock-runtime").converse(modelId=MODEL, messages=MESSAGES)
        auth = bedrock_server.last_request.auth
        assert (auth.source, auth.access_key_id) == (None, leftover.access_key_id)
        assert auth.error == "UnrecognizedClientException"
        with pytest.raises(AssertionError, match="in an earlier test or scenario, now closed: env"):
            bedrock_server.assert_auth(source="env")


BLANK_TOKEN_TEST = """\
def test_blank_token(aws_env):
    aws_env.bearer_token("")
    aws_env.bearer_token("   ")
"""
BLANK_TOKEN_SCENARIO = """\
scenarios:
  - name: empty-bearer-with-env-keys
    env: {AWS_BEARER_TOKEN_BEDROCK: ""}
    env_keys: issued
    expect: {scheme: sigv4, source: env}
    expect_by_target:
      botocore: {scheme: bearer, source: "bearer:<empty>", error: "rejected: AccessDeniedException", reason: blank}
"""


def test_verdicts_do_not_depend_on_test_order(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a_blank=BLANK_TOKEN_TEST)
    pytester.makefile(".yaml", bedrock_creds_b=BLANK_TOKEN_SCENARIO)
    args = ("-p", "no:randomly", "-p", "no:cacheprovider", "--bedrock-targets=reference,botocore", "-v")
    forward = pytester.runpytest_subprocess(*args, "test_a_blank.py", "bedrock_creds_b.yaml")
    backward = pytester.runpytest_subprocess(*args, "bedrock_creds_b.yaml", "test_a_blank.py")
    forward.assert_outcomes(passed=3)
    backward.assert_outcomes(passed=3)


# -- outcomes carry the identity and the fake's judgement ---------------------------------------------------


def _runtime(ledger: Ledger, bedrock: FakeBedrock, imds: FakeImds, container: FakeContainerCredentials) -> Runtime:
    return Runtime(ledger, bedrock, imds, container)


def _resolution(**identity: str | None) -> Resolution:
    return Resolution("Converse", "sigv4", "shared-credentials-file:default", "default",
                      (TraceStep("SharedCredentialsFileResolver", "used", "test"),), region="us-east-1",
                      **identity)  # type: ignore[arg-type]


@pytest.fixture
def runtime(bedrock_ledger: Ledger, bedrock_server: FakeBedrock, bedrock_imds_server: FakeImds,
            bedrock_container_server: FakeContainerCredentials, aws_env: AwsEnv) -> Runtime:
    aws_env.attach(bedrock_server)
    return _runtime(bedrock_ledger, bedrock_server, bedrock_imds_server, bedrock_container_server)


def _prepared(runtime: Runtime) -> Prepared:
    (scenario,) = load_text("scenarios:\n  - name: s\n    expect: {error: x}\n")
    from pytest_bedrock_creds.chain import ServiceSettings

    return Prepared(scenario, ServiceSettings(), None, set())


def test_the_reference_is_attributed_by_what_it_sends_not_by_its_label(runtime: Runtime) -> None:
    issued = runtime.ledger.issue_credentials("shared-credentials-file:default")
    commented = _resolution(access_key_id=issued.access_key_id + " # team key",
                            secret_access_key=issued.secret_access_key)
    observed = run_target("reference", _prepared(runtime), runtime, commented)
    assert observed.source == f"<unknown key '{issued.access_key_id} # team key'>"
    assert observed.rejected == "UnrecognizedClientException"
    assert not matches(observed, Expectation(scheme="sigv4", source="shared-credentials-file:default"))

    continued = _resolution(access_key_id=issued.access_key_id, secret_access_key=issued.secret_access_key + "\nmore")
    observed = run_target("reference", _prepared(runtime), runtime, continued)
    assert (observed.source, observed.signature_valid, observed.rejected) == (
        "shared-credentials-file:default", False, "InvalidSignatureException")
    assert not matches(observed, Expectation(scheme="sigv4", source="shared-credentials-file:default"))
    assert matches(observed, Expectation(scheme="sigv4", source="shared-credentials-file:default",
                                         signature_valid=False))

    fine = _resolution(access_key_id=issued.access_key_id, secret_access_key=issued.secret_access_key)
    observed = run_target("reference", _prepared(runtime), runtime, fine)
    assert (observed.source, observed.access_key_id, observed.signature_valid, observed.error) == (
        "shared-credentials-file:default", issued.access_key_id, True, None)
    assert matches(observed, Expectation(scheme="sigv4", source="shared-credentials-file:default"))


def test_a_rejected_request_never_matches_success() -> None:
    rejected = Observation("sigv4", "env", "AKIA", None, True, "UnrecognizedClientException",
                           "rejected: UnrecognizedClientException: The security token ... is invalid.")
    assert not matches(rejected, Expectation(scheme="sigv4", source="env"))
    assert matches(rejected, Expectation(error="rejected: UnrecognizedClientException"))
    assert matches(rejected, Expectation(scheme="sigv4", source="env", error="UnrecognizedClientException"))
    assert not matches(rejected, Expectation(scheme="sigv4", source="static", error="UnrecognizedClientException"))
    accepted = replace(rejected, rejected=None, error=None)
    assert matches(accepted, Expectation(scheme="sigv4", source="env"))
    assert not matches(accepted, Expectation(scheme="sigv4", source="env", error="rejected"))


STALE_SECURITY_TOKEN = """\
scenarios:
  - name: stale-security-token
    doc: botocore prefers AWS_SECURITY_TOKEN to AWS_SESSION_TOKEN
    env: {AWS_ACCESS_KEY_ID: "{key:env}", AWS_SECRET_ACCESS_KEY: "{secret:env}", AWS_SESSION_TOKEN: "{session:env}",
          AWS_SECURITY_TOKEN: "stale-token-from-yesterday"}
    expect: {scheme: sigv4, source: env}
"""


def test_a_scenario_whose_request_the_fake_rejected_fails(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bedrock_creds_stale=STALE_SECURITY_TOKEN)
    result = pytester.runpytest_subprocess("--bedrock-targets=botocore", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*observed: sigv4 from env (key 'ASIA*') in us-east-1, rejected: "
                                 "UnrecognizedClientException*"])
    assert "stale-token-from-yesterday" not in result.stdout.str()


# -- the fake records exactly what arrived ------------------------------------------------------------------


@pytest.mark.parametrize("key_id", ["AKIA WITH SPACES 0001", "", " ", "AKIA,COMMA", "a/b"])
def test_the_header_parser_keeps_the_key_id_as_it_arrived(key_id: str) -> None:
    header = (f"AWS4-HMAC-SHA256 Credential={key_id}/20261130/us-east-1/bedrock/aws4_request, "
              "SignedHeaders=host;x-amz-date, Signature=abc")
    assert SigV4Authorization.parse(header).access_key_id == key_id


def test_a_header_without_credential_records_no_key() -> None:
    with pytest.raises(IncompleteSignature) as info:
        SigV4Authorization.parse("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc")
    assert info.value.access_key_id is None
    with pytest.raises(IncompleteSignature) as info:
        SigV4Authorization.parse("AWS4-HMAC-SHA256 Credential=AKIA X/20261130/us-east-1, Signature=abc")
    assert info.value.access_key_id == "AKIA X/20261130/us-east-1"


@pytest.mark.parametrize("key_id", ["AKIA WITH SPACES 0001", " "])
def test_botocore_signs_with_any_key_id_and_the_fake_records_it(fake_bedrock: FakeBedrock, aws_env: AwsEnv,
                                                                 key_id: str) -> None:
    aws_env.set(AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY="s" * 40)
    with pytest.raises(Exception, match="UnrecognizedClientException"):
        boto3.client("bedrock-runtime").converse(modelId=MODEL, messages=MESSAGES)
    assert fake_bedrock.last_request.auth.access_key_id == key_id
    assert Observation.from_request(fake_bedrock.last_request).source == f"<unknown key {key_id!r}>"


# -- every operation has valid input on every target that has it -------------------------------------------


@pytest.mark.parametrize("operation", SCENARIO_OPERATIONS)
def test_every_operation_reaches_the_fake_through_boto3(fake_bedrock: FakeBedrock, aws_env: AwsEnv,
                                                         operation: str) -> None:
    aws_env.static_keys()
    method, params = BOTO3_CALLS[operation]
    client = boto3.client("bedrock-runtime")
    if operation == "InvokeModelWithBidirectionalStream":
        assert not hasattr(client, method), "boto3 grew a bidirectional stream method: drive it in the runner"
        return
    result = getattr(client, method)(**params)
    for _ in result.get("stream") or ():
        pass
    request = fake_bedrock.last_request
    assert (request.operation, request.status, request.auth.source) == (operation, 200, "env")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="aws-sdk-bedrock-runtime needs Python 3.12+")
@pytest.mark.parametrize("operation", SCENARIO_OPERATIONS)
def test_every_operation_reaches_the_fake_through_the_experimental_client(
    fake_bedrock: FakeBedrock, aws_env: AwsEnv, operation: str
) -> None:
    from aws_sdk_bedrock_runtime.client import AsyncBedrockRuntimeClient
    from aws_sdk_bedrock_runtime.config import AsyncBedrockRuntimeConfig

    aws_env.static_keys()

    async def run() -> bool:
        config = await AsyncBedrockRuntimeConfig.resolve(endpoint_uri=fake_bedrock.http_url, max_attempts=1)
        async with AsyncBedrockRuntimeClient(config=config) as client:
            call = smithy_call(client, operation)
            if call is None:
                return False
            await call()
            return True

    if not asyncio.run(run()):
        assert operation == "InvokeModelWithBidirectionalStream"
        return
    request = fake_bedrock.last_request
    assert (request.operation, request.status, request.auth.source) == (operation, 200, "env")


@pytest.mark.parametrize("operation", SCENARIO_OPERATIONS)
def test_every_operation_reaches_the_fake_from_the_reference(runtime: Runtime, operation: str) -> None:
    issued = runtime.ledger.issue_credentials("env")
    resolution = replace(_resolution(access_key_id=issued.access_key_id, secret_access_key=issued.secret_access_key),
                         operation=operation)
    observed = run_target("reference", _prepared(runtime), runtime, resolution)
    assert (observed.operation, observed.source, observed.error) == (operation, "env", None)


def test_an_operation_the_fake_does_not_serve_is_refused_at_load() -> None:
    with pytest.raises(ScenarioFileError, match=r"scenarios\[0\].operation: 'bedrock-agent-runtime:Retrieve'"):
        load_text("scenarios:\n  - name: a\n    operation: bedrock-agent-runtime:Retrieve\n    expect: {error: x}\n")


# -- a scenario's expectation can tell its candidates apart -------------------------------------------------


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("    env: {AWS_ACCESS_KEY_ID: '{key:env}', AWS_SECRET_ACCESS_KEY: '{secret:env}'}\n"
         "    files: {credentials_raw: \"[default]\\naws_access_key_id = {key:env}\\n"
         "aws_secret_access_key = {secret:env}\\n\"}\n",
         "the key id issued to 'env' stands in 2 places"),
        ("    files: {credentials: {default: issued}, config_raw: \"[default]\\naws_access_key_id = "
         "{key:shared-credentials-file:default}\\naws_secret_access_key = x\\n\"}\n",
         "the key id issued to 'shared-credentials-file:default' stands in 2 places"),
        ("    env_keys: issued\n    env: {AWS_PROFILE: '{key:env}'}\n",
         "the key id issued to 'env' stands in 2 places"),
        ("    settings: {access_key_id: AKIALITERAL000000001, secret_access_key: x}\n"
         "    env: {AWS_ACCESS_KEY_ID: AKIALITERAL000000001, AWS_SECRET_ACCESS_KEY: y}\n",
         "the literal key id 'AKIALITERAL000000001' stands in 2 places"),
        ("    files: {credentials: {dev: {aws_access_key_id: AKIALITERAL000000001, aws_secret_access_key: x}}}\n"
         "    env: {AWS_PROFILE: '{key:shared-credentials-file:dev}'}\n",
         "two different credentials carry the label 'shared-credentials-file:dev'"),
    ],
)
def test_indistinguishable_candidates_are_refused(body: str, problem: str) -> None:
    with pytest.raises(ScenarioFileError) as info:
        load_text("scenarios:\n  - name: a\n" + body + "    expect: {error: x}\n", source="x.yaml")
    assert problem in str(info.value)
    assert str(info.value).startswith("x.yaml:")


SWAPPED = """\
scenarios:
  - name: profile-default-prefixed-beats-plain-default-swapped
    doc: the sections swapped, the expectation kept; it must now fail
    files:
      config_raw: |
        [default]
        aws_access_key_id = {key:config-file:default}
        aws_secret_access_key = {secret:config-file:default}
        [profile default]
        aws_access_key_id = {key:config-file:default#plain}
        aws_secret_access_key = {secret:config-file:default#plain}
    expect: {scheme: sigv4, source: "config-file:default"}
"""


def test_two_pairs_for_one_source_are_told_apart(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bedrock_creds_swapped=SWAPPED)
    result = pytester.runpytest_subprocess("--bedrock-targets=reference,botocore", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*observed: sigv4 from config-file:default#plain*"])


# -- nothing is silently overridden; nothing runs a command or leaves loopback ------------------------------


@pytest.mark.parametrize(
    ("body", "where", "problem"),
    [
        ("    files: {config: {default: {ca_bundle: /x.pem}}}\n", "files.config.default.ca_bundle",
         "silently overridden"),
        ("    files: {config: {default: {max_attempts: '5'}}}\n", "files.config.default.max_attempts", "one attempt"),
        ("    env: {AWS_MAX_ATTEMPTS: '5'}\n", "env.AWS_MAX_ATTEMPTS", "silently overridden"),
        ("    env: {AWS_CA_BUNDLE: /x.pem}\n", "env.AWS_CA_BUNDLE", "silently overridden"),
        ("    env: {AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: IPv6}\n    imds: {roles: [r]}\n",
         "env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "without an endpoint"),
        ("    files: {config: {default: {ec2_metadata_service_endpoint_mode: IPv6}}}\n    imds: {roles: [r]}\n",
         "files.config.default.ec2_metadata_service_endpoint_mode", "without an endpoint"),
        ("    files: {config: {default: {metadata_service_timeout: '3'}}}\n",
         "files.config.default.metadata_service_timeout", "turns IMDS off"),
        ("    env: {AWS_EC2_METADATA_V1_DISABLED: 'true'}\n", "env.AWS_EC2_METADATA_V1_DISABLED", "turns IMDS off"),
        ("    files: {config: {default: {ec2_metadata_service_endpoint: 'http://169.254.169.254'}}}\n"
         "    imds: {roles: [r]}\n", "files.config.default.ec2_metadata_service_endpoint",
         "loopback URL or {imds-url}"),
        ("    env: {AWS_CONFIG_FILE: /etc/aws/config}\n", "env.AWS_CONFIG_FILE", "temporary home"),
        ("    env: {AWS_ENDPOINT_URL: 'http://127.0.0.1:1'}\n", "env.AWS_ENDPOINT_URL", "the fake's"),
        # variables are expanded once, then ~: a $HOME inside TEAM would stay literal (a path relative to the cwd)
        ("    env: {TEAM: $HOME/t, AWS_CONFIG_FILE: $TEAM/config}\n", "env.AWS_CONFIG_FILE", "temporary home"),
        ("    env: {AWS_CONFIG_FILE: $NOPE/config}\n", "env.AWS_CONFIG_FILE", "temporary home"),
        ("    env: {AWS_SHARED_CREDENTIALS_FILE: ~/../etc/credentials}\n", "env.AWS_SHARED_CREDENTIALS_FILE",
         "temporary home"),
        ("    env: {AWS_SHARED_CREDENTIALS_FILE: ~root/credentials}\n", "env.AWS_SHARED_CREDENTIALS_FILE",
         "temporary home"),
        ("    env: {BOTO_CONFIG: '${HOME}x/boto'}\n", "env.BOTO_CONFIG", "temporary home"),
        ("    env: {AWS_CONTAINER_CREDENTIALS_FULL_URI: '{container-url}/other'}\n",
         "env.AWS_CONTAINER_CREDENTIALS_FULL_URI", "only loopback URLs"),
        ("    env: {AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials'}\n",
         "env.AWS_CONTAINER_CREDENTIALS_FULL_URI", "only loopback URLs"),
    ],
)
def test_settings_the_runner_would_mask_are_refused(body: str, where: str, problem: str) -> None:
    with pytest.raises(ScenarioFileError) as info:
        load_text("scenarios:\n  - name: a\n" + body + "    expect: {error: x}\n", source="x.yaml")
    assert info.value.field == f"scenarios[0].{where}"
    assert problem in info.value.problem


DISGUISES = [
    "[default]\ncredential_process = touch {marker}\n",
    "[default]\ncredential_process: touch {marker}\n",
    "[default]\nCREDENTIAL_PROCESS=touch {marker}\n",
    "[default]\n  Credential_Process   :   touch {marker}\n",
    "[default]\nregion = us-east-1\n  credential_process = touch {marker}\n",
    "[default]\nrole_arn: arn:aws:iam::123456789012:role/r\nsource_profile = default\n",
    "[default]\nsso_start_url=https://example.awsapps.com/start\n",
    "[default]\nweb_identity_token_file: /tmp/t\n",
    "[default]\nlogin_session = x\n",
    "[default]\nendpoint_url = https://bedrock-runtime.us-east-1.amazonaws.com\n",
    "[sso-session   corp]\nsso_region = us-east-1\n",
    "[services  Corp]\nbedrock_runtime =\n  endpoint_url = https://x\n",
    "credential_process = touch {marker}\n[default]\n",  # before any section: our parser fails, the scan does not
]


@pytest.mark.parametrize("kind", ["credentials", "config"])
@pytest.mark.parametrize("text", DISGUISES)
def test_a_setting_that_runs_a_command_or_leaves_loopback_is_refused_in_any_disguise(kind: str, text: str) -> None:
    yaml_text = text.replace("{marker}", "/tmp/never").replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    with pytest.raises(ScenarioFileError) as info:
        load_text(f'scenarios:\n  - name: a\n    files: {{{kind}_raw: "{yaml_text}"}}\n    expect: {{error: x}}\n')
    assert info.value.field.startswith(f"scenarios[0].files.{kind}_raw")
    assert "no fake serves" in info.value.problem or "another endpoint" in info.value.problem


def test_botocore_would_have_read_the_disguised_setting() -> None:
    """The refusal is not academic: botocore's own parser accepts ':' and any case."""
    import tempfile

    from botocore.configloader import raw_config_parse

    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as handle:
        handle.write(DISGUISES[1].replace("{marker}", "/tmp/never") + DISGUISES[2].replace("[default]", "[profile x]")
                     .replace("{marker}", "/tmp/never"))
    parsed = raw_config_parse(handle.name)
    assert parsed["default"]["credential_process"] == "touch /tmp/never"
    assert parsed["profile x"]["credential_process"] == "touch /tmp/never"


def test_a_scenario_file_cannot_run_a_command(pytester: pytest.Pytester) -> None:
    marker = pytester.path / "ran"
    cases = "\n".join(
        f"  - name: c{i}\n    files: {{config_raw: \"{d.replace('{marker}', str(marker))}\"}}\n    expect: {{error: x}}"
        .replace("\n    files", "\n    files").replace("\n\"", '"')
        for i, d in enumerate(d.replace("\n", "\\n") for d in DISGUISES[:5])
    )
    pytester.makefile(".yaml", bedrock_creds_evil="scenarios:\n" + cases + "\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*bedrock_creds_evil.yaml:*files.config_raw*credential_process*"])
    assert not marker.exists()


@pytest.mark.parametrize(
    "env",
    [
        "{AWS_CONFIG_FILE: '~'}", "{AWS_CONFIG_FILE: '~/team/config'}", "{AWS_CONFIG_FILE: $HOME}",
        "{AWS_CONFIG_FILE: '${HOME}/team/config'}", "{AWS_CONFIG_FILE: ''}",
        "{TEAM: '~/team', AWS_CONFIG_FILE: '$TEAM/config'}", "{TEAM: '~/team', BOTO_CONFIG: '${TEAM}/boto'}",
        "{AWS_CONTAINER_CREDENTIALS_FULL_URI: '{container-url}?a=1'}",
        "{AWS_CONTAINER_CREDENTIALS_FULL_URI: /credentials}",  # no host: no socket can be opened
        "{AWS_EC2_METADATA_SERVICE_ENDPOINT: not a uri}",
    ],
)
def test_paths_in_the_home_and_urls_without_a_host_load(env: str) -> None:
    (scenario,) = load_text(f"scenarios:\n  - name: a\n    env: {env}\n    imds: {{}}\n    expect: {{error: x}}\n")
    assert scenario.env


# -- the scenario's world: files where the variables point, the container's host and token --------------------


def _prepare(text: str, runtime: Runtime, aws_env: AwsEnv) -> Prepared:
    from pytest_bedrock_creds.scenarios.world import prepare

    (scenario,) = load_text("scenarios:\n  - name: a\n" + text + "    expect: {error: x}\n")
    return prepare(scenario, aws_env, runtime)


@pytest.mark.parametrize("variable", ["$TEAM/credentials", "${TEAM}/credentials", "~/team/credentials",
                                      "$HOME/team/credentials"])
def test_files_are_written_where_the_variables_point(runtime: Runtime, aws_env: AwsEnv, variable: str) -> None:
    from pytest_bedrock_creds.chain import resolve

    _prepare(f"    env: {{TEAM: '~/team', AWS_SHARED_CREDENTIALS_FILE: '{variable}'}}\n"
             "    files: {credentials: {default: issued}}\n", runtime, aws_env)
    assert (aws_env.home / "team" / "credentials").is_file()
    assert not (aws_env.home / ".aws" / "credentials").exists()
    assert resolve().source == "shared-credentials-file:default"


@pytest.mark.parametrize("variable", ["", "~", "~/.aws", "$HOME/.aws/"])
def test_an_empty_or_directory_variable_leaves_the_file_at_its_default_place(runtime: Runtime, aws_env: AwsEnv,
                                                                             variable: str) -> None:
    from pytest_bedrock_creds.chain import resolve

    _prepare(f"    env: {{AWS_SHARED_CREDENTIALS_FILE: '{variable}'}}\n"
             "    files: {credentials: {default: issued}}\n", runtime, aws_env)
    assert (aws_env.home / ".aws" / "credentials").is_file()
    assert resolve().error_kind == "no-credentials", "the variable names no file, so the default one is not read"


def test_the_runner_never_writes_outside_the_home(runtime: Runtime, aws_env: AwsEnv, tmp_path: Path) -> None:
    from pytest_bedrock_creds.scenarios.world import prepare

    (scenario,) = load_text("scenarios:\n  - name: a\n    files: {credentials: {default: issued}}\n"
                            "    expect: {error: x}\n")
    outside = tmp_path / "credentials"
    with pytest.raises(ValueError, match="leaves the temporary home"):
        prepare(replace(scenario, env={"AWS_SHARED_CREDENTIALS_FILE": str(outside)}), aws_env, runtime)
    assert not outside.exists()


def test_the_container_can_be_named_localhost_and_its_token_can_end_in_a_newline(runtime: Runtime,
                                                                                  aws_env: AwsEnv) -> None:
    import os

    _prepare("    container: {host: localhost, token: file-newline}\n", runtime, aws_env)
    assert os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == runtime.container.full_uri.replace(
        "127.0.0.1", "localhost")
    token = runtime.container.auth_token
    with open(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], encoding="utf-8") as handle:
        assert handle.read() == f"{token}\n"
    _prepare("    container: {token: inline-newline}\n", runtime, aws_env)
    assert os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"] == f"{token}\n"
    assert os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == runtime.container.full_uri


def test_the_container_url_placeholder_is_the_full_credentials_uri(runtime: Runtime, aws_env: AwsEnv) -> None:
    import os

    _prepare("    container: {}\n    env: {AWS_CONTAINER_CREDENTIALS_FULL_URI: '{container-url}?a=1'}\n",
             runtime, aws_env)
    assert os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == runtime.container.full_uri + "?a=1"
