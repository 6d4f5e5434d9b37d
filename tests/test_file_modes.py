"""Files holding credentials are written as the AWS CLI writes them: 0600 in a 0700 ``.aws``;
``write_raw`` refuses text it cannot write without losing what was there."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import boto3
import pytest

from pytest_bedrock_creds import AwsEnv, AwsFiles, FakeContainerCredentials
from pytest_bedrock_creds.chain import resolve

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_credentials_and_config_files_are_0600_in_a_0700_dir(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    issued = aws_files.credentials("dev")
    aws_files.config("dev", region="eu-west-1")
    assert _mode(aws_env.home / ".aws") == 0o700
    assert _mode(aws_files.credentials_path) == 0o600
    assert _mode(aws_files.config_path) == 0o600
    aws_env.profile("dev")
    creds = boto3.Session().get_credentials()  # the SDK still reads them
    assert creds is not None and creds.access_key == issued.access_key_id


def test_write_raw_and_a_file_that_existed_with_another_mode(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    aws_files.credentials_path.write_text("[old]\n")
    aws_files.credentials_path.chmod(0o644)
    aws_files.write_raw("credentials", "[x]\naws_access_key_id = AKIA\n")
    assert _mode(aws_files.credentials_path) == 0o600
    aws_files.write_raw("config", b"[default]\n")
    assert _mode(aws_files.config_path) == 0o600


def test_the_container_token_file_is_0600(aws_env: AwsEnv, tmp_path: Path) -> None:
    with FakeContainerCredentials() as fake:
        variables = fake.env(token_file=tmp_path / "token")
        assert _mode(tmp_path / "token") == 0o600
        fake.issue()
        aws_env.set(**variables)
        assert resolve().source == "container"


def test_write_raw_refuses_a_lone_surrogate_and_keeps_what_was_there(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    issued = aws_files.credentials("dev")
    before = aws_files.credentials_path.read_bytes()
    with pytest.raises(ValueError, match=r"write_raw\('credentials', \.\.\.\).*'\\udc80' at index 7.*pass bytes"):
        aws_files.write_raw("credentials", "[dev]\n#\udc80\n")
    assert aws_files.credentials_path.read_bytes() == before  # nothing lost
    aws_files.credentials("other")  # and the object still works
    aws_env.profile("dev")
    assert resolve().access_key_id == issued.access_key_id


def test_write_raw_takes_bytes_for_content_that_is_not_utf8(aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    aws_files.write_raw("credentials", b"[default]\n# \xff\xfe\n")
    aws_files.credentials("dev")  # sections are appended after the raw bytes
    data = aws_files.credentials_path.read_bytes()
    assert data.startswith(b"[default]\n# \xff\xfe\n") and b"[dev]" in data
    result = resolve()
    assert result.error is not None and "not valid UTF-8" in result.error
    with pytest.raises(TypeError, match="needs str or bytes"):
        aws_files.write_raw("credentials", 42)  # type: ignore[arg-type]
