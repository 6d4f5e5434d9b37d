"""Every way a user may load the plugin works once, with pytest's plugin autoloading on or off."""

from __future__ import annotations

import pytest

_TEST = """
def test_uses_a_fixture(aws_env):
    assert aws_env.active
"""


@pytest.mark.parametrize("autoload", ["on", "off"])
@pytest.mark.parametrize(
    ("how", "args"),
    [
        ('pytest_plugins = ["pytest_bedrock_creds.plugin"]', ()),
        ('pytest_plugins = ["pytest_bedrock_creds"]', ()),
        ('pytest_plugins = "pytest_bedrock_creds.plugin"', ()),
        ("", ("-p", "pytest_bedrock_creds.plugin")),
        ("", ("-p", "bedrock_creds")),
    ],
    ids=["conftest-module", "conftest-package", "conftest-string", "-p-module", "-p-entry-point"],
)
def test_the_plugin_loads_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, autoload: str, how: str, args: tuple[str, ...]
) -> None:
    if autoload == "off":
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    else:
        monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    pytester.makeconftest(how)
    pytester.makepyfile(_TEST)
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=1)
    assert result.stdout.str().count("bedrock-creds: isolate-env=") == 1  # one plugin, one header line
    assert "already registered" not in result.stdout.str() + result.stderr.str()


def test_without_autoload_and_unnamed_the_plugin_is_off(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(_TEST)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'aws_env' not found*"])


def test_no_bedrock_creds_still_turns_it_off(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["pytest_bedrock_creds"]')
    pytester.makepyfile(_TEST)
    result = pytester.runpytest_subprocess("-p", "no:bedrock_creds")
    result.assert_outcomes(errors=1)
    assert "bedrock-creds:" not in result.stdout.str()
