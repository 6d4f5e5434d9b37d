"""This project's suite runs with the network guard on (``bedrock_network_guard = true`` in
pyproject.toml): nothing may leave loopback; ``tests/test_network_guard.py`` proves it."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

# No timing in a test: hypothesis's default 200 ms deadline per example fails on a loaded CI
# machine (seen: 590 ms for an IMDS TTL check). Time and memory bounds are measured by
# bench/fuzz_bounds.py instead. (The aiobotocore environment has no hypothesis.)
try:
    from hypothesis import settings
except ImportError:  # pragma: no cover - tox -e aiobotocore
    pass
else:
    settings.register_profile("bedrock-creds", deadline=None)
    settings.load_profile("bedrock-creds")


@pytest.fixture(autouse=True)
def _inner_runs_leave_the_step_summary_alone(request: pytest.FixtureRequest) -> None:
    """A suite that pytester runs would append its matrix to this job's GitHub summary page."""
    if "pytester" in request.fixturenames:
        request.getfixturevalue("monkeypatch").delenv("GITHUB_STEP_SUMMARY", raising=False)
