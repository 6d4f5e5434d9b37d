"""The plugin as users meet it: entry point, option group, fixtures, ini twin, xdist, opt-out."""

from __future__ import annotations

import pytest
from _pytester_helpers import run_with_switch

USER_TESTS = """
import os
import boto3

def test_env_keys(aws_env):
    creds = aws_env.static_keys()
    assert boto3.Session().get_credentials().access_key == creds.access_key_id

def test_files(aws_env, aws_files):
    issued = aws_files.credentials("dev")
    aws_env.profile("dev")
    assert boto3.Session().get_credentials().access_key == issued.access_key_id

def test_nothing_leaked_from_earlier_tests(aws_env):
    assert boto3.Session().get_credentials() is None
    assert "AWS_PROFILE" not in os.environ

def test_ambient_is_back_after(aws_env):
    pass

def test_ambient_still_here():
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAAMBIENTAMBIENT00"
"""


@pytest.fixture(autouse=True)
def _fast_subprocesses(monkeypatch: pytest.MonkeyPatch) -> None:
    # langsmith (pulled in by langchain-aws) registers a pytest plugin costing ~3 s per process.
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:langsmith_plugin")


@pytest.fixture
def ambient(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAAMBIENTAMBIENT00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "ambient")
    monkeypatch.setenv("AWS_PROFILE", "ambient-profile")


def test_help_shows_the_option_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*pytest-bedrock-creds*", "*--bedrock-isolate-env*", "*bedrock_isolate_env*"])


def test_fixtures_in_a_user_suite(pytester: pytest.Pytester, ambient: None) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["bedrock-creds: isolate-env=off, fake-imds=off*"])


def test_fixtures_under_xdist(pytester: pytest.Pytester, ambient: None) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=5)


ISOLATED = """
import os
def test_sees_no_ambient_credentials():
    assert "AWS_ACCESS_KEY_ID" not in os.environ
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
"""


@pytest.mark.parametrize("how", ["option", "ini"])
def test_isolate_env_everywhere(pytester: pytest.Pytester, ambient: None, how: str) -> None:
    pytester.makepyfile(test_iso=ISOLATED)
    result = run_with_switch(pytester, how, "bedrock_isolate_env")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["bedrock-creds: isolate-env=on, fake-imds=off*"])


def test_without_the_switch_nothing_runs_on_tests_that_did_not_ask(pytester: pytest.Pytester, ambient: None) -> None:
    pytester.makepyfile(test_iso=ISOLATED)
    pytester.runpytest_subprocess().assert_outcomes(failed=1)


def test_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_off="def test_uses(aws_env):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:bedrock_creds")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'aws_env' not found*"])
    assert "bedrock-creds:" not in result.stdout.str()


def test_region_fixture_is_overridable(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import pytest\n@pytest.fixture(scope='session')\ndef bedrock_creds_region():\n    return 'eu-west-1'\n"
    )
    pytester.makepyfile(test_r="import os\ndef test_r(aws_env):\n    assert os.environ['AWS_REGION'] == 'eu-west-1'\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


GUARDED = """
import socket

def test_swallows_the_error():
    try:
        socket.create_connection(("169.254.169.254", 80), timeout=0.5)
    except OSError:
        pass   # as botocore's IMDS fetcher does

def test_loopback_is_fine():
    server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
    socket.create_connection(server.getsockname()).close(); server.close()
"""


@pytest.mark.parametrize("how", ["option", "ini"])
def test_network_guard_fails_the_run_even_when_the_error_is_swallowed(pytester: pytest.Pytester, how: str) -> None:
    pytester.makepyfile(test_guarded=GUARDED)
    result = run_with_switch(pytester, how, "bedrock_network_guard")
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*network-guard=on*"])
    result.stdout.fnmatch_lines(["*1 attempt(s) to leave loopback were blocked, made by 1 test(s):*",
                                 "*test_guarded.py::test_swallows_the_error: getaddrinfo '169.254.169.254'*"])


def test_without_the_network_guard_nothing_is_blocked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_guarded=GUARDED.replace("169.254.169.254", "127.0.0.1"))
    pytester.runpytest_subprocess().assert_outcomes(passed=2)
