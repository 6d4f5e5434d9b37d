"""AwsFiles writes the exact INI forms the SDKs read, and merges repeated calls."""

from __future__ import annotations

import botocore.session
import pytest

from pytest_bedrock_creds import AwsEnv, AwsFiles


def test_sections_in_the_forms_sdks_read(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    dev = aws_files.credentials("dev")
    aws_files.config("default", region="eu-west-1")
    aws_files.config("dev", region="us-west-2")
    aws_files.sso_session("corp", sso_region="us-east-1", sso_start_url="https://example.awsapps.com/start")
    credentials = aws_files.credentials_path.read_text()
    config = aws_files.config_path.read_text()
    assert "[dev]\naws_access_key_id = " + dev.access_key_id in credentials
    assert "[default]\nregion = eu-west-1" in config
    assert "[profile dev]\nregion = us-west-2" in config
    assert "[sso-session corp]" in config
    aws_env.profile("dev")
    aws_env.unset("AWS_REGION", "AWS_DEFAULT_REGION")  # else the environment's region wins
    session = botocore.session.Session()
    assert session.get_config_variable("region") == "us-west-2"
    creds = session.get_credentials()
    assert creds is not None and creds.access_key == dev.access_key_id and creds.method == "shared-credentials-file"


def test_repeated_calls_merge_into_one_section(aws_files: AwsFiles) -> None:
    aws_files.config("dev", region="us-west-2")
    aws_files.config("dev", output="json")
    aws_files.config("dev", region="eu-central-1")
    text = aws_files.config_path.read_text()
    assert text.count("[profile dev]") == 1
    assert "region = eu-central-1" in text and "output = json" in text and "us-west-2" not in text


def test_issued_keys_are_attributed_to_their_file_and_profile(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    creds = aws_files.credentials("a", temporary=True)
    conf = aws_files.config_credentials("b")
    given = aws_files.config("c", aws_access_key_id="AKIAGIVENGIVENGIVEN0", aws_secret_access_key="x" * 40)
    assert creds.session_token and creds.access_key_id.startswith("ASIA")
    assert aws_env.ledger.source_of_key(creds.access_key_id) == "shared-credentials-file:a"
    assert aws_env.ledger.source_of_key(conf.access_key_id) == "config-file:b"
    assert given is not None and aws_env.ledger.source_of_key("AKIAGIVENGIVENGIVEN0") == "config-file:c"
    assert aws_files.config("d", region="x") is None


def test_write_raw_then_structured_sections_are_appended(aws_files: AwsFiles) -> None:
    aws_files.write_raw("credentials", "[broken\n")
    aws_files.credentials("ok")
    text = aws_files.credentials_path.read_text()
    assert text.startswith("[broken\n") and "[ok]" in text


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: f.credentials("bad]name"), "cannot contain"),
        (lambda f: f.credentials(""), "non-empty"),
        (lambda f: f.config("p", region="a\nb"), "line break"),
        (lambda f: f.config("p", **{"bad key": "v"}), "invalid key name"),
        (lambda f: f.credentials("p", aws_access_key_id="AKIAONLY"), "give both"),
        (lambda f: f.write_raw("cfg", "x"), "'credentials' or 'config'"),
    ],
)
def test_bad_input_names_what_is_wrong(aws_files: AwsFiles, call: object, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call(aws_files)  # type: ignore[operator]
