"""A process that ran scenario targets (or recorded their results) freezes its objects at exit, and
only at exit: see pytest_bedrock_creds.scenarios.quick_exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from _pytester_helpers import MINE

#: Registered first, so it runs after anything registered later (atexit: last in, first out). It
#: reports how many objects were frozen at exit beyond those frozen at start (CPython freezes a few
#: hundred of its own at start-up).
REPORT_AT_EXIT = """
import atexit, gc, sys
_at_start = gc.get_freeze_count()
atexit.register(lambda: sys.stdout.write(f"frozen at exit: {gc.get_freeze_count() - _at_start}\\n"))
"""


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", REPORT_AT_EXIT + textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def test_freeze_at_exit_freezes_when_the_process_exits_and_not_before() -> None:
    out = _run("""
        from pytest_bedrock_creds.scenarios.quick_exit import freeze_at_exit
        freeze_at_exit()
        freeze_at_exit()  # registered once
        print("frozen now:", gc.get_freeze_count() - _at_start)
        print("handlers:", atexit._ncallbacks())
    """)
    assert "frozen now: 0" in out
    assert "handlers: 2" in out  # the report above, and one freeze
    frozen = int(out.split("frozen at exit: ")[1])
    assert frozen > 1000


def test_without_it_nothing_is_frozen() -> None:
    out = _run("import pytest_bedrock_creds.scenarios.quick_exit\n")
    assert "frozen at exit: 0" in out


@pytest.mark.parametrize("xdist", [(), ("-n", "2")])
def test_a_scenario_run_freezes_its_processes_at_exit(pytester: pytest.Pytester, xdist: tuple[str, ...]) -> None:
    # the conftest's handler is registered when each process configures, before any target runs
    pytester.makeconftest(REPORT_AT_EXIT.replace("sys.stdout.write(", "open(f'exit-{os.getpid()}.txt', 'w').write(")
                          .replace("import atexit, gc, sys", "import atexit, gc, os, sys"))
    pytester.makefile(".yaml", bedrock_creds_mine=MINE)
    result = pytester.runpytest_subprocess("--bedrock-targets=botocore", "-p", "no:langsmith_plugin",
                                           "-p", "no:cacheprovider", *xdist)
    result.assert_outcomes(passed=3)
    reports = sorted(p.read_text() for p in pytester.path.glob("exit-*.txt"))
    assert len(reports) == (3 if xdist else 1)  # the controller and two workers
    for report in reports:
        assert int(report.split("frozen at exit: ")[1]) > 1000, reports
