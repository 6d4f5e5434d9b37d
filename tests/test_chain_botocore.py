"""Where the guide is silent the reference chain reads like botocore: each modelled behaviour run
on both, and each place botocore departs from the standard shown (test names ending in
``_departure``; they become documented divergences).

Categories (issue 13): IMDS settings, environment, botocore's legacy sources, auth-scheme
preference, container, files. Region has its own file (``test_chain_region.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_bedrock_creds import AwsEnv, AwsFiles, FakeContainerCredentials, FakeImds, IssuedCredentials
from pytest_bedrock_creds.chain import Resolution, ServiceSettings, TraceStep, resolve
from pytest_bedrock_creds.probe import Observed, botocore_outcome

Outcome = tuple[str | None, str | None]


def step(result: Resolution, name: str) -> TraceStep:
    return next(s for s in result.trace if s.resolver == name)


def both(env: AwsEnv, settings: ServiceSettings | None = None,
         arm: Callable[[], object] | None = None) -> tuple[Resolution, Observed]:
    """The reference's and botocore's answers; ``arm`` (re)sets one-shot faults before each."""
    if arm:
        arm()
    ref = resolve(settings=settings)
    if arm:
        arm()
    return ref, botocore_outcome(env.ledger, settings=settings)


def pair(env: AwsEnv, settings: ServiceSettings | None = None,
         arm: Callable[[], object] | None = None) -> tuple[Outcome, Outcome]:
    ref, real = both(env, settings, arm)
    return (ref.scheme, ref.source), (real.scheme, real.source)


def botocore_sent(headers: tuple[str, ...]) -> dict[str, str | None]:
    """The named headers of the request a real boto3 client signs (caught at ``before-send``)."""
    import boto3
    from botocore.awsrequest import AWSResponse, HTTPHeaders

    seen: dict[str, str | None] = {}

    class Body:
        def stream(self, **_: Any) -> Any:
            yield b"{}"

    def capture(request: Any, **_: Any) -> AWSResponse:
        for name in headers:
            value = request.headers.get(name)
            seen[name] = value.decode() if isinstance(value, bytes) else value
        answer = HTTPHeaders()
        answer["Content-Type"] = "application/json"
        return AWSResponse(request.url, 200, answer, Body())

    client = boto3.Session().client("bedrock-runtime", endpoint_url="https://127.0.0.1:9")
    client.meta.events.register("before-send.bedrock-runtime", capture)
    client.list_async_invokes()
    return seen


# -- IMDS settings ---------------------------------------------------------------------------------------------


@pytest.fixture
def imds(aws_env: AwsEnv, fake_imds: FakeImds) -> FakeImds:
    fake_imds.add_role("app-role")
    return fake_imds


@pytest.mark.parametrize(("where", "fault"),
                         [("env", "token"), ("config", "role-list"), ("credentials", "credentials")])
def test_num_attempts_retries_a_failed_request(aws_env: AwsEnv, aws_files: AwsFiles, imds: FakeImds,
                                               where: str, fault: str) -> None:
    if where == "env":
        aws_env.set(AWS_METADATA_SERVICE_NUM_ATTEMPTS="2")
    else:
        aws_files.write_raw(where, "[default]\nmetadata_service_num_attempts = 2\n")  # type: ignore[arg-type]
    ref, real = pair(aws_env, arm=lambda: (imds.model.faults.clear(), imds.fail(fault, status=500, times=1)))
    assert ref == real == ("sigv4", "imds:app-role")
    assert "2 attempt(s)" in step(resolve(), "IMDS settings").reason


def test_one_attempt_gives_up_after_one_failure(aws_env: AwsEnv, imds: FakeImds) -> None:
    ref, real = pair(aws_env, arm=lambda: imds.fail("role-list", status=500, times=1))
    assert ref == real == (None, None)


def test_zero_attempts_ask_nothing(aws_env: AwsEnv, imds: FakeImds) -> None:
    aws_env.set(AWS_METADATA_SERVICE_NUM_ATTEMPTS="0")
    ref, real = pair(aws_env)
    assert ref == real == (None, None)


@pytest.mark.parametrize(("name", "value"), [
    ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "abc"), ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1.5"),
    ("AWS_METADATA_SERVICE_TIMEOUT", "1.5"), ("AWS_METADATA_SERVICE_TIMEOUT", "soon"),
])
def test_a_setting_that_is_not_an_integer_stops_even_environment_keys(aws_env: AwsEnv, name: str, value: str) -> None:
    aws_env.static_keys()
    aws_env.set(**{name: value})
    ref, real = both(aws_env)
    assert ref.error_kind == "invalid-config" and name in (ref.error or "")
    assert real.error is not None and "ValueError" in real.error


def test_settings_keys_skip_the_default_chain_and_its_checks(aws_env: AwsEnv) -> None:
    issued = aws_env.ledger.issue_credentials("static")
    settings = ServiceSettings(issued.access_key_id, issued.secret_access_key)
    aws_env.set(AWS_METADATA_SERVICE_NUM_ATTEMPTS="abc", AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE="IPv5")
    ref, real = pair(aws_env, settings)
    assert ref == real == ("sigv4", "static")


def test_an_invalid_mode_is_an_error_even_beside_an_endpoint(aws_env: AwsEnv, imds: FakeImds) -> None:
    aws_env.set(AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE="IPv5")
    ref, real = both(aws_env)
    assert ref.error_kind == "invalid-config"
    assert real.error is not None and "InvalidIMDSEndpointModeError" in real.error


def test_a_zero_timeout_is_an_error_when_imds_is_asked(aws_env: AwsEnv, imds: FakeImds) -> None:
    aws_env.set(AWS_METADATA_SERVICE_TIMEOUT="0")
    ref, real = both(aws_env)
    assert ref.error_kind == "invalid-config"
    assert real.error is not None and "HTTPClientError" in real.error


@pytest.mark.parametrize(("status", "expect"), [
    (400, None), (401, "imds:app-role"), (403, "imds:app-role"), (404, "imds:app-role"),
    (405, "imds:app-role"), (429, "imds:app-role"), (500, "imds:app-role"), (503, "imds:app-role"),
])
def test_which_token_statuses_fall_back_to_imdsv1(aws_env: AwsEnv, imds: FakeImds, status: int,
                                                  expect: str | None) -> None:
    imds.v1_enabled = True
    imds.fail("token", status=status)
    ref, real = pair(aws_env)
    assert ref[1] == real[1] == expect
    if expect:
        assert "IMDSv1" in step(resolve(), "IMDSCredentialsResolver").reason


def test_imdsv1_disabled_is_an_error_not_a_miss(aws_env: AwsEnv, imds: FakeImds) -> None:
    imds.fail("token", status=403)
    aws_env.set(AWS_EC2_METADATA_V1_DISABLED="true")
    ref, real = both(aws_env)
    assert ref.error_kind == "imds-error"
    assert real.error is not None and "MetadataRetrievalError" in real.error


def test_imds_endpoint_in_the_credentials_file(aws_env: AwsEnv, aws_files: AwsFiles, imds: FakeImds) -> None:
    aws_env.unset("AWS_EC2_METADATA_SERVICE_ENDPOINT")
    aws_files.write_raw("credentials", f"[default]\nec2_metadata_service_endpoint = {imds.url}\n")
    ref, real = pair(aws_env)
    assert ref == real == ("sigv4", "imds:app-role")
    assert "ec2_metadata_service_endpoint in [default] of" in step(resolve(), "IMDS settings").reason


def test_a_role_list_of_two_lines_names_no_role(aws_env: AwsEnv, imds: FakeImds) -> None:
    imds.add_role("second-role")
    ref, real = both(aws_env)
    assert (ref.scheme, real.scheme) == (None, None)
    assert "the role list has 2 lines" in step(ref, "IMDSCredentialsResolver").reason
    asked = [r.path for r in imds.requests if r.path.startswith("/latest/meta-data/iam/security-credentials/")]
    assert "/latest/meta-data/iam/security-credentials/app-rolesecond-role" in asked  # botocore's request


# -- environment ------------------------------------------------------------------------------------------------


def test_aws_security_token_is_not_read_departure(aws_env: AwsEnv) -> None:
    issued = aws_env.static_keys(session_token=True)
    aws_env.set(AWS_SECURITY_TOKEN="stale-token")
    result = resolve()
    assert result.session_token == issued.session_token
    assert "AWS_SECURITY_TOKEN is ignored" in step(result, "EnvironmentCredentialsResolver").reason
    assert botocore_sent(("X-Amz-Security-Token",)) == {"X-Amz-Security-Token": "stale-token"}


def test_aws_security_token_alone_departure(aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    aws_env.set(AWS_SECURITY_TOKEN="legacy-token")
    assert resolve().session_token is None
    assert botocore_sent(("X-Amz-Security-Token",)) == {"X-Amz-Security-Token": "legacy-token"}


@pytest.mark.parametrize(("value", "kind"), [
    ("not-a-date", "invalid-config"), ("tomorrow", "invalid-config"), ("1700000000", "invalid-config"),
    ("2020-01-01T00:00:00Z", "expired-credentials"), ("2099-01-01T00:00:00Z", None),
    ("2099-01-01T00:00:00+02:00", None), ("2099-01-01 00:00:00+00:00", None),
    ("2099-01-01T00:00:00", "invalid-config"), ("Jan 1 2099", "invalid-config"),
])
def test_aws_credential_expiration(aws_env: AwsEnv, value: str, kind: str | None) -> None:
    aws_env.static_keys(session_token=True)
    aws_env.set(AWS_CREDENTIAL_EXPIRATION=value)
    ref, real = both(aws_env)
    assert ref.error_kind == kind
    assert (real.error is None) == (kind is None), real.describe()
    if kind is None:
        assert (ref.source, ref.access_key_id) == (real.source, real.access_key_id)


def test_aws_credential_expiration_in_a_form_only_dateutil_reads_departure(aws_env: AwsEnv) -> None:
    aws_env.static_keys(session_token=True)
    aws_env.set(AWS_CREDENTIAL_EXPIRATION="Jan 1 2099 00:00 UTC")
    ref, real = both(aws_env)
    assert ref.error_kind == "invalid-config"
    assert (real.scheme, real.source) == ("sigv4", "env")


# -- botocore's legacy sources ------------------------------------------------------------------------------


def _legacy_world(env: AwsEnv, kind: str) -> str:
    issued = env.ledger.issue_credentials("static")
    if kind == "AWS_CREDENTIAL_FILE":
        path = env.home / "ec2-api-tools-credentials"
        path.write_text(f"AWSAccessKeyId={issued.access_key_id}\nAWSSecretKey={issued.secret_access_key}\n")
        env.set(AWS_CREDENTIAL_FILE=str(path))
    else:
        path = env.home / ("boto.cfg" if kind == "BOTO_CONFIG" else ".boto")
        path.write_text(f"[Credentials]\naws_access_key_id = {issued.access_key_id}\n"
                        f"aws_secret_access_key = {issued.secret_access_key}\n")
        if kind == "BOTO_CONFIG":
            env.set(BOTO_CONFIG=str(path))
    return issued.access_key_id


@pytest.mark.parametrize("kind", ["AWS_CREDENTIAL_FILE", "BOTO_CONFIG", "~/.boto"])
def test_legacy_sources_are_named_not_used_departure(aws_env: AwsEnv, kind: str) -> None:
    key = _legacy_world(aws_env, kind)
    ref, real = both(aws_env)
    assert ref.error_kind == "no-credentials"
    reason = step(ref, "BotocoreLegacySourcesResolver").reason
    assert "botocore-only legacy source" in reason and (kind.lstrip("~/") in reason or ".boto" in reason)
    assert real.access_key_id == key


def test_legacy_sources_come_after_the_files(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    _legacy_world(aws_env, "BOTO_CONFIG")
    aws_files.config_credentials()
    ref, real = pair(aws_env)
    assert ref == real == ("sigv4", "config-file:default")


# -- auth-scheme preference -------------------------------------------------------------------------------------


@pytest.fixture
def token_and_keys(aws_env: AwsEnv) -> AwsEnv:
    aws_env.bearer_token()
    aws_env.static_keys()
    return aws_env


@pytest.mark.parametrize("preference", ["SIGV4", "SigV4", "sigv4a"])
def test_a_preference_without_a_bedrock_scheme_leaves_the_token_in_env(token_and_keys: AwsEnv,
                                                                     preference: str) -> None:
    token_and_keys.set(AWS_AUTH_SCHEME_PREFERENCE=preference)
    ref, real = pair(token_and_keys)
    assert ref == real == ("bearer", "bearer:env")


@pytest.mark.parametrize("preference", ["SIGV4", "sigv4a"])
def test_a_preference_without_a_bedrock_scheme_in_code_departure(token_and_keys: AwsEnv, preference: str) -> None:
    settings = ServiceSettings(auth_scheme_preference=preference)
    ref, real = pair(token_and_keys, settings)
    assert ref == ("bearer", "bearer:env")
    assert real == ("sigv4", "env")  # botocore: any auth setting in code turns the token off


@pytest.mark.parametrize("in_code", [False, True])
def test_http_bearer_auth_first_without_a_token_is_an_error(aws_env: AwsEnv, in_code: bool) -> None:
    aws_env.static_keys()
    settings = ServiceSettings(auth_scheme_preference="httpBearerAuth,sigv4") if in_code else None
    if not in_code:
        aws_env.set(AWS_AUTH_SCHEME_PREFERENCE="httpBearerAuth,sigv4")
    ref, real = both(aws_env, settings)
    assert ref.error_kind == "no-credentials" and "no bearer token" in (ref.error or "")
    assert real.error is not None and "NoAuthTokenError" in real.error


def test_spaces_and_tabs_in_the_preference_are_ignored(token_and_keys: AwsEnv) -> None:
    ref, real = pair(token_and_keys, ServiceSettings(auth_scheme_preference=" sig v4 ,\thttpBearerAuth"))
    assert ref == real == ("sigv4", "env")


# -- container ------------------------------------------------------------------------------------------------


def test_relative_uri_wins_over_full_uri(aws_env: AwsEnv,
                                         fake_container_credentials: FakeContainerCredentials) -> None:
    fake_container_credentials.issue()
    aws_env.set(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="/v2/credentials/x")
    result = resolve()
    assert result.error_kind == "container-error"
    assert "refusing to contact http://169.254.170.2/v2/credentials/x" in (result.error or "")
    assert fake_container_credentials.requests == ()  # botocore is not run: it would ask 169.254.170.2


@pytest.mark.parametrize("host", ["169.254.170.23", "[fd00:ec2::23]"])
def test_eks_hosts_are_allowed_but_never_contacted_from_a_test(aws_env: AwsEnv, host: str) -> None:
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=f"http://{host}/v1/credentials")
    result = resolve()
    assert "only https URLs" not in (result.error or "")
    assert "refusing to contact" in (result.error or "")


@pytest.mark.parametrize("how", ["inline-crlf", "inline-lf", "file-trailing-newline"])
def test_a_token_with_a_line_break_is_an_error(aws_env: AwsEnv,
                                               fake_container_credentials: FakeContainerCredentials,
                                               how: str, tmp_path: Path) -> None:
    fake_container_credentials.issue()
    token = fake_container_credentials.auth_token
    assert token is not None
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=fake_container_credentials.full_uri)
    if how == "file-trailing-newline":
        (tmp_path / "token").write_text(token + "\n")
        aws_env.set(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(tmp_path / "token"))
    else:
        brk = "\r\n" if how == "inline-crlf" else "\n"
        aws_env.set(AWS_CONTAINER_AUTHORIZATION_TOKEN=token[:5] + brk + token[5:])
    ref, real = both(aws_env)
    assert ref.error_kind == "container-error" and "line break" in (ref.error or "")
    assert real.error is not None and "not a legal header value" in real.error


# -- files ------------------------------------------------------------------------------------------------


def written(env: AwsEnv, files: AwsFiles, kind: str, source: str, text: str) -> IssuedCredentials:
    """Issue keys for ``source`` and write ``text`` (with ``{key}`` and ``{secret}``) as the ``kind`` file."""
    issued = env.ledger.issue_credentials(source)
    files.write_raw(kind, text.format(key=issued.access_key_id, secret=issued.secret_access_key))  # type: ignore[arg-type]
    return issued


def test_keys_split_across_the_files_make_one_profile_departure(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    issued = written(aws_env, aws_files, "credentials", "shared-credentials-file:default",
                     "[default]\naws_access_key_id = {key}\n")
    aws_files.write_raw("config", f"[default]\naws_secret_access_key = {issued.secret_access_key}\n")
    ref, real = both(aws_env)
    assert (ref.scheme, ref.source, ref.secret_access_key) == (
        "sigv4", "shared-credentials-file:default", issued.secret_access_key)
    assert "the files are merged" in step(ref, "SharedCredentialsFileResolver").reason
    assert real.error is not None and "PartialCredentialsError" in real.error


def test_inline_comment_after_a_key_id_departure(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    issued = written(aws_env, aws_files, "credentials", "shared-credentials-file:default",
                     "[default]\naws_access_key_id = {key} # team key\naws_secret_access_key = {secret}\n")
    ref, real = both(aws_env)
    assert ref.access_key_id == issued.access_key_id
    assert real.access_key_id == f"{issued.access_key_id} # team key"


@pytest.mark.parametrize("order", ["prefixed-first", "prefixed-last"])
def test_profile_default_beats_default_wherever_it_is(aws_env: AwsEnv, aws_files: AwsFiles, order: str) -> None:
    plain = aws_env.ledger.issue_credentials("config-file:default")
    prefixed = aws_env.ledger.issue_credentials("config-file:default")
    sections = [f"[{name}]\naws_access_key_id = {c.access_key_id}\naws_secret_access_key = {c.secret_access_key}\n"
                for name, c in (("default", plain), ("profile default", prefixed))]
    aws_files.write_raw("config", "".join(sections if order == "prefixed-last" else sections[::-1]))
    ref, real = both(aws_env)
    assert ref.access_key_id == prefixed.access_key_id
    # botocore: the section that comes last wins (a departure when [default] is last)
    assert real.access_key_id == (prefixed.access_key_id if order == "prefixed-last" else plain.access_key_id)


def test_quoted_profile_name_departure(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    issued = written(aws_env, aws_files, "config", "config-file:dev",
                     '[profile "dev"]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n')
    aws_env.profile("dev")
    ref, real = both(aws_env)
    assert ref.error_kind == "profile-not-found"
    assert "is not a valid name" in (ref.error or "")
    assert real.access_key_id == issued.access_key_id  # botocore unquotes the name (shlex)


def test_duplicate_sections_merge_departure(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    issued = written(aws_env, aws_files, "credentials", "shared-credentials-file:default",
                     "[default]\naws_access_key_id = {key}\n[default]\naws_secret_access_key = {secret}\n")
    ref, real = both(aws_env)
    assert (ref.source, ref.access_key_id) == ("shared-credentials-file:default", issued.access_key_id)
    assert real.error is not None and "ConfigParseError" in real.error


def test_a_continuation_line_extends_the_value_in_both(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    issued = written(aws_env, aws_files, "credentials", "shared-credentials-file:default",
                     "[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n  -more\n")
    ref, real = both(aws_env)
    assert ref.secret_access_key == issued.secret_access_key + "\n-more"  # botocore signs with the same value
    assert real.access_key_id == ref.access_key_id


def test_tabs_and_spaces_in_a_section_header(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    written(aws_env, aws_files, "config", "config-file:dev",
            "[profile\tdev ]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
    aws_env.profile("dev")
    ref, real = pair(aws_env)
    assert ref == real == ("sigv4", "config-file:dev")


def test_key_names_and_section_names_case(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    written(aws_env, aws_files, "credentials", "shared-credentials-file:Default",
            "[Default]\nAWS_ACCESS_KEY_ID = {key}\nAws_Secret_Access_Key = {secret}\n")
    ref, real = pair(aws_env)
    assert ref == real == (None, None)  # section names are case-sensitive: [Default] is not [default]
    aws_env.profile("Default")
    ref, real = pair(aws_env)
    assert ref == real == ("sigv4", "shared-credentials-file:Default")  # key names are not
