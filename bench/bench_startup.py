"""What the plugin costs a test run that does not use it, beside the same run without it.

* ``import pytest_bedrock_creds.plugin`` in a fresh interpreter with pytest already imported
  (what the ``pytest11`` entry point adds to every run), beside ``import pytest`` itself;
* collecting (``--collect-only``, twice ``runs`` times) and running 2,000 trivial tests with the
  plugin installed, beside the same runs with ``-p no:bedrock_creds``; the runs take turns. langsmith's pytest
  plugin (installed with langchain-aws) is switched off on both sides: its own start-up, about
  3 s here, would make any plugin's cost look smaller than it is.

Not a test.  ``python bench/bench_startup.py [--tests 2000] [--runs 15]``
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import tempfile
from pathlib import Path

from _timing import Figure, bench_main, process_env, python, run_seconds

_IMPORT = (
    "import time, sys\n"
    "{before}\n"
    "start = time.perf_counter()\n"
    "import {module}\n"
    "print(time.perf_counter() - start)\n"
)


def _import_ms(module: str, before: str = "") -> float:
    done = subprocess.run([python(), "-c", _IMPORT.format(before=before, module=module)],
                          capture_output=True, text=True, check=True, env=process_env())
    return float(done.stdout.strip()) * 1000


#: Heavy pytest plugins other packages install, switched off on both sides.
_UNRELATED = ("-p", "no:langsmith_plugin") if importlib.util.find_spec("langsmith") is not None else ()


def measure(tests: int = 2000, runs: int = 15) -> list[Figure]:
    ours, pytest_alone, total = [], [], []
    for _ in range(runs * 2):
        ours.append(_import_ms("pytest_bedrock_creds.plugin", before="import pytest"))
        pytest_alone.append(_import_ms("pytest"))
        total.append(_import_ms("pytest_bedrock_creds.plugin"))
    figures = [
        Figure("import pytest_bedrock_creds.plugin (pytest loaded)", statistics.median(ours), "ms",
               "import pytest", statistics.median(pytest_alone), "≤ 30 ms"),
        Figure("import pytest_bedrock_creds.plugin (cold, with pytest)", statistics.median(total), "ms",
               "import pytest", statistics.median(pytest_alone)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_trivial.py").write_text("".join(f"def test_{i}():\n    pass\n" for i in range(tests)))
        (root / "pytest.ini").write_text("[pytest]\n")
        base = [python(), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *_UNRELATED,
                str(root)]
        # the collect figure's goal is 3%, and one process's wall time here moves by about 10% from one run
        # to the next: twice the runs for it
        for label, extra, turns in (("collect", ["--collect-only"], runs * 2), ("run", [], runs)):
            with_plugin, without = [], []
            for _ in range(turns):
                with_plugin.append(run_seconds([*base, *extra], cwd=root))
                without.append(run_seconds([*base, *extra, "-p", "no:bedrock_creds"], cwd=root))
            figures.append(Figure(f"{label} {tests} trivial tests, plugin installed", statistics.median(with_plugin),
                                  "s", "-p no:bedrock_creds", statistics.median(without),
                                  "≤ 1.03x" if label == "collect" else ""))
    return figures


if __name__ == "__main__":
    bench_main(__doc__, measure, "an installed but unused plugin (medians of {runs} whole processes; turns taken)",
               tests=(2000, 10, 20000), runs=(15, 1, 50))
