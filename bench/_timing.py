"""Timing shared by the benchmarks: medians of per-call latency over several rounds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


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
