"""--bedrock-fake-imds, its ini twin and the marker, as a user's suite meets them."""

from __future__ import annotations

import pytest
from _pytester_helpers import run_with_switch

SUITE = """
import os
import boto3
import botocore.session
import pytest

def test_falls_through_to_the_instance_role():
    # No aws_env: the suite's own environment, with only the IMDS seam pointed at the fake.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        os.environ.pop(name, None)
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    creds = botocore.session.Session().get_credentials()
    assert creds is not None and creds.method == "iam-role"
    assert creds.access_key.startswith("ASIA")

def test_inside_aws_env(aws_env, bedrock_ledger):
    creds = botocore.session.Session().get_credentials()
    assert bedrock_ledger.source_of_key(creds.access_key) == "imds:bedrock-creds-role"

def test_with_the_fake_imds_fixture(fake_imds):
    assert fake_imds.requests == ()
"""

MARKED = """
import botocore.session
import pytest

@pytest.mark.bedrock_fake_imds(roles=["app-role"], v1_enabled=True)
def test_marked(aws_env, bedrock_ledger):
    creds = botocore.session.Session().get_credentials()
    assert bedrock_ledger.source_of_key(creds.access_key) == "imds:app-role"

@pytest.mark.bedrock_fake_imds(roles="web", v1_enabled=True)
def test_marker_configures_the_fixture(fake_imds):
    assert fake_imds.v1_enabled and fake_imds.credentials("web").source == "imds:web"

@pytest.mark.bedrock_fake_imds
def test_bare_marker_gives_the_default_role(aws_env, bedrock_ledger):
    creds = botocore.session.Session().get_credentials()
    assert bedrock_ledger.source_of_key(creds.access_key) == "imds:bedrock-creds-role"

def test_unmarked_sees_no_imds(aws_env):
    assert botocore.session.Session().get_credentials() is None

@pytest.mark.bedrock_fake_imds(roles=["late"], v1_enabled=True)
def test_marker_configures_the_fixture_asked_for_late(request):
    fake_imds = request.getfixturevalue("fake_imds")
    assert fake_imds.model.roles == ("late",) and fake_imds.v1_enabled

def test_the_next_fixture_has_no_marker_roles(fake_imds):
    assert fake_imds.model.roles == () and not fake_imds.v1_enabled
"""


@pytest.fixture(autouse=True)
def _fast_subprocesses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:langsmith_plugin")
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)


@pytest.mark.parametrize("how", ["option", "ini", "xdist"])
def test_every_test_sees_a_fake_imds(pytester: pytest.Pytester, how: str) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = run_with_switch(pytester, how, "bedrock_fake_imds", *(("-n", "2") if how == "xdist" else ()))
    result.assert_outcomes(passed=3)
    if how != "xdist":
        result.stdout.fnmatch_lines(["bedrock-creds: isolate-env=off, fake-imds=on (role 'bedrock-creds-role')*"])


def test_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_marked=MARKED)
    # in file order: the last test proves the marked test before it left nothing behind
    result = pytester.runpytest_subprocess("--strict-markers", "-p", "no:randomly")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["bedrock-creds: isolate-env=off, fake-imds=off*"])


def test_marker_with_wrong_arguments_is_a_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="import pytest\n@pytest.mark.bedrock_fake_imds(role='x')\ndef test_x():\n    pass\n"
    )
    result = pytester.runpytest_subprocess()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*bedrock_fake_imds takes only keyword arguments*['roles', 'v1_enabled']*role*"])


def test_option_with_the_plugin_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess("-p", "no:bedrock_creds", "--bedrock-fake-imds")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unrecognized arguments: --bedrock-fake-imds*"])
