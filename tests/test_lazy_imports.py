"""An unused plugin loads nothing: the pytest11 entry point imports plugin.py in every run, so
its imports, and a whole run of tests that use none of the fixtures, must not pull in the fakes,
botocore, YAML or the scenarios. Checked by module, in fresh interpreters; no timing."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: What a run that never asks for the plugin's fixtures must not import.
HEAVY = (
    "botocore",
    "boto3",
    "yaml",
    "trustme",
    "cryptography",
    "pytest_bedrock_creds.servers",
    "pytest_bedrock_creds.scenarios.loader",
    "pytest_bedrock_creds.scenarios.schema",
    "pytest_bedrock_creds.scenarios.targets",
    "pytest_bedrock_creds.chain",
    "pytest_bedrock_creds.env",
    "pytest_bedrock_creds.ledger",
)


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_importing_the_plugin_loads_only_pytest() -> None:
    assert heavy(loaded_after("import pytest_bedrock_creds.plugin")) == []


def test_the_package_exports_load_on_first_use() -> None:
    modules = loaded_after("import pytest_bedrock_creds as p\nassert 'AwsEnv' in dir(p) and 'AwsEnv' in p.__all__")
    assert heavy(modules) == []
    modules = loaded_after("from pytest_bedrock_creds import AwsEnv")
    assert "pytest_bedrock_creds.env" in modules and "pytest_bedrock_creds.servers.bedrock" not in modules


def test_every_export_resolves_and_unknown_names_fail() -> None:
    import pytest_bedrock_creds
    import pytest_bedrock_creds.scenarios as scenarios

    for package in (pytest_bedrock_creds, scenarios):
        for name in package.__all__:
            assert getattr(package, name) is not None
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            package.nope  # noqa: B018


def test_a_run_that_uses_no_fixture_loads_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import sys

        def pytest_sessionfinish(session):
            with open("modules.txt", "w") as out:
                out.write("\\n".join(sorted(sys.modules)))
        """
    )
    pytester.makepyfile("def test_a():\n    pass\n\ndef test_b():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert "bedrock-creds:" in result.stdout.str()  # the plugin was loaded
    assert heavy(set((pytester.path / "modules.txt").read_text().split())) == []
