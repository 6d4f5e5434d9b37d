"""Per-test cost of the fixtures, beside pytest-httpserver's ``httpserver`` (and moto's ``mock_aws``),
measured in the same run.

Writes suites of N trivial tests that each use one thing (nothing; ``aws_env``; ``aws_env`` +
``aws_files`` + ``fake_bedrock`` + ``fake_imds``; ``httpserver``; ``with mock_aws():``) and runs
each as a whole ``pytest`` process, the suites taking turns. A tiny timing plugin records each
test's whole protocol (setup, call, teardown, report); the figure is the median per test minus
the bare suite's median. Whole-process times are printed beside, as a check. Not a test.

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
PEER = "pytest-httpserver httpserver"
VARIANTS = {
    "bare": "def test_{i}():\n    pass\n",
    "aws_env": "def test_{i}(aws_env):\n    pass\n",
    FOUR: "def test_{i}(aws_env, aws_files, fake_bedrock, fake_imds):\n    pass\n",
    PEER: "def test_{i}(httpserver):\n    pass\n",
    "moto mock_aws": "from moto import mock_aws\n\ndef test_{i}():\n    with mock_aws():\n        pass\n",
}

TIMER = '''
import json, time
_starts, _costs = {}, []

def pytest_runtest_logstart(nodeid):
    _starts[nodeid] = (time.perf_counter(), time.thread_time())

def pytest_runtest_logfinish(nodeid):
    wall, cpu = _starts.pop(nodeid)
    _costs.append((time.perf_counter() - wall, time.thread_time() - cpu))

def pytest_sessionfinish(session):
    with open("costs.json", "w") as out:
        json.dump(_costs, out)
'''


def _directory(root: Path, name: str) -> Path:
    return root / "".join(c if c.isalnum() else "_" for c in name)


def measure(tests: int = 300, runs: int = 3) -> list[Figure]:
    per_test: dict[str, list[list[float]]] = {name: [] for name in VARIANTS}
    whole: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, template in VARIANTS.items():
            directory = _directory(root, name)
            directory.mkdir()
            head, _, test = template.rpartition("def ")
            (directory / "test_suite.py").write_text(head + "".join(("def " + test).format(i=i) for i in range(tests)))
            (directory / "bench_timer.py").write_text(TIMER)
            (directory / "pytest.ini").write_text("[pytest]\n")
        for _ in range(runs):  # the variants take turns, so machine noise hits them alike
            for name in VARIANTS:
                directory = _directory(root, name)
                whole[name].append(run_seconds(
                    [python(), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                     "-p", "no:langsmith_plugin", "-p", "bench_timer", str(directory)],
                    cwd=directory, env=_env(directory)))
                per_test[name].extend(json.loads((directory / "costs.json").read_text()))
    cost, cpu = _over_bare(per_test, 0), _over_bare(per_test, 1)
    bare_whole = statistics.median(whole["bare"])
    for name in VARIANTS:
        print(f"    {name}: CPU {cpu[name]:+.3f} ms/test over bare; whole process (median of {runs}) "
              f"{(statistics.median(whole[name]) - bare_whole) / tests * 1000:+.2f} ms/test over bare")
    return [
        Figure(f"per test: {FOUR}", cost[FOUR], "ms", PEER, cost[PEER], "≤ 0.5 ms"),
        Figure("per test: aws_env", cost["aws_env"], "ms", PEER, cost[PEER]),
        Figure("per test: moto mock_aws (for reference)", cost["moto mock_aws"], "ms", PEER, cost[PEER]),
    ]


def _over_bare(per_test: dict[str, list[list[float]]], column: int) -> dict[str, float]:
    """Median per test (wall clock: column 0, CPU time: column 1) minus the bare suite's, in ms."""
    medians = {name: statistics.median(sample[column] for sample in samples) for name, samples in per_test.items()}
    return {name: (median - medians["bare"]) * 1000 for name, median in medians.items()}


def _env(directory: Path) -> dict[str, str]:
    env = process_env()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(directory), env.get("PYTHONPATH", "")) if p)
    return env


if __name__ == "__main__":
    bench_main(__doc__, measure, "extra cost per test over a bare test ({tests} tests x {runs} runs; median per test)",
               tests=(300, 10, 5000), runs=(3, 1, 20))
