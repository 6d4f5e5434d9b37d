"""The scenario catalogue (``pytest fixtures/``) serial and with ``-n 2``, beside a baseline commit.

With ``--baseline REV`` the tree at that commit is exported (``git archive``) and its own
``fixtures/`` run with its own code, taking turns with this tree's runs, so both meet the same
machine noise. Figures: the time per item serial beside the baseline's (the catalogue has
grown, so the whole run is also shown beside the baseline's whole run); ``-n 2`` beside this
tree serial. Not a test.

    python bench/bench_scenarios.py [--rounds 3] [--baseline caaabeb]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from _timing import ROOT, Figure, print_figures, process_env, python, run_times


def _suite(tree: Path, *extra: str) -> list[str]:
    return [python(), "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *extra,
            str(tree / "fixtures")]


def _export(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _items(tree: Path, cwd: Path, env: dict[str, str] | None = None) -> int:
    """How many items ``pytest fixtures/`` collects in ``tree`` (run from ``cwd``)."""
    done = subprocess.run([*_suite(tree), "--collect-only"], capture_output=True, text=True, cwd=cwd,
                          env=env or process_env())
    found = re.search(r"(\d+) tests? collected", done.stdout)
    if found is None:
        raise SystemExit(f"could not count the items in {tree}/fixtures:\n{done.stdout[-2000:]}")
    return int(found.group(1))


def measure(rounds: int = 3, baseline: str | None = None) -> list[Figure]:
    runs: dict[str, list[tuple[float, float]]] = {"serial": [], "-n 2": [], "baseline": []}
    with tempfile.TemporaryDirectory() as tmp:
        old = _export(baseline, Path(tmp)) if baseline else None
        old_env = process_env(PYTHONPATH=os.pathsep.join(filter(None, [str(old), os.environ.get("PYTHONPATH")])))
        for _ in range(rounds):
            runs["serial"].append(run_times(_suite(ROOT), cwd=ROOT))
            runs["-n 2"].append(run_times(_suite(ROOT, "-n", "2"), cwd=ROOT))
            if old is not None:
                # the baseline waits in real time: on a loaded machine its IMDS timeouts can fail items
                runs["baseline"].append(run_times(_suite(old), cwd=old, env=old_env, check=False))
        ours = _items(ROOT, ROOT)
        theirs = _items(old, old, old_env) if old is not None else 0
        print(f"    items: this tree {ours}" + (f", {baseline} {theirs}" if old is not None else ""))
    wall = {name: statistics.median(r[0] for r in values) for name, values in runs.items() if values}
    cpu = {name: statistics.median(r[1] for r in values) for name, values in runs.items() if values}
    for name in cpu:
        print(f"    {name}: wall {wall[name]:.1f} s, CPU (user + system, all processes) {cpu[name]:.1f} s")
    figures = []
    if baseline:
        figures.append(Figure(f"pytest fixtures/ serial, per item ({ours} items)", wall["serial"] / ours * 1000,
                              "ms", f"the same at {baseline} ({theirs} items)", wall["baseline"] / theirs * 1000,
                              "≤ 0.25x (4x faster)"))
        figures.append(Figure(f"pytest fixtures/ serial, whole catalogue ({ours} items)", wall["serial"], "s",
                              f"the same at {baseline} ({theirs} items)", wall["baseline"], "-"))
    figures.append(Figure("pytest fixtures/ -n 2", wall["-n 2"], "s", "this tree serial", wall["serial"],
                          "≤ 0.59x (1.7x faster)"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default=None, help="a commit to compare with, e.g. caaabeb")
    args = parser.parse_args()
    rounds = max(1, min(args.rounds, 20))
    print_figures(f"the scenario catalogue, whole processes (median of {rounds}; turns taken)",
                  measure(rounds, args.baseline))


if __name__ == "__main__":
    main()
