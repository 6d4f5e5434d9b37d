"""Nothing outlives a test: monkeypatch in any order, a working directory in the temporary home,
a run killed with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytest_bedrock_creds import AwsEnv

_ORDER_TESTS = '''
import os

import pytest


@pytest.fixture
def patched_before(monkeypatch):
    monkeypatch.setenv("MY_SETTING", "from-a-fixture")


def test_monkeypatch_first(monkeypatch, aws_env):
    monkeypatch.setenv("AWS_PROFILE", "inside")
    monkeypatch.setenv("HOME", str(aws_env.home / "elsewhere"))
    aws_env.set(AWS_REGION="eu-west-1")


def test_aws_env_first(aws_env, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "inside")
    monkeypatch.delenv("HOME")


def test_a_fixture_patched_before_aws_env(patched_before, aws_env, monkeypatch):
    monkeypatch.setenv("MY_SETTING", "inside")
    assert os.environ["MY_SETTING"] == "inside"


def test_chdir_into_the_temporary_home(aws_env):
    (aws_env.home / "work").mkdir()
    os.chdir(aws_env.home / "work")


@pytest.mark.parametrize("n", range(4))
def test_after(n):
    assert os.environ.get("AWS_PROFILE") == "outer"
    assert os.environ["HOME"] == os.environ["EXPECTED_HOME"]
    assert os.environ.get("AWS_REGION") == "outer-region"
    assert "MY_SETTING" not in os.environ
    assert os.getcwd() == os.environ["EXPECTED_CWD"]
'''


def test_environment_and_cwd_are_restored_whatever_the_fixture_order(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_order=_ORDER_TESTS)
    monkeypatch.setenv("AWS_PROFILE", "outer")
    monkeypatch.setenv("AWS_REGION", "outer-region")
    monkeypatch.setenv("HOME", str(pytester.path))
    monkeypatch.setenv("EXPECTED_HOME", str(pytester.path))
    monkeypatch.setenv("EXPECTED_CWD", str(Path.cwd()))
    monkeypatch.delenv("MY_SETTING", raising=False)
    # -p no:randomly: the "after" tests must run after the others
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)


_BEHIND_THE_PATCHERS_BACK = '''
import os

import pytest


@pytest.fixture
def patched_before(monkeypatch):
    monkeypatch.setenv("MY_SETTING", "from-a-fixture")


def _write_directly():
    os.environ["AWS_PROFILE"] = "written-directly"
    os.environ["AWS_BEARER_TOKEN_BEDROCK"] = "ABSKwrittenbyanSDK"  # as langchain-aws's ChatBedrockNovaSonic does
    os.environ["SOME_TOOL_SETTING"] = "written-directly"
    del os.environ["EXPECTED_HOME"]


def test_aws_env_alone(aws_env):
    _write_directly()


def test_monkeypatch_first(monkeypatch, aws_env):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    _write_directly()
    monkeypatch.setenv("SOME_TOOL_SETTING", "through-monkeypatch")


def test_aws_env_first(aws_env, monkeypatch, fake_bedrock):
    _write_directly()
    monkeypatch.delenv("AWS_CA_BUNDLE")
    aws_env.profile("set-by-aws-env")


def test_a_fixture_patched_before_aws_env(patched_before, aws_env):
    _write_directly()
    os.environ["MY_SETTING"] = "written-directly"


def test_the_test_undoes_its_monkeypatch_itself(patched_before, aws_env, monkeypatch):
    monkeypatch.undo()  # the sandbox goes with it: the test goes on in the environment it started in
    assert os.environ["AWS_PROFILE"] == "outer" and os.environ["MY_SETTING"] == "outer-setting"
    assert "AWS_EC2_METADATA_DISABLED" not in os.environ  # and the fixture's value does not come back after it


@pytest.mark.parametrize("n", range(3))
def test_after(n):
    assert os.environ.get("AWS_PROFILE") == "outer"
    assert "AWS_BEARER_TOKEN_BEDROCK" not in os.environ
    assert "SOME_TOOL_SETTING" not in os.environ
    assert os.environ.get("AWS_REGION") == "outer-region"
    assert os.environ.get("MY_SETTING") == "outer-setting"
    assert os.environ.get("EXPECTED_HOME") == os.environ["HOME"]
'''


def test_writes_behind_the_patchers_back_are_undone_too(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An SDK or a test that writes ``os.environ`` itself, not through ``monkeypatch``: after the test
    the environment is as it was before, whichever fixtures came first."""
    pytester.makepyfile(test_direct=_BEHIND_THE_PATCHERS_BACK)
    monkeypatch.setenv("AWS_PROFILE", "outer")
    monkeypatch.setenv("AWS_REGION", "outer-region")
    monkeypatch.setenv("MY_SETTING", "outer-setting")
    monkeypatch.setenv("HOME", str(pytester.path))
    monkeypatch.setenv("EXPECTED_HOME", str(pytester.path))
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    monkeypatch.delenv("SOME_TOOL_SETTING", raising=False)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)


