"""Per-test cost of the fixtures, beside moto's ``mock_aws``, measured in the same run.

Writes suites of N trivial tests that each use one thing (nothing, ``aws_env``,
``aws_env`` + ``fake_bedrock`` + ``fake_imds``, ``with mock_aws():``), runs each as a whole
``pytest`` process several times, and prints the median extra cost per test over the bare
suite, and the ratio to moto. Not a test; loopback only.

    python bench/bench_per_test.py [--tests 300] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIANTS = {
    "bare": "def test_{i}():\n    pass\n",
    "aws_env": "def test_{i}(aws_env):\n    pass\n",
    "aws_env + fake_bedrock + fake_imds": "def test_{i}(aws_env, fake_bedrock, fake_imds):\n    pass\n",
    "moto mock_aws": "from moto import mock_aws\n\ndef test_{i}():\n    with mock_aws():\n        pass\n",
}


def _run(directory: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:langsmith_plugin", str(directory)],
        capture_output=True, text=True, cwd=directory,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{directory.name} failed:\n{done.stdout[-2000:]}")
    return elapsed


def _directory(root: Path, name: str) -> Path:
    return root / name.replace(" + ", "_").replace(" ", "_")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, template in VARIANTS.items():
            directory = _directory(root, name)
            directory.mkdir()
            head, _, test = template.rpartition("def ")
            body = "".join(("def " + test).format(i=i) for i in range(args.tests))
            (directory / "test_suite.py").write_text(head + body)
            (directory / "pytest.ini").write_text("[pytest]\n")
        for _ in range(args.runs):  # interleave the variants so machine noise hits them alike
            for name in VARIANTS:
                samples[name].append(_run(_directory(root, name)))
    bare = statistics.median(samples["bare"])
    per_test = {name: (statistics.median(times) - bare) / args.tests for name, times in samples.items()}
    moto = per_test["moto mock_aws"]
    print(f"extra cost per test over a bare suite ({args.tests} tests, median of {args.runs} whole-process runs)")
    for name, cost in per_test.items():
        if name != "bare":
            print(f"  {name:<38} {cost * 1000:7.2f} ms   {cost / moto:5.2f}x moto mock_aws")


if __name__ == "__main__":
    main()
