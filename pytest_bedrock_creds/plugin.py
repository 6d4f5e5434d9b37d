"""pytest glue: options, ini settings, fixtures, the report header.

The only module of the package that imports pytest. Registered through the ``pytest11``
entry point as ``bedrock_creds`` (``-p no:bedrock_creds`` turns it off).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.files import AwsFiles
from pytest_bedrock_creds.ledger import Ledger

GROUP = "bedrock-creds"
_ISOLATE = "bedrock_isolate_env"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "pytest-bedrock-creds: hermetic AWS credentials for Bedrock code")
    group.addoption(
        "--bedrock-isolate-env",
        action="store_true",
        default=None,
        dest=_ISOLATE,
        help="run every test inside a hermetic AWS environment (as if it used the aws_env fixture). "
        "ini: bedrock_isolate_env",
    )
    parser.addini(
        _ISOLATE,
        type="bool",
        default=False,
        help="run every test inside a hermetic AWS environment (see --bedrock-isolate-env)",
    )


def _option(config: pytest.Config, name: str) -> bool:
    cli = config.getoption(name)
    return bool(cli) if cli is not None else bool(config.getini(name))


class _IsolateEnvEverywhere:
    """Registered only with --bedrock-isolate-env: every test gets ``aws_env``."""

    @pytest.fixture(autouse=True)
    def _bedrock_isolated_env(self, request: pytest.FixtureRequest) -> None:
        request.getfixturevalue("aws_env")


def pytest_configure(config: pytest.Config) -> None:
    if _option(config, _ISOLATE):
        config.pluginmanager.register(_IsolateEnvEverywhere(), "bedrock_creds_isolate_env")


def pytest_report_header(config: pytest.Config) -> str:
    isolate = "on" if _option(config, _ISOLATE) else "off"
    return f"bedrock-creds: isolate-env={isolate}"


# -- fixtures: overridable settings -> session owner -> function view -------------------


@pytest.fixture(scope="session")
def bedrock_creds_region() -> str | None:
    """The region ``aws_env`` sets in ``AWS_REGION``/``AWS_DEFAULT_REGION``; override to change it
    (``None`` leaves the region unset)."""
    return "us-east-1"


@pytest.fixture(scope="session")
def bedrock_ledger() -> Ledger:
    """The session's credential ledger: every fake credential is issued and attributed here."""
    return Ledger()


@pytest.fixture
def aws_env(bedrock_ledger: Ledger, bedrock_creds_region: str | None) -> Iterator[AwsEnv]:
    """A hermetic AWS environment for this test, restored exactly afterwards."""
    with AwsEnv(ledger=bedrock_ledger, region=bedrock_creds_region) as env:
        yield env


@pytest.fixture
def aws_files(aws_env: AwsEnv) -> AwsFiles:
    """Shared credentials and config files inside ``aws_env``'s temporary home."""
    return AwsFiles(aws_env)