def test_leaving_a_working_directory_inside_the_home(tmp_path: Path) -> None:
    before = os.getcwd()
    try:
        with AwsEnv() as env:
            (env.home / ".aws" / "deep").mkdir()
            os.chdir(env.home / ".aws" / "deep")
            home = env.home
        assert os.getcwd() == before
        assert not home.exists()
        with AwsEnv() as env:  # a directory elsewhere is the test's business: left as it is
            os.chdir(tmp_path)
        assert os.getcwd() == str(tmp_path)
    finally:
        os.chdir(before)


def test_through_a_patcher_the_patcher_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "outer")
    patcher = pytest.MonkeyPatch()
    with AwsEnv(patcher=patcher) as env:
        env.profile("inner")
    assert os.environ["AWS_PROFILE"] == "inner"  # the patcher's undo stack holds it
    patcher.undo()
    assert os.environ["AWS_PROFILE"] == "outer"


def _wait_for_lines(path: Path, count: int, process: subprocess.Popen[bytes]) -> list[str]:
    for _ in range(600):  # up to 60 s for a slow machine; no timing is asserted
        if path.exists():
            lines = path.read_text().splitlines()
            if len(lines) >= count:
                return lines
        if process.poll() is not None:
            raise AssertionError(f"the child ended early: {process.communicate()}")
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the child never wrote {path}")


_SCRIPT = """
import sys, time
from pathlib import Path
from pytest_bedrock_creds import AwsEnv, AwsFiles, FakeBedrock

with AwsEnv() as env, FakeBedrock() as fake:
    AwsFiles(env).credentials("dev")
    Path(sys.argv[1]).write_text(f"{env.home}\\n{Path(fake.ca_bundle).parent}\\n")
    time.sleep(120)
"""

_PYTEST_RUN = """
import time
from pathlib import Path

def test_waits_for_sigterm(aws_env, aws_files, fake_bedrock):
    aws_files.credentials("dev")
    Path({report!r}).write_text(f"{{aws_env.home}}\\n{{Path(fake_bedrock.ca_bundle).parent}}\\n")
    time.sleep(120)
"""


@pytest.mark.parametrize("how", ["script", "pytest"])
def test_sigterm_removes_the_temporary_home_and_the_tls_directory(tmp_path: Path, how: str) -> None:
    report = tmp_path / "paths.txt"
    if how == "script":
        command = [sys.executable, "-c", _SCRIPT, str(report)]
    else:
        (tmp_path / "test_sigterm.py").write_text(textwrap.dedent(_PYTEST_RUN.format(report=str(report))))
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path / "test_sigterm.py")]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    home, tls = (Path(p) for p in _wait_for_lines(report, 2, process))
    assert home.is_dir() and tls.is_dir() and (home / ".aws" / "credentials").exists()
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGTERM  # still killed by the signal, as without the handler
    assert not home.exists()
    assert not tls.exists()


def test_a_sigterm_handler_someone_else_installed_is_left_alone(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import signal, sys
        from pytest_bedrock_creds import AwsEnv
        def mine(signum, frame):
            pass
        signal.signal(signal.SIGTERM, mine)
        with AwsEnv():
            assert signal.getsignal(signal.SIGTERM) is mine
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
