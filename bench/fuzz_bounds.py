"""Time and memory each fuzzed input costs, over the generators of ``tests/test_fuzz.py``, run longer.

For each fuzzer: how many inputs, how many raised something other than the documented errors
("raw"), the median and the worst time per input (the five slowest inputs are timed again and
keep their best of four, so a scheduling stall of a busy machine is not taken for an input's
cost), and the worst peak of memory allocated while handling one input (``tracemalloc``, in a
second pass over the same inputs). Then the hand-made worst cases of the scenario loader
(billion laughs, deep nesting, files at the size limits).
Prints figures; not a test.

    python bench/fuzz_bounds.py [--inputs 2000]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import UnsatisfiedAssumption
from test_fuzz import (
    GIVEN,
    _dump,
    _load,
    test_a_damaged_frame_fails_loudly_in_the_client_decoder,
    test_a_scenario_that_loads_also_runs,
    test_credentials_documents,
    test_every_frame_we_encode_decodes_to_what_we_meant,
    test_ini_parser_and_chain_on_any_file,
    test_loader_on_any_document,
    test_loader_on_any_text,
    test_loader_on_mutated_catalogue_files,
)

from pytest_bedrock_creds import FakeBedrock, FakeContainerCredentials, FakeImds, Ledger
from pytest_bedrock_creds.chain.model import ConfigFileError
from pytest_bedrock_creds.chain.profiles import read_credentials_file
from pytest_bedrock_creds.scenarios import Runtime, ScenarioFileError, load_text
from pytest_bedrock_creds.scenarios.loader import MAX_CHARS

TESTS: dict[str, Any] = {
    "yaml-text": test_loader_on_any_text,
    "yaml-structured": test_loader_on_any_document,
    "yaml-mutated": test_loader_on_mutated_catalogue_files,
    "scenario-run": test_a_scenario_that_loads_also_runs,
    "ini": test_ini_parser_and_chain_on_any_file,
    "documents": test_credentials_documents,
    "eventstream-roundtrip": test_every_frame_we_encode_decodes_to_what_we_meant,
    "eventstream-mutated": test_a_damaged_frame_fails_loudly_in_the_client_decoder,
}


def _draw(name: str, count: int) -> list[tuple[Any, ...]]:
    drawn: list[tuple[Any, ...]] = []

    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.tuples(*GIVEN[name]))
    def collect(args: tuple[Any, ...]) -> None:
        drawn.append(args)

    collect()
    return drawn


def _measure(call: Callable[[], Any]) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        call()
        outcome = "ok"
    except UnsatisfiedAssumption:
        outcome = "invalid"
    except AssertionError:
        outcome = "assertion"
    except Exception as exc:  # noqa: BLE001 - the figure this bench exists for
        outcome = f"raw {type(exc).__name__}"
    return time.perf_counter() - start, outcome


def _peak(call: Callable[[], Any]) -> int:
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    try:
        call()
    except Exception:  # noqa: BLE001 - counted in the first pass
        pass
    return tracemalloc.get_traced_memory()[1] - before


def _row(label: str, inputs: int, raw: int, times: list[float], peak: int) -> None:
    print(f"{label:<24} {inputs:>7} {raw:>5} {statistics.median(times) * 1000:>10.2f} {max(times) * 1000:>10.1f} "
          f"{peak / 2**20:>10.2f}")


def _laughs(n: int) -> str:
    lines = ['a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * n) + "]" for i in range(1, n + 1)]
    return "\n".join([*lines, f"scenarios: *a{n}"]) + "\n"


def _hand_made() -> dict[str, str]:
    """Each at or just over a limit of the loader (MAX_CHARS, MAX_DEPTH, MAX_NODES)."""
    return {
        "billion laughs 9x9": _laughs(9),
        "billion laughs 30x30": _laughs(30),
        "flow nesting 130 000 deep": "scenarios: " + "[" * 130_000 + "]" * 130_000,
        "block nesting 500 deep": "scenarios:\n" + "".join(" " * i + "- \n" for i in range(500)),
        "256 KiB of list items": ("scenarios:\n" + "  - x\n" * 50_000)[: MAX_CHARS - 1],
        "19 995 values": "scenarios: [" + "1," * 19_991 + "1]\n",
        "20 001 values": "scenarios: [" + "1," * 20_000 + "1]\n",
        "20 000 aliases of one": "x: &a [1]\nscenarios: [" + "*a," * 19_999 + "*a]\n",
    }


def main() -> None:
    warnings.simplefilter("ignore")  # hypothesis warns about assume() outside a test: that is how inputs are skipped
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=2000)
    args = parser.parse_args()
    ledger = Ledger()
    with FakeBedrock(ledger=ledger) as bedrock, FakeImds(ledger=ledger) as imds, \
            FakeContainerCredentials(ledger=ledger) as container:
        runtime = Runtime(ledger, bedrock, imds, container)
        print(f"{'fuzzer':<24} {'inputs':>7} {'raw':>5} {'median ms':>10} {'max ms':>10} {'max MiB':>10}")
        raw_seen: dict[str, int] = {}
        for name, test in TESTS.items():
            inner = test.hypothesis.inner_test
            prefix = (runtime,) if name == "scenario-run" else ()
            if name == "yaml-structured":  # time the loader, not the making of the YAML text
                calls = [functools.partial(_load, _dump(document)) for (document,) in _draw(name, args.inputs)]
            else:
                calls = [functools.partial(inner, *prefix, *drawn) for drawn in _draw(name, args.inputs)]
            _measure(calls[0])  # warm-up: first-call costs (imports, regex compilation) are not an input's
            results = [_measure(call) for call in calls]
            # On a loaded machine one timing can include a scheduling stall: the slowest inputs are timed
            # three more times and keep their best, which is the input's own cost.
            for index in sorted(range(len(results)), key=lambda i: results[i][0])[-5:]:
                best = min(_measure(calls[index])[0] for _ in range(3))
                results[index] = (min(best, results[index][0]), results[index][1])
            for _, outcome in results:
                if outcome.startswith("raw") or outcome == "assertion":
                    raw_seen[f"{name}: {outcome}"] = raw_seen.get(f"{name}: {outcome}", 0) + 1
            tracemalloc.start()
            peak = max(_peak(call) for call in calls)
            tracemalloc.stop()
            ran = [t for t, outcome in results if outcome != "invalid"]
            _row(name, len(ran), sum(1 for _, o in results if o.startswith("raw") or o == "assertion"), ran, peak)
        print("\nhand-made worst cases of the scenario loader (each refused with a ScenarioFileError):")
        for label, text in _hand_made().items():
            elapsed, _ = _measure(functools.partial(_refusal, text))
            tracemalloc.start()
            peak = _peak(functools.partial(_refusal, text))
            tracemalloc.stop()
            print(f"  {label:<28} {len(text) / 1024:>6.0f} KiB {elapsed * 1000:>8.1f} ms {peak / 2**20:>8.2f} MiB  "
                  f"{_refusal(text)}")
        print("\nraw exceptions and failed checks:", raw_seen or "none")
        print("INI parse errors that quote a secret's value:", _ini_secret_quotes(args.inputs))


def _refusal(text: str) -> str:
    try:
        load_text(text)
    except ScenarioFileError as exc:
        return f"refused: {exc.problem[:60]}"
    return "loaded"


def _ini_secret_quotes(count: int) -> str:
    """How often the chain's parse error quotes a line that assigns a secret without '=' (issue 11)."""
    import tempfile

    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    lines = st.lists(st.sampled_from(["[default]", "aws_access_key_id = AKIAEXAMPLE", f"aws_secret_access_key {secret}",
                                      f"aws_secret_access_key: {secret}", f"aws_session_token\t{secret}", "junk",
                                      f"  {secret}", "region = us-east-1"]), min_size=1, max_size=6)
    drawn: list[list[str]] = []

    @settings(max_examples=count // 4, deadline=None, database=None, phases=[Phase.generate])
    @given(lines)
    def collect(value: list[str]) -> None:
        drawn.append(value)

    collect()
    quoted = errors = 0
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "credentials"
        for value in drawn:
            path.write_text("\n".join(value) + "\n")
            try:
                read_credentials_file(path)
            except ConfigFileError as exc:
                errors += 1
                quoted += secret in str(exc) or secret[:8] in str(exc)
    return f"{quoted} of {errors} errors ({len(drawn)} files)"


if __name__ == "__main__":
    main()
