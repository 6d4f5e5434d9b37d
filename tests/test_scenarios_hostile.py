"""Hostile scenario files: each is refused with a ScenarioFileError naming the line, cheaply;
a value the loader accepts is one the run can use."""

from __future__ import annotations

import tracemalloc

import pytest
import yaml

from pytest_bedrock_creds.scenarios import ScenarioFileError, load_text, loader
from pytest_bedrock_creds.scenarios.loader import MAX_CHARS, MAX_DEPTH, MAX_NODES


@pytest.fixture(autouse=True, params=["libyaml", "pure-python"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every case with PyYAML's libyaml parser (when installed) and with its pure-Python one."""
    if request.param == "libyaml":
        if not hasattr(yaml, "CSafeLoader"):
            pytest.skip("PyYAML without libyaml")
        monkeypatch.setattr(loader, "_Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(loader, "_Loader", yaml.SafeLoader)
    return str(request.param)


def _laughs(n: int) -> str:
    """The classic: n levels of n aliases each, n**n values once expanded (418 bytes for 8)."""
    lines = ['a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * n) + "]" for i in range(1, n + 1)]
    return "\n".join([*lines, f"scenarios: *a{n}"]) + "\n"


def _refused(text: str) -> ScenarioFileError:
    with pytest.raises(ScenarioFileError) as refused:
        load_text(text, source="hostile.bedrock.yaml")
    return refused.value


@pytest.mark.parametrize("n", [8, 9, 12])
def test_billion_laughs_is_refused_without_expanding_it(n: int) -> None:
    tracemalloc.start()
    try:
        error = _refused(_laughs(n))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"more than {MAX_NODES} values here once the aliases are expanded" in str(error)
    assert error.line is not None and 1 < error.line <= n + 1  # the first anchor that grows too big
    assert peak < 20 * 2**20  # bytes: nothing was expanded (the old loader needed 1.45 GB for n=8)


def test_aliases_that_stay_small_still_work() -> None:
    first, second = load_text(
        "scenarios:\n"
        "  - name: a\n"
        "    env: &keys {AWS_ACCESS_KEY_ID: '{key:env}', AWS_SECRET_ACCESS_KEY: '{secret:env}'}\n"
        "    expect: &ok {scheme: sigv4, source: env}\n"
        "  - name: b\n"
        "    env: {<<: *keys, AWS_PROFILE: dev}\n"
        "    expect: *ok\n"
    )
    assert first.env == {"AWS_ACCESS_KEY_ID": "{key:env}", "AWS_SECRET_ACCESS_KEY": "{secret:env}"}
    assert second.env == {**first.env, "AWS_PROFILE": "dev"}
    assert second.expect == first.expect and (first.line, second.line) == (2, 5)


@pytest.mark.parametrize(
    "text",
    [
        "scenarios: " + "[" * 5000 + "]" * 5000,
        "scenarios: " + "{a: " * 5000 + "}" * 5000,
        "scenarios:\n" + "".join(" " * i + "- \n" for i in range(200)),
    ],
    ids=["flow-lists", "flow-mappings", "block-lists"],
)
def test_deep_nesting_is_refused_at_its_line(text: str) -> None:
    error = _refused(text)
    # libyaml stops at its own limit (1000) when it meets it first, while scanning ahead
    assert f"nested deeper than {MAX_DEPTH} levels" in str(error) or "exceeded maximum nesting depth" in str(error)
    assert error.line is not None


@pytest.mark.parametrize("text", ["scenarios: &a [*a]\n", "x: &m {k: *m}\nscenarios: [*m]\n",
                                  "scenarios:\n  - &s\n    name: a\n    doc: [*s]\n"])
def test_an_alias_inside_its_own_anchor_is_refused(text: str) -> None:
    assert "an alias refers to an anchor that contains it" in str(_refused(text))


def test_a_lone_surrogate_in_the_text_is_refused_at_its_line() -> None:
    error = _refused("doc: x\nscenarios: [\ud800]\n")  # only a str built in code can hold one
    assert error.line == 2 and "'\\ud800', a lone surrogate" in str(error)


def test_too_many_values_are_refused_while_parsing() -> None:
    error = _refused("scenarios: [" + "1," * MAX_NODES + "1]\n")
    assert f"more than {MAX_NODES} values" in str(error) and error.line == 1


def test_a_file_too_large_is_refused_before_parsing() -> None:
    error = _refused("doc: " + "x" * MAX_CHARS + "\nscenarios: []\n")
    assert f"at most {MAX_CHARS}" in str(error)


def _one(body: str) -> str:
    return "scenarios:\n  - name: a\n" + body + "    expect: {scheme: sigv4, source: env}\n"


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ("    env: {AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://[::1'}\n",
         "scenarios[0].env.AWS_EC2_METADATA_SERVICE_ENDPOINT", "only loopback URLs"),
        ("    env: {AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://[::1]:99999/x'}\n",
         "scenarios[0].env.AWS_CONTAINER_CREDENTIALS_FULL_URI", "only loopback URLs"),
        ("    imds: {faults: [{kind: delay, seconds: .inf}]}\n", "scenarios[0].imds.faults[0].seconds",
         "must be a finite number, not inf"),
        ("    imds: {faults: [{kind: delay, seconds: .nan}]}\n", "scenarios[0].imds.faults[0].seconds",
         "must be a finite number, not nan"),
        ("    imds: {faults: [{kind: delay, seconds: 3601}]}\n", "scenarios[0].imds.faults[0].seconds",
         "must be at most 60"),
        ("    imds: {faults: [{kind: fail, status: 99999}]}\n", "scenarios[0].imds.faults[0].status",
         "must be at most 599, not 99999"),
        ("    container: {faults: [{kind: fail, target: token}]}\n", "scenarios[0].container.faults[0].target",
         "one of credentials, any, or a path"),
        ("    imds: {faults: [{kind: fail, target: 'no path'}]}\n", "scenarios[0].imds.faults[0].target",
         "one of token, role-list, credentials, any"),
        ("    imds: {roles: [a/b]}\n", "scenarios[0].imds.roles", "'a/b' does not match"),
        ("    imds: {roles: {a/b: {}}}\n", "scenarios[0].imds.roles", "an IAM role name"),
        ('    env: {AWS_SESSION_TOKEN: "\\u0100"}\n    env_keys: issued\n', "scenarios[0].env.AWS_SESSION_TOKEN",
         "cannot be sent in an HTTP header"),
        ('    settings: {bearer_token: "\\u20ac"}\n', "scenarios[0].settings.bearer_token",
         "cannot be sent in an HTTP header"),
        ('    files: {credentials: {dev: {keys: issued, aws_session_token: "\\u0100"}}}\n',
         "scenarios[0].files.credentials.dev.aws_session_token", "cannot be sent in an HTTP header"),
        ("    env: {A=B: x}\n", "scenarios[0].env.A=B", "an environment variable name"),
        ("    env: {'': x}\n", "scenarios[0].env.", "an environment variable name"),
        ('    env: {AWS_PROFILE: "a\\0b"}\n', "scenarios[0].env.AWS_PROFILE", "no NUL character or lone surrogate"),
        ('    doc: "\\ud800"\n', "scenarios[0].doc", "no NUL character or lone surrogate"),
        ('    settings: {profile: "\\udc80"}\n', "scenarios[0].settings.profile", "lone surrogate"),
        ("    files: {credentials: {'a]b': issued}}\n", "scenarios[0].files.credentials.a]b", "a profile name"),
        ("    files: {config: {dev: {'re gion': x}}}\n", "scenarios[0].files.config.dev", "a setting name"),
        ('    files: {config: {dev: {region: "a\\nb"}}}\n', "scenarios[0].files.config.dev", "no line break"),
        ('    files: {credentials_raw: "\\ud800"}\n', "scenarios[0].files.credentials_raw", "lone surrogate"),
        ('    expect_by_target: {botocore: {error: x, reason: "\\0"}}\n',
         "scenarios[0].expect_by_target.botocore.reason", "NUL"),
    ],
)
def test_values_that_would_crash_the_run_are_refused_at_load(
    body: str, field: str, problem: str, yaml_parser: str
) -> None:
    error = _refused(_one(body))
    assert error.line == 3
    if yaml_parser == "libyaml" and ("\\ud8" in body or "\\udc" in body):
        assert error.problem == "invalid YAML: found invalid Unicode character escape code"  # libyaml refuses it first
        return
    assert error.field.startswith(field) and problem in error.problem, str(error)


def test_fault_targets_follow_the_servers() -> None:
    from pytest_bedrock_creds.servers.container import CONTAINER_TARGETS
    from pytest_bedrock_creds.servers.imds.model import IMDS_TARGETS

    for target in (*IMDS_TARGETS, "/latest/meta-data/iam/info"):
        load_text(_one(f"    imds: {{roles: [r], faults: [{{kind: fail, target: '{target}'}}]}}\n"))
    for target in CONTAINER_TARGETS:
        load_text(_one(f"    container: {{faults: [{{kind: fail, target: {target}}}]}}\n"))


@pytest.mark.parametrize("seconds", [float("inf"), float("nan"), -1])
def test_the_fakes_refuse_a_delay_that_is_not_finite(seconds: float) -> None:
    from pytest_bedrock_creds import FakeContainerCredentials, FakeImds

    for fake in (FakeImds(), FakeContainerCredentials()):
        with pytest.raises(ValueError, match="seconds must be a finite non-negative number"):
            fake.delay(seconds)
