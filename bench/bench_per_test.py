"""Per-test cost of the fixtures, beside pytest-httpserver's ``httpserver`` (and moto's ``mock_aws``),
measured in the same process.

Writes one suite of N rounds of trivial tests, each round one test of every kind (nothing; ``aws_env``;
``aws_env`` + ``aws_files`` + ``fake_bedrock`` + ``fake_imds``; stand-ins for those four with the same
scopes and dependencies doing nothing, which is pytest's share; ``httpserver``; ``with mock_aws():``),
so the kinds take turns test by test, and runs it as a whole ``pytest`` process, ``runs`` times. A
tiny timing plugin records each test's whole protocol (setup, call, teardown, report); a kind's figure
is the median of its tests minus the median of the bare tests *of the same run*, and the printed
figure the median of that over the runs. (Separate processes per kind differed by up to 1.8x from
one run to the next on a shared machine; tests taking turns in one process see the same machine.)
Not a test.

    python bench/bench_per_test.py [--tests 300] [--runs 3]
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from pathlib import Path

from _timing import Figure, bench_main, process_env, python, run_seconds

FOUR = "aws_env + aws_files + fake_bedrock + fake_imds"
STAND_INS = "the same fixture graph, stand-ins doing nothing"
PEER = "pytest-httpserver httpserver"
#: kind -> (test arguments, test body)
KINDS = {
    "bare": ("", "pass"),
    "aws_env": ("aws_env", "pass"),
    FOUR: ("aws_env, aws_files, fake_bedrock, fake_imds", "pass"),
    STAND_INS: ("stand_in_env, stand_in_files, stand_in_bedrock, stand_in_imds", "pass"),
    PEER: ("httpserver", "pass"),
    "moto mock_aws": ("", "with mock_aws():\n        pass"),
}

TIMER = '''
import json, time
_starts, _costs = {}, []

def pytest_runtest_logstart(nodeid):
    _starts[nodeid] = (time.perf_counter(), time.thread_time())

def pytest_runtest_logfinish(nodeid):
    wall, cpu = _starts.pop(nodeid)
    kind = int(nodeid.rpartition("::test_")[2].split("_")[0])
    _costs.append((kind, time.perf_counter() - wall, time.thread_time() - cpu))

def pytest_sessionfinish(session):
    with open("costs.json", "w") as out:
        json.dump(_costs, out)
'''


#: The four fixtures' graph as the plugin declares it (the same scopes, dependencies, generators and
#: ``monkeypatch``), each fixture doing nothing: what pytest's fixture machinery costs for it.
STAND_IN_FIXTURES = '''
import pytest

@pytest.fixture(scope="session")
def stand_in_ledger(): return object()

@pytest.fixture(scope="session")
def stand_in_region(): return "us-east-1"

@pytest.fixture(scope="session")
def stand_in_verify(): return "strict"

@pytest.fixture
def stand_in_env(stand_in_ledger, stand_in_region, monkeypatch):
    yield object()

@pytest.fixture
def stand_in_files(stand_in_env): return object()

@pytest.fixture(scope="session")
def stand_in_bedrock_server(stand_in_ledger, stand_in_verify):
    yield object()

@pytest.fixture
def stand_in_bedrock(stand_in_bedrock_server, stand_in_env, stand_in_verify):
    yield stand_in_bedrock_server

@pytest.fixture(scope="session")
def stand_in_imds_server(stand_in_ledger):
    yield object()

@pytest.fixture
def stand_in_imds(stand_in_imds_server, stand_in_env):
    yield stand_in_imds_server
'''


def suite(tests: int) -> str:
    """``tests`` rounds, each one test per kind (``test_<kind index>_<round>``), kinds in turn."""
    lines = ["from moto import mock_aws\n"]
    for i in range(tests):
        for k, (arguments, body) in enumerate(KINDS.values()):
            lines.append(f"\ndef test_{k}_{i}({arguments}):\n    {body}\n")
    return "".join(lines)


def measure(tests: int = 300, runs: int = 3) -> list[Figure]:
    names = list(KINDS)
    over_bare: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "test_suite.py").write_text(suite(tests))
        (directory / "bench_timer.py").write_text(TIMER)
        (directory / "conftest.py").write_text(STAND_IN_FIXTURES)
        (directory / "pytest.ini").write_text("[pytest]\n")
        for _ in range(runs):
            run_seconds(
                [python(), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                 "-p", "no:langsmith_plugin", "-p", "bench_timer", str(directory)],
                cwd=directory, env=_env(directory))
            costs = json.loads((directory / "costs.json").read_text())
            medians = [
                (statistics.median(c[1] for c in costs if c[0] == k),
                 statistics.median(c[2] for c in costs if c[0] == k))
                for k in range(len(names))
            ]
            for k, name in enumerate(names):
                over_bare[name].append(((medians[k][0] - medians[0][0]) * 1000, (medians[k][1] - medians[0][1]) * 1000))
            print(f"    run: bare {medians[0][0] * 1000:.3f} ms/test; over bare: "
                  + ", ".join(f"{name} {over_bare[name][-1][0]:+.3f}" for name in names[1:]))
    cost = {name: statistics.median(v[0] for v in values) for name, values in over_bare.items()}
    cpu = {name: statistics.median(v[1] for v in values) for name, values in over_bare.items()}
    for name in names:
        print(f"    {name}: wall {cost[name]:+.3f} ms/test, CPU {cpu[name]:+.3f} ms/test over bare "
              f"(median of {runs} runs)")
    print(f"    {FOUR} over the stand-ins (the fixtures' own work): {cost[FOUR] - cost[STAND_INS]:+.3f} ms/test")
    return [
        Figure(f"per test: {FOUR}", cost[FOUR], "ms", PEER, cost[PEER], "≤ 0.5 ms"),
        Figure(f"per test: {STAND_INS} (pytest's share)", cost[STAND_INS], "ms", PEER, cost[PEER]),
        Figure("per test: aws_env", cost["aws_env"], "ms", PEER, cost[PEER]),
        Figure("per test: moto mock_aws (for reference)", cost["moto mock_aws"], "ms", PEER, cost[PEER]),
    ]


def _env(directory: Path) -> dict[str, str]:
    env = process_env()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(directory), env.get("PYTHONPATH", "")) if p)
    return env


if __name__ == "__main__":
    bench_main(__doc__, measure, "extra cost per test over a bare test ({tests} tests x {runs} runs; median per test)",
               tests=(300, 10, 5000), runs=(3, 1, 20))
