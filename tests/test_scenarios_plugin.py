"""The scenario collector as users run it (pytester): their own YAML files, options, ini, xdist, failures."""

from __future__ import annotations

import json

import pytest
from _pytester_helpers import MINE

IMDS = """\
scenarios:
  - name: instance-role
    imds: {roles: [app-role]}
    expect: {scheme: sigv4, source: "imds:app-role"}
"""

QUIET = ("-p", "no:langsmith_plugin", "-p", "no:cacheprovider")
TWO = ("--bedrock-targets=reference,botocore", "-p", "no:cacheprovider", "-p", "no:langsmith_plugin")


def test_a_users_own_yaml_files_are_collected_and_run(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bedrock_creds_mine=MINE)
    pytester.mkdir("deploy")
    (pytester.path / "deploy" / "ec2.bedrock.yaml").write_text(IMDS)
    (pytester.path / "deploy" / "unrelated.yaml").write_text("not: [a scenario\n")
    pytester.makepyfile(test_ordinary="def test_ok():\n    pass\n")
    result = pytester.runpytest_subprocess("-v", *TWO)
    result.assert_outcomes(passed=9)
    for line in ("*bedrock-creds: *scenario-targets=reference,botocore*",  # items may run in any order
                 "bedrock_creds_mine.yaml::env-keys[[]reference[]] PASSED*",
                 "bedrock_creds_mine.yaml::blank-token[[]botocore[]] PASSED*",
                 "deploy/ec2.bedrock.yaml::instance-role[[]botocore[]] PASSED*"):
        result.stdout.fnmatch_lines([line])
    result.stdout.fnmatch_lines([
        "*bedrock-creds conformance matrix*",
        "family*reference*botocore*",
        "ec2 * 1 agree * 1 agree*",
        "mine * 3 agree * 2 agree, 1 documented*",
    ])


def test_the_ini_setting_adds_scenario_paths(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nbedrock_scenarios = checks\n")
    pytester.mkdir("checks")
    (pytester.path / "checks" / "precedence.yaml").write_text(IMDS)
    (pytester.path / "other.yaml").write_text(IMDS)
    result = pytester.runpytest_subprocess("-v", *TWO)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["checks/precedence.yaml::instance-role[[]reference[]] PASSED*"])
    assert "other.yaml" not in result.stdout.str()


def test_a_malformed_file_fails_with_file_line_and_field(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bedrock_creds_bad="scenarios:\n  - name: a\n    evn: {AWS_PROFILE: x}\n"
                                                 "    expect: {error: no-credentials}\n")
    pytester.makefile(".yaml", bedrock_creds_broken="scenarios:\n  - name: a\n    expect: {error: x}}\n")
    result = pytester.runpytest_subprocess(*TWO)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([
        "*bedrock_creds_bad.yaml:3: scenarios[[]0[]].evn: unknown key 'evn'; allowed: *",
        "*bedrock_creds_broken.yaml:3: invalid YAML*",
    ])


def test_bedrock_targets_selects(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bedrock_creds_mine=MINE)
    result = pytester.runpytest_subprocess(*QUIET, "--collect-only", "-q", "--bedrock-targets=botocore")
    assert result.stdout.str().count("[botocore]") == 3
    assert "[reference]" not in result.stdout.str()


def test_the_ini_twin_selects_and_the_option_wins(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bedrock_creds_mine=MINE)
    pytester.makeini("[pytest]\nbedrock_targets = reference\n")
    only_ini = pytester.runpytest_subprocess("-p", "no:langsmith_plugin", "--collect-only", "-q").stdout.str()
    assert only_ini.count("[reference]") == 3 and "[botocore]" not in only_ini
    both = pytester.runpytest_subprocess(*QUIET, "--collect-only", "-q", "--bedrock-targets=botocore").stdout.str()
    assert both.count("[botocore]") == 3 and "[reference]" not in both


def test_an_unknown_target_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("-p", "no:langsmith_plugin", "--bedrock-targets=reference,boto")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--bedrock-targets: unknown target(s) [[]'boto'[]]*"])


def test_a_target_that_is_not_installed_is_skipped_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import sys\nsys.modules['anthropic'] = None  # as if it were not installed\n")
    pytester.makefile(".yaml", bedrock_creds_mine=MINE)
    result = pytester.runpytest_subprocess("-rs", "--bedrock-targets=reference,anthropic", "-p", "no:cacheprovider",
                                           "-p", "no:langsmith_plugin")
    result.assert_outcomes(passed=3, skipped=3)
    result.stdout.fnmatch_lines(["mine * 3 agree * 3 skipped",
                                 "SKIPPED [[]3[]] *anthropic: anthropic is not installed*"])


def test_a_failure_explains_itself_and_redacts_secrets(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bedrock_creds_wrong="""\
scenarios:
  - name: thinks-env-wins
    doc: a wrong belief about precedence
    settings: {access_key_id: AKIALITERALLITERAL01, secret_access_key: TopSecretLiteralValue1234567890abcdefghi}
    env_keys: issued
    expect: {scheme: sigv4, source: env}
""")
    result = pytester.runpytest_subprocess("--bedrock-targets=reference", *QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "scenario 'thinks-env-wins' (bedrock_creds_wrong.yaml:2, family wrong) on target reference",
        "  doc:      a wrong belief about precedence",
        "  expected: sigv4 from env in us-east-1",
        "  observed: sigv4 from static (key 'AKIALITERALLITERAL01') in us-east-1",
        "reference chain trace:",
        "*StaticCredentialsResolver: used*",
        "*EnvironmentCredentialsResolver: not reached*",
        "*wrong * 1 UNEXPECTED*",
    ])
    assert "TopSecretLiteralValue" not in result.stdout.str() + result.stderr.str()


def _results(path: str) -> list[tuple[str, str, str, str]]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    return sorted((r["family"], r["scenario"], r["target"], r["status"]) for r in data["results"])


def test_xdist_gives_the_same_complete_matrix(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bedrock_creds_mine=MINE)
    (pytester.path / "ec2.bedrock.yaml").write_text(IMDS)
    serial = pytester.runpytest_subprocess(*TWO, "--bedrock-matrix=serial.json")
    serial.assert_outcomes(passed=8)
    parallel = pytester.runpytest_subprocess(*TWO, "-n", "2", "--bedrock-matrix=parallel.json")
    parallel.assert_outcomes(passed=8)
    expected = _results(str(pytester.path / "serial.json"))
    assert len(expected) == 8
    assert ("mine", "blank-token", "botocore", "documented") in expected
    assert _results(str(pytester.path / "parallel.json")) == expected
    parallel.stdout.fnmatch_lines(["*bedrock-creds conformance matrix*", "mine * 3 agree * 2 agree, 1 documented*"])


def test_the_matrix_as_markdown(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bedrock_creds_mine=MINE)
    pytester.makeini("[pytest]\nbedrock_matrix = out/matrix.md\n")
    result = pytester.runpytest_subprocess(*TWO)
    result.stdout.fnmatch_lines(["conformance matrix written to *out/matrix.md"])
    text = (pytester.path / "out" / "matrix.md").read_text()
    assert text.startswith(
        "| family | reference | botocore |\n|---|---|---|\n| mine | 3 agree | 2 agree, 1 documented |"
    )
    row = ("| botocore | mine/blank-token | documented | bearer from bearer:<empty>, rejected: AccessDeniedException "
           "| botocore sends the blank token |")
    assert row in text


def test_a_matrix_path_needs_a_known_extension(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("-p", "no:langsmith_plugin", "--bedrock-matrix=matrix.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--bedrock-matrix matrix.txt: the extension must be .md, .json or .html*"])
