"""Each precedence case runs against the reference chain and a real boto3 client.

They must agree (scheme, attributed source and the very access key), except on the rows
of the README's "Known SDK divergences" table, where botocore must do exactly what the
row says it does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from precedence_cases import CASES, Case, Setup

from pytest_bedrock_creds import AwsEnv, AwsFiles
from pytest_bedrock_creds.chain import resolve
from pytest_bedrock_creds.probe import Observed, botocore_outcome, observed_from_resolution

README = Path(__file__).resolve().parents[1] / "README.md"


def matches(observed: Observed, expect: str, side: int) -> bool:
    """``expect`` is "<scheme> <source>" or "error: <reference words> | <botocore words>"."""
    if expect.startswith("error:"):
        words = [w.strip() for w in expect[len("error:"):].split("|")]
        wanted = words[min(side, len(words) - 1)]
        return observed.error is not None and wanted in observed.error
    scheme, source = expect.split(" ", 1)
    return observed.error is None and observed.scheme == scheme and observed.source == source


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES), "case ids are unique"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_and_botocore(case: Case, aws_env: AwsEnv, aws_files: AwsFiles) -> None:
    setup = Setup(aws_env, aws_files)
    case.setup(setup)
    settings = setup.service_settings()
    resolution = resolve(operation=case.operation, settings=settings)
    reference = observed_from_resolution(resolution)
    assert matches(reference, case.expect, 0), (
        f"reference: expected {case.expect!r}, got {reference.describe()}\n{resolution.explain()}"
    )
    real = botocore_outcome(aws_env.ledger, operation=case.operation, settings=settings)
    if case.divergence is None:
        assert matches(real, case.expect, 1), (
            f"botocore: expected {case.expect!r}, got {real.describe()}\nreference trace:\n{resolution.explain()}"
        )
        if reference.error is None:
            assert real.access_key_id == reference.access_key_id
    else:
        assert case.botocore is not None
        assert matches(real, case.botocore, 1), (
            f"divergence {case.divergence!r} no longer holds: botocore did {real.describe()}, "
            f"the table says {case.botocore!r}"
        )
        assert real != reference


def readme_divergences() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Known SDK divergences", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.MULTILINE))


def test_every_case_divergence_is_a_readme_row() -> None:
    used = {c.divergence for c in CASES if c.divergence}
    assert used <= readme_divergences(), f"not in the README table: {sorted(used - readme_divergences())}"
