"""What README.md and SECURITY.md claim about this suite matches the suite."""

from __future__ import annotations

import re
from pathlib import Path

from test_fuzz import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECURITY = (ROOT / "SECURITY.md").read_text(encoding="utf-8")


def test_the_fuzzing_counts_in_the_readme_are_the_suites() -> None:
    section = README.split("### Fuzzing", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| [^|]+ \| (\d[\d ]*) \|", section, flags=re.M))
    assert {name: int(count.replace(" ", "")) for name, count in rows.items()} == EXAMPLES


def test_the_readme_installs_from_a_checkout_not_from_an_index() -> None:
    assert "There is no release on PyPI yet: install it from a checkout" in README
    assert "python3 -m pip install './pytest-bedrock-creds[sdks]'" in README
    assert not re.search(r"^\s*(python3 -m )?pip install 'pytest-bedrock-creds(\[sdks\])?'?\s", README, flags=re.M)


def test_every_file_the_docs_name_exists() -> None:
    named = set(re.findall(r"`((?:tests|bench)/[\w/]+\.py)`", README + SECURITY))
    assert {"tests/test_fuzz.py", "bench/fuzz_bounds.py", "tests/test_restoration.py"} <= named
    places = [ROOT, *ROOT.glob("examples/*")]  # the example project's README paragraph names its own tests/
    assert [path for path in sorted(named) if not any((place / path).exists() for place in places)] == []
