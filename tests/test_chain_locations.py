"""Where the shared files are: the cross-SDK file-location suite, and botocore's reading where it is silent.

Provenance (family ``file-location``): ``smithy-lang/smithy-python``,
``packages/smithy-aws-core/tests/unit/config/test-data/config-file-location-tests.json`` (10 cases;
the AWS SDK for Rust keeps the same suite as ``file-location-tests.json``). Each case: environment,
platform and the platform's own home directory -> both file paths. botocore can only be asked on
this machine's platform, so the Windows cases are run on the reference alone.

The other tests are ours: an empty ``AWS_CONFIG_FILE``, ``~``, ``$VAR`` / ``${VAR}``, a directory,
a missing file, an empty ``HOME``, each run on the reference and on botocore.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_bedrock_creds import AwsEnv
from pytest_bedrock_creds.chain import resolve
from pytest_bedrock_creds.chain.locations import Platform, expand_path, file_locations
from pytest_bedrock_creds.probe import botocore_outcome


@dataclass(frozen=True)
class LocationCase:
    upstream: str
    environment: dict[str, str]
    platform: Platform
    config: str
    credentials: str
    language_home: str = "ignored"


W = "C:\\users\\user"
LOCATIONS = (
    LocationCase("User home is loaded from $HOME with highest priority on non-windows platforms.",
                 {"HOME": "/home/user", "USERPROFILE": "ignored", "HOMEDRIVE": "ignored", "HOMEPATH": "ignored"},
                 "linux", "/home/user/.aws/config", "/home/user/.aws/credentials"),
    LocationCase("User home is loaded using language-specific resolution on non-windows platforms when $HOME is "
                 "not set.", {"USERPROFILE": "ignored", "HOMEDRIVE": "ignored", "HOMEPATH": "ignored"},
                 "linux", "/home/user/.aws/config", "/home/user/.aws/credentials", language_home="/home/user"),
    LocationCase("User home is loaded from $HOME with highest priority on windows platforms.",
                 {"HOME": W, "USERPROFILE": "ignored", "HOMEDRIVE": "ignored", "HOMEPATH": "ignored"},
                 "windows", W + "\\.aws\\config", W + "\\.aws\\credentials"),
    LocationCase("User home is loaded from $USERPROFILE on windows platforms when $HOME is not set.",
                 {"USERPROFILE": W, "HOMEDRIVE": "ignored", "HOMEPATH": "ignored"},
                 "windows", W + "\\.aws\\config", W + "\\.aws\\credentials"),
    LocationCase("User home is loaded from $HOMEDRIVE$HOMEPATH on windows platforms when $HOME and $USERPROFILE "
                 "are not set.", {"HOMEDRIVE": "C:", "HOMEPATH": "\\users\\user"},
                 "windows", W + "\\.aws\\config", W + "\\.aws\\credentials"),
    LocationCase("User home is loaded using language-specific resolution on windows platforms when no "
                 "environment variables are set.", {}, "windows", W + "\\.aws\\config", W + "\\.aws\\credentials",
                 language_home=W),
    LocationCase("The default config location can be overridden by the user on non-windows platforms.",
                 {"AWS_CONFIG_FILE": "/other/path/config", "HOME": "/home/user"},
                 "linux", "/other/path/config", "/home/user/.aws/credentials"),
    LocationCase("The default credentials location can be overridden by the user on non-windows platforms.",
                 {"AWS_SHARED_CREDENTIALS_FILE": "/other/path/credentials", "HOME": "/home/user"},
                 "linux", "/home/user/.aws/config", "/other/path/credentials"),
    LocationCase("The default credentials location can be overridden by the user on windows platforms. (config)",
                 {"AWS_CONFIG_FILE": "C:\\other\\path\\config", "HOME": W},
                 "windows", "C:\\other\\path\\config", W + "\\.aws\\credentials"),
    LocationCase("The default credentials location can be overridden by the user on windows platforms.",
                 {"AWS_SHARED_CREDENTIALS_FILE": "C:\\other\\path\\credentials", "HOME": W},
                 "windows", W + "\\.aws\\config", "C:\\other\\path\\credentials"),
)


@pytest.mark.parametrize("case", LOCATIONS, ids=[c.upstream for c in LOCATIONS])
def test_file_location_suite(case: LocationCase) -> None:
    found = file_locations(case.environment, case.platform, case.language_home)
    assert (found.config, found.credentials) == (case.config, case.credentials)


@pytest.mark.parametrize("case", [c for c in LOCATIONS if c.platform == "linux" and "HOME" in c.environment],
                         ids=lambda c: c.upstream)
def test_file_location_suite_on_botocore(case: LocationCase, aws_env: AwsEnv) -> None:
    import botocore.session

    aws_env.unset("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    aws_env.set(**case.environment)
    session = botocore.session.Session()
    seen = [os.path.expanduser(os.path.expandvars(session.get_config_variable(name)))
            for name in ("config_file", "credentials_file")]
    assert seen == [case.config, case.credentials]


def test_home_is_the_password_database_home_without_home_on_linux_even_with_userprofile() -> None:
    found = file_locations({"USERPROFILE": "/elsewhere"}, "linux", "/home/pw")
    assert found.config == "/home/pw/.aws/config"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("~", "/h"), ("~/x", "/h/x"), ("$DIR/x", "/d/x"), ("${DIR}/x", "/d/x"), ("$NOPE/x", "$NOPE/x"),
     ("~$DIR", "/h/d"), ("a~/x", "a~/x"), ("~user/x", "~user/x")],
)
def test_expand_path(raw: str, expected: str) -> None:
    assert expand_path(raw, {"HOME": "/h", "DIR": "/d"}, "linux") == expected


# -- the same worlds on the reference chain and on botocore -----------------------------------------------------


def _outcomes(env: AwsEnv) -> tuple[tuple[str | None, str | None], tuple[str | None, str | None]]:
    ref, real = resolve(), botocore_outcome(env.ledger)
    return (ref.scheme, ref.source), (real.scheme, real.source)


def _write_config_keys(env: AwsEnv, path: Path) -> None:
    issued = env.ledger.issue_credentials("config-file:default")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[default]\naws_access_key_id = {issued.access_key_id}\n"
                    f"aws_secret_access_key = {issued.secret_access_key}\n")


@pytest.mark.parametrize(
    ("name", "value", "found"),
    [
        ("tilde", "~/custom/config", True),
        ("dollar-variable", "$MY_AWS_DIR/config", True),
        ("braced-variable", "${MY_AWS_DIR}/config", True),
        ("empty", "", False),
        ("whitespace", "  ", False),
        ("missing-file", "/nonexistent/bedrock-creds/config", False),
    ],
)
def test_aws_config_file_values(aws_env: AwsEnv, name: str, value: str, found: bool) -> None:
    custom = aws_env.home / "custom" / "config"
    _write_config_keys(aws_env, custom)
    _write_config_keys(aws_env, aws_env.home / ".aws" / "config")  # the default location holds other keys
    aws_env.set(AWS_CONFIG_FILE=value, MY_AWS_DIR=str(custom.parent))
    ref, real = _outcomes(aws_env)
    assert ref == real == (("sigv4", "config-file:default") if found else (None, None))
    if found:
        assert resolve().access_key_id == botocore_outcome(aws_env.ledger).access_key_id


def test_empty_shared_credentials_file_means_no_credentials_file(aws_env: AwsEnv) -> None:
    issued = aws_env.ledger.issue_credentials("shared-credentials-file:default")
    default = aws_env.home / ".aws" / "credentials"
    default.parent.mkdir(parents=True, exist_ok=True)
    default.write_text(f"[default]\naws_access_key_id={issued.access_key_id}\naws_secret_access_key=s\n")
    aws_env.set(AWS_SHARED_CREDENTIALS_FILE="")
    ref, real = _outcomes(aws_env)
    assert ref == real == (None, None)
    assert "an empty path" in resolve().trace[0].reason


def test_a_directory_is_no_file(aws_env: AwsEnv) -> None:
    _write_config_keys(aws_env, aws_env.config_path)
    aws_env.set(AWS_SHARED_CREDENTIALS_FILE=str(aws_env.home))
    ref, real = _outcomes(aws_env)
    assert ref == real == ("sigv4", "config-file:default")
    assert "a directory, read as no file" in resolve().trace[0].reason


def test_empty_home_puts_the_files_under_the_root(aws_env: AwsEnv) -> None:
    if Path("/.aws").exists():
        pytest.skip("this machine has a /.aws directory")
    aws_env.unset("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    aws_env.set(HOME="")
    found = file_locations(os.environ, "linux")
    assert (found.config, found.credentials) == ("/.aws/config", "/.aws/credentials")
    ref, real = _outcomes(aws_env)
    assert ref == real == (None, None)
