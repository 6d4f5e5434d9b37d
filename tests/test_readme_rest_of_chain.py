"""The examples in README's "The rest of the chain" run, as a user's suite runs them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## The rest of the chain\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_the_section_has_an_example_per_source() -> None:
    joined = "\n".join(_examples())
    for source in ("assume-role:", "web-identity:", "sso:", "process:"):
        assert f'source="{source}' in joined


def test_readme_examples_pass(pytester: pytest.Pytester) -> None:
    examples = _examples()
    for number, code in enumerate(examples):
        pytester.makepyfile(**{f"test_readme_{number}": code})
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider",
                                           "-o", "bedrock_network_guard=true")
    result.assert_outcomes(passed=len(examples))
