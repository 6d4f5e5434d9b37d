"""The scenario catalogue (``pytest fixtures/``) serial and with ``-n 2``, beside a baseline commit.

With ``--baseline REV`` the tree at that commit is exported (``git archive``) and the items its
``fixtures/`` collects (scenario and target) are run by its own code and by this tree's code,
taking turns, so both meet the same machine noise: the same work, old code against new (the
catalogue has grown since; every item the baseline had still exists). Then this tree's whole
catalogue serial, with ``-n 2`` (target affinity on, the default) and with ``-n 2
--bedrock-target-affinity=off`` (xdist's own order). Not a test.

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


def _suite(*extra: str) -> list[str]:
    return [python(), "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *extra]


def _export(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _items(tree: Path, env: dict[str, str] | None = None) -> list[str]:
    """The node ids ``pytest fixtures/`` collects in ``tree`` (relative to it)."""
    done = subprocess.run([*_suite("--collect-only"), "fixtures"], capture_output=True, text=True, cwd=tree,
                          env=env or process_env())
    ids = [line for line in done.stdout.splitlines() if "::" in line and not line.startswith(" ")]
    if not ids or not re.search(r"\d+ tests? collected", done.stdout):
        raise SystemExit(f"could not collect {tree}/fixtures:\n{done.stdout[-2000:]}")
    return ids


def measure(rounds: int = 3, baseline: str | None = None) -> list[Figure]:
    runs: dict[str, list[tuple[float, float]]] = {"same items": [], "same items, baseline": [], "serial": [],
                                                  "-n 2": [], "-n 2, affinity off": []}
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        ours = _items(ROOT)
        if baseline:
            old = _export(baseline, Path(tmp) / "baseline")
            old_env = process_env(PYTHONPATH=os.pathsep.join(filter(None, [str(old), os.environ.get("PYTHONPATH")])))
            theirs = _items(old, old_env)
            same = [item for item in theirs if item in set(ours)]
            listing = Path(tmp) / "items.txt"
            listing.write_text("\n".join(same) + "\n")
            print(f"    items: this tree {len(ours)}, {baseline} {len(theirs)}, both {len(same)}")
        for _ in range(rounds):
            if baseline:
                runs["same items"].append(run_times(_suite(f"@{listing}"), cwd=ROOT))
                # the baseline waits in real time: on a loaded machine its IMDS timeouts can fail items
                runs["same items, baseline"].append(run_times(_suite(f"@{listing}"), cwd=old, env=old_env,
                                                              check=False))
            runs["serial"].append(run_times(_suite("fixtures"), cwd=ROOT))
            runs["-n 2"].append(run_times(_suite("-n", "2", "fixtures"), cwd=ROOT))
            runs["-n 2, affinity off"].append(run_times(_suite("-n", "2", "--bedrock-target-affinity=off", "fixtures"),
                                                        cwd=ROOT))
    wall = {name: statistics.median(r[0] for r in values) for name, values in runs.items() if values}
    cpu = {name: statistics.median(r[1] for r in values) for name, values in runs.items() if values}
    for name in cpu:
        print(f"    {name}: wall {wall[name]:.1f} s, CPU (user + system, all processes) {cpu[name]:.1f} s")
    if baseline:
        figures.append(Figure(f"pytest on {baseline}'s {len(same)} items, serial", wall["same items"], "s",
                              f"{baseline}'s code on them", wall["same items, baseline"], "≤ 0.25x (4x faster)"))
    figures.append(Figure(f"pytest fixtures/ -n 2 ({len(ours)} items)", wall["-n 2"], "s", "this tree serial",
                          wall["serial"], "≤ 0.59x (1.7x faster)"))
    figures.append(Figure(f"pytest fixtures/ -n 2 --bedrock-target-affinity=off ({len(ours)} items)",
                          wall["-n 2, affinity off"], "s", "this tree serial", wall["serial"], "-"))
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
