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
from pytest_bedrock_creds.servers.bedrock import FakeBedrock, VerifyMode
from pytest_bedrock_creds.servers.container import FakeContainerCredentials
from pytest_bedrock_creds.servers.imds import FakeImds

GROUP = "bedrock-creds"
_ISOLATE = "bedrock_isolate_env"
_FAKE_IMDS = "bedrock_fake_imds"
#: The role every test sees with --bedrock-fake-imds or a bare @pytest.mark.bedrock_fake_imds.
DEFAULT_ROLE = "bedrock-creds-role"
_MARKER_ARGS = frozenset({"roles", "v1_enabled"})


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
    group.addoption(
        "--bedrock-fake-imds",
        action="store_true",
        default=None,
        dest=_FAKE_IMDS,
        help=f"every test sees a fake EC2 instance metadata service with one role ({DEFAULT_ROLE!r}), so code "
        "that falls through to instance credentials gets fake ones at once. ini: bedrock_fake_imds",
    )
    parser.addini(
        _FAKE_IMDS,
        type="bool",
        default=False,
        help="every test sees a fake IMDS with one role (see --bedrock-fake-imds)",
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


class _FakeImdsEverywhere:
    """Registered only with --bedrock-fake-imds: every test gets the fake IMDS."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            _use_fixture(item, "_bedrock_imds_for_test")


def _use_fixture(item: pytest.Item, name: str) -> None:
    names = getattr(item, "fixturenames", None)
    if isinstance(item, pytest.Function) and names is not None and name not in names:
        names.insert(0, name)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "bedrock_fake_imds(roles=('bedrock-creds-role',), v1_enabled=False): this test sees a fake EC2 instance "
        "metadata service with these roles (see --bedrock-fake-imds)",
    )
    if _option(config, _ISOLATE):
        config.pluginmanager.register(_IsolateEnvEverywhere(), "bedrock_creds_isolate_env")
    if _option(config, _FAKE_IMDS):
        config.pluginmanager.register(_FakeImdsEverywhere(), "bedrock_creds_fake_imds")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("bedrock_fake_imds") is not None:
            _use_fixture(item, "_bedrock_imds_for_test")


def pytest_report_header(config: pytest.Config) -> str:
    isolate = "on" if _option(config, _ISOLATE) else "off"
    imds = f"on (role {DEFAULT_ROLE!r})" if _option(config, _FAKE_IMDS) else "off"
    return f"bedrock-creds: isolate-env={isolate}, fake-imds={imds}"


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


@pytest.fixture(scope="session")
def bedrock_verify() -> VerifyMode:
    """How ``fake_bedrock`` treats bad auth: ``"strict"`` rejects as AWS does, ``"record"`` only records.
    Override in your ``conftest.py``; a test may also set ``fake_bedrock.verify``."""
    return "strict"


@pytest.fixture(scope="session")
def bedrock_server(bedrock_ledger: Ledger, bedrock_verify: VerifyMode) -> Iterator[FakeBedrock]:
    """The session's FakeBedrock (one per xdist worker). Tests use ``fake_bedrock``."""
    with FakeBedrock(ledger=bedrock_ledger, verify=bedrock_verify) as server:
        yield server


@pytest.fixture
def fake_bedrock(bedrock_server: FakeBedrock, aws_env: AwsEnv, bedrock_verify: VerifyMode) -> Iterator[FakeBedrock]:
    """A fake Bedrock Runtime endpoint, reset for this test, that ``aws_env`` points boto3 at
    (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` and ``AWS_CA_BUNDLE``). Errors inside it fail the test."""
    bedrock_server.reset()
    bedrock_server.verify = bedrock_verify
    aws_env.attach(bedrock_server)
    yield bedrock_server
    bedrock_server.check()


# -- fake IMDS and container credentials ------------------------------------------------


@pytest.fixture(scope="session")
def bedrock_imds_server(bedrock_ledger: Ledger) -> Iterator[FakeImds]:
    """The session's FakeImds (one per xdist worker). Tests use ``fake_imds``."""
    with FakeImds(ledger=bedrock_ledger) as server:
        yield server


def _configure_imds(server: FakeImds, request: pytest.FixtureRequest, default_roles: tuple[str, ...]) -> None:
    server.reset()
    marker = request.node.get_closest_marker("bedrock_fake_imds")
    options = dict(marker.kwargs) if marker is not None else {}
    unknown = set(options) - _MARKER_ARGS
    if marker is not None and (marker.args or unknown):
        raise pytest.UsageError(
            f"{request.node.nodeid}: @pytest.mark.bedrock_fake_imds takes only keyword arguments "
            f"{sorted(_MARKER_ARGS)}; got {list(marker.args) + sorted(unknown)}"
        )
    roles = options.get("roles", default_roles)
    server.v1_enabled = bool(options.get("v1_enabled", False))
    for role in (roles,) if isinstance(roles, str) else tuple(roles):
        server.add_role(role)


@pytest.fixture
def fake_imds(
    request: pytest.FixtureRequest, bedrock_imds_server: FakeImds, aws_env: AwsEnv
) -> Iterator[FakeImds]:
    """A fake EC2 instance metadata service, reset for this test (no roles unless the
    ``bedrock_fake_imds`` marker names some), that ``aws_env`` points the SDKs at."""
    _configure_imds(bedrock_imds_server, request, ())
    aws_env.attach(bedrock_imds_server)
    yield bedrock_imds_server
    bedrock_imds_server.check()


@pytest.fixture
def _bedrock_imds_for_test(
    request: pytest.FixtureRequest, bedrock_imds_server: FakeImds, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeImds]:
    """The fake IMDS for --bedrock-fake-imds and the marker, on tests that did not ask for ``fake_imds``."""
    if "fake_imds" in request.fixturenames:
        yield request.getfixturevalue("fake_imds")
        return
    _configure_imds(bedrock_imds_server, request, (DEFAULT_ROLE,))
    if "aws_env" in request.fixturenames:
        request.getfixturevalue("aws_env").attach(bedrock_imds_server)
    else:
        monkeypatch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)
        for name, value in bedrock_imds_server.env().items():
            monkeypatch.setenv(name, value)
    yield bedrock_imds_server
    bedrock_imds_server.check()


@pytest.fixture(scope="session")
def bedrock_container_server(bedrock_ledger: Ledger) -> Iterator[FakeContainerCredentials]:
    """The session's FakeContainerCredentials (ECS flavour). Tests use ``fake_container_credentials``."""
    with FakeContainerCredentials(ledger=bedrock_ledger) as server:
        yield server


@pytest.fixture
def fake_container_credentials(
    bedrock_container_server: FakeContainerCredentials, aws_env: AwsEnv
) -> Iterator[FakeContainerCredentials]:
    """A fake ECS container-credentials endpoint, reset for this test, that ``aws_env`` points the
    SDKs at (``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and ``AWS_CONTAINER_AUTHORIZATION_TOKEN``).
    Call ``.issue()`` to give it credentials."""
    bedrock_container_server.reset()
    aws_env.attach(bedrock_container_server)
    yield bedrock_container_server
    bedrock_container_server.check()
