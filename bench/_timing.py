"""Timing and reporting shared by the benchmarks: medians, and figures printed beside their peer.

Every figure is measured in the same run as the peer or floor it is compared with, so machine
noise hits both; the ratio is ours over the peer's cost (for a rate: the peer's rate over ours),
so 1.00x means "costs the same" and lower is better.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def median_ms(call: Callable[[], Any], calls: int, rounds: int) -> float:
    """Median over ``rounds`` of the median latency of ``calls`` calls, in milliseconds (one warm-up call)."""
    call()
    medians = []
    for _ in range(rounds):
        samples = []
        for _ in range(calls):
            start = time.perf_counter()
            call()
            samples.append(time.perf_counter() - start)
        medians.append(statistics.median(samples))
    return statistics.median(medians) * 1000


def interleaved_ms(calls: dict[str, Callable[[], Any]], n: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Median wall-clock and process CPU time (ms; all threads, the servers' included) of each
    call, the calls taking turns, ``n`` at a time, ``rounds`` times."""
    for call in calls.values():
        call()
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            for _ in range(n):
                start, cpu = time.perf_counter(), time.process_time()
                call()
                samples[name].append((time.perf_counter() - start, time.process_time() - cpu))
    return {
        name: (statistics.median(s[0] for s in values) * 1000, statistics.median(s[1] for s in values) * 1000)
        for name, values in samples.items()
    }


def process_env(**extra: str) -> dict[str, str]:
    """The environment for a measured process: bytecode caches on (as in any installed package), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def run_seconds(argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Wall-clock seconds of one whole process; it must succeed."""
    return run_times(argv, cwd, env)[0]


def run_times(
    argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None, *, check: bool = True
) -> tuple[float, float]:
    """Wall-clock seconds and CPU seconds (user + system, its own children included) of one whole
    process; it must succeed unless ``check`` is false (then a failure is only reported)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(list(argv), capture_output=True, text=True, cwd=cwd, env=env or process_env())
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 and not check:
        summary = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
        print(f"    note: {' '.join(argv[-3:])} exited {done.returncode}: {summary[0]}")
    elif done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@dataclass(frozen=True)
class Figure:
    """One measured figure beside the peer (or floor) measured in the same run."""

    what: str
    ours: float
    unit: str
    peer: str
    peer_value: float
    goal: str = ""
    higher_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        """Our cost over the peer's (1.00 = the same; lower is better); None when the peer's figure
        is too close to zero (or below it: a difference of medians) for a ratio to mean anything."""
        low = min(self.ours, self.peer_value) if self.higher_is_better else self.peer_value
        if low <= 0.001:
            return None
        return self.peer_value / self.ours if self.higher_is_better else self.ours / self.peer_value

    @property
    def ratio_text(self) -> str:
        return "-" if self.ratio is None else f"{self.ratio:.2f}x"

    def line(self, width: int = 52) -> str:
        goal = f"   goal {self.goal}" if self.goal else ""
        return (f"  {self.what:<{width}} {_number(self.ours):>9} {self.unit:<6} "
                f"{self.ratio_text:>6}  {self.peer} ({_number(self.peer_value)} {self.unit}){goal}")


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def print_figures(title: str, figures: Sequence[Figure]) -> None:
    print(title)
    width = max(len(f.what) for f in figures)
    for figure in figures:
        print(figure.line(width))


def python() -> str:
    return sys.executable


def bench_main(doc: str, measure: Callable[..., Sequence[Figure]], title: str, **options: tuple[int, int, int]) -> None:
    """Command line of a benchmark: ``--<option> N`` for each ``option=(default, lowest, highest)``;
    then ``measure(**values)`` and its figures under ``title`` (formatted with the values)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, (default, _, _) in options.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    args = vars(parser.parse_args())
    values = {name: max(low, min(args[name], high)) for name, (_, low, high) in options.items()}
    print_figures(title.format(**values), measure(**values))
