"""Print the README's "Cost" table: every benchmark's figures beside their peers, with the date,
the machine and the versions. Each figure and its peer come from the same run.

    python bench/cost_table.py [--quick] [--baseline caaabeb]
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import sys

import bench_per_test
import bench_scenarios
import bench_startup
import bench_wire
from _timing import Figure

PACKAGES = ("pytest", "botocore", "boto3", "anthropic", "aws-sdk-bedrock-runtime", "pytest-httpserver", "moto")


def _versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return ", ".join([f"Python {platform.python_version()}", *found])


def _machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs{f' ({model})' if model else ''}, {platform.system()} {platform.machine()}"


def _value(value: float, unit: str) -> str:
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if unit == "s":
        return f"{value:.1f} s"
    return f"{value:.2f} {unit}" if value >= 0.1 else f"{value:.3f} {unit}"


def table(figures: list[Figure]) -> str:
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {_machine()}; {_versions()}.",
        "Produced by `python bench/cost_table.py`; each figure and its peer come from the same run.",
        "",
        "| what | ours | peer or floor, same run | ratio | goal |",
        "|---|---|---|---|---|",
    ]
    for f in figures:
        lines.append(f"| {f.what} | {_value(f.ours, f.unit)} | {f.peer}: {_value(f.peer_value, f.unit)} "
                     f"| {f.ratio_text} | {f.goal or '-'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a rough table)")
    parser.add_argument("--baseline", default=None, help="also time the scenario catalogue at this commit")
    args = parser.parse_args()
    quick = args.quick
    figures: list[Figure] = []
    for name, run in (
        ("scenarios", lambda: bench_scenarios.measure(1 if quick else 2, args.baseline)),
        ("start-up", lambda: bench_startup.measure(2000, 5 if quick else 15)),
        ("per test", lambda: bench_per_test.measure(100 if quick else 300, 1 if quick else 3)),
        ("wire", lambda: bench_wire.measure(50 if quick else 200, 2 if quick else 5)),
    ):
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        figures.extend(run())
    print(table(figures))


if __name__ == "__main__":
    main()
