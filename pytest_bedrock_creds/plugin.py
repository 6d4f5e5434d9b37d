"""pytest glue: options, ini settings, fixtures, the report header.

The only module of the package that imports pytest. Registered through the ``pytest11``
entry point as ``bedrock_creds`` (``-p no:bedrock_creds`` turns it off); a conftest may also
name it, ``pytest_plugins = ["pytest_bedrock_creds.plugin"]`` or ``["pytest_bedrock_creds"]``,
with or without plugin autoloading (:func:`pytest_plugin_registered`).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from pytest_bedrock_creds.offline import OFFLINE_SWITCHES

# Everything else loads when a test first asks for it: the pytest11 entry point imports this
# module in every pytest run, so an unused plugin must cost no more than these lines.
if TYPE_CHECKING:
    from pytest_bedrock_creds.env import AwsEnv
    from pytest_bedrock_creds.files import AwsFiles
    from pytest_bedrock_creds.ledger import Ledger
    from pytest_bedrock_creds.scenarios import Matrix, Scenario
    from pytest_bedrock_creds.servers.bedrock import FakeBedrock, VerifyMode
    from pytest_bedrock_creds.servers.container import FakeContainerCredentials
    from pytest_bedrock_creds.servers.imds import FakeImds
    from pytest_bedrock_creds.servers.sso import FakeSsoPortal
    from pytest_bedrock_creds.servers.sts import FakeSts
    from pytest_bedrock_creds.vclock import VirtualClock

GROUP = "bedrock-creds"
_ISOLATE = "bedrock_isolate_env"
_FAKE_IMDS = "bedrock_fake_imds"
_GUARD = "bedrock_network_guard"
_AFFINITY = "bedrock_target_affinity"
#: The role every test sees with --bedrock-fake-imds or a bare @pytest.mark.bedrock_fake_imds.
DEFAULT_ROLE = "bedrock-creds-role"
_MARKER_ARGS = frozenset({"roles", "v1_enabled"})


#: The entry point's name (pyproject.toml ``[project.entry-points.pytest11]``).
ENTRY_POINT = "bedrock_creds"


class _SameModule:
    """Holds a second name of this plugin in pytest's plugin manager (it has no hooks of its own)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<pytest-bedrock-creds, registered as {self.name!r}>"


def pytest_plugin_registered(plugin: object, plugin_name: str, manager: pytest.PytestPluginManager) -> None:
    """Make this module known under both of its names, whichever way it came in.

    The entry point registers it as ``bedrock_creds``; ``pytest_plugins`` and ``-p`` use the module
    name. pytest looks a plugin up by name before importing it, and registering one module under a
    second name is an error ("Plugin already registered under a different name"), so the other name
    is taken by a hookless placeholder: each way of loading then finds the plugin already there.
    """
    if plugin is not sys.modules[__name__]:
        return
    for alias in (ENTRY_POINT, __name__):
        if alias != plugin_name and manager.get_plugin(alias) is None and not manager.is_blocked(alias):
            manager.register(_SameModule(plugin_name), alias)


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
    group.addoption(
        "--bedrock-network-guard",
        action="store_true",
        default=None,
        dest=_GUARD,
        help="fail the run if anything connects outside loopback or looks up *.amazonaws.com or 169.254.* "
        "(an audit hook; SDKs that swallow the error cannot hide it). ini: bedrock_network_guard",
    )
    parser.addini(_GUARD, type="bool", default=False, help="see --bedrock-network-guard")
    group.addoption(
        "--bedrock-target-affinity",
        choices=("on", "off"),
        default=None,
        dest=_AFFINITY,
        help="under pytest-xdist's default --dist load, hand each worker the items of scenario targets it has "
        "already run first, so each client library is imported by as few workers as possible (default: on). "
        "ini: bedrock_target_affinity",
    )
    parser.addini(_AFFINITY, type="bool", default=True, help="see --bedrock-target-affinity")
    _add_scenario_options(group, parser)


def _option(config: pytest.Config, name: str) -> bool:
    cli = config.getoption(name)
    if isinstance(cli, str):
        return cli == "on"
    return bool(cli) if cli is not None else bool(config.getini(name))


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``-n`` with xdist's ``--dist load`` (its default): xdist's own scheduler, except that a
    worker is handed the items of targets it already runs first (:mod:`.scenarios.affinity`)."""
    if config.getvalue("dist") != "load" or not _option(config, _AFFINITY):
        return None
    scheduling = _affinity_scheduling()
    return None if scheduling is None else scheduling(config, log)


@functools.cache
def _affinity_scheduling() -> type[Any] | None:
    """xdist's ``LoadScheduling`` with :class:`TargetAffinity` choosing what each send takes (built on
    first use: xdist is imported only under ``-n``); ``None`` (xdist's own) if its ``_send_tests``,
    where every send goes through, is not there."""
    from xdist.scheduler import LoadScheduling

    from pytest_bedrock_creds.scenarios.affinity import TargetAffinity

    if not callable(getattr(LoadScheduling, "_send_tests", None)):
        return None

    class TargetAffinityScheduling(LoadScheduling):  # type: ignore[misc]
        affinity: TargetAffinity | None = None

        def _send_tests(self, node: Any, num: int) -> None:
            if self.pending and num > 0:
                if self.affinity is None:
                    self.affinity = TargetAffinity(self.collection)
                self.pending[:] = self.affinity.order(self.pending, node, num)
                self.affinity.sent(node, self.pending[:num])
            super()._send_tests(node, num)

        def remove_node(self, node: Any) -> str | None:
            if self.affinity is not None:
                self.affinity.forget(node)
            return super().remove_node(node)  # type: ignore[no-any-return]

    return TargetAffinityScheduling


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
    config.addinivalue_line(
        "markers",
        "bedrock_virtual_clock: this test runs on a virtual clock (see the virtual_clock fixture): retry and "
        "backoff sleeps, and waits on a fake that hangs or delays, cost no real time",
    )
    if _option(config, _ISOLATE):
        config.pluginmanager.register(_IsolateEnvEverywhere(), "bedrock_creds_isolate_env")
    if _option(config, _FAKE_IMDS):
        config.pluginmanager.register(_FakeImdsEverywhere(), "bedrock_creds_fake_imds")
    if _option(config, _GUARD):
        from pytest_bedrock_creds import guard

        guard.install()
        config.pluginmanager.register(_NetworkGuard(config), "bedrock_creds_network_guard")
    _configure_scenarios(config)
    _set_offline_switches(config)


def _set_offline_switches(config: pytest.Config) -> None:
    """Keep clients imported while tests are collected from fetching data off the machine (litellm's
    cost map): the offline switches ``AwsEnv`` sets, for the session, where the user set none."""
    added = [name for name in OFFLINE_SWITCHES if name not in os.environ]
    os.environ.update({name: OFFLINE_SWITCHES[name] for name in added})

    def remove() -> None:
        for name in added:
            os.environ.pop(name, None)

    config.add_cleanup(remove)


class _NetworkGuard:
    """Registered only with --bedrock-network-guard. A test that tried to leave loopback fails,
    with every attempt named, even when the SDK swallowed the error; attempts outside any test
    (collection, session hooks) fail the run as an error of their own. Under xdist the attempts
    travel to the controller on the reports and in the workers' output."""

    def __init__(self, config: pytest.Config) -> None:
        from pytest_bedrock_creds import guard

        self.guard = guard  # installed already: the plugin registers this class after guard.install()
        self.config = config
        self.seen: list[tuple[str | None, str]] = []  # (test node id or None, attempt)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Any:
        self.guard.set_current_test(item.nodeid)
        try:
            return (yield)
        finally:
            self.guard.set_current_test(None)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        attempts = [a.what for a in self.guard.take(item.nodeid)]
        if attempts:
            report.bedrock_guard = attempts  # a report attribute: it pickles across xdist
            message = (f"bedrock-creds network guard: this test tried to leave loopback {len(attempts)} time(s) "
                       f"during {call.when}:\n" + "\n".join(f"  {a}" for a in attempts))
            if report.failed:
                report.sections.append(("bedrock-creds network guard", message))
            else:
                report.outcome, report.longrepr = "failed", message
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seen.extend((report.nodeid, what) for what in getattr(report, "bedrock_guard", ()))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        self.seen.extend((None, what) for what in getattr(node, "workeroutput", {}).get("bedrock_guard", ()))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        outside = [a.what for a in self.guard.take(every=True)]
        if hasattr(self.config, "workerinput"):
            self.config.workeroutput["bedrock_guard"] = outside  # type: ignore[attr-defined]
            return
        self.seen.extend((None, what) for what in outside)
        if self.seen:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.seen or hasattr(self.config, "workerinput"):
            return
        tests = {test for test, _ in self.seen if test is not None}
        terminalreporter.section("bedrock-creds network guard", red=True)
        terminalreporter.write_line(
            f"{len(self.seen)} attempt(s) to leave loopback were blocked, made by {len(tests)} test(s)"
            + (" and outside any test" if any(test is None for test, _ in self.seen) else "") + ":", red=True)
        for (test, what), count in Counter(self.seen).items():
            times = f"  x{count}" if count > 1 else ""
            terminalreporter.write_line(f"  {test or '(outside any test)'}: {what}{times}")
        outside = [what for test, what in self.seen if test is None]
        if outside:  # no test failed for these: an error of their own, in the summary and the final line
            terminalreporter.stats.setdefault("error", []).append(pytest.CollectReport(
                "bedrock-creds network guard", "failed",
                f"{len(outside)} attempt(s) to leave loopback outside any test: " + "; ".join(outside), []))


#: Markers that give a test a fixture it did not ask for (set up in this order, the clock first).
_MARKER_FIXTURES = {"bedrock_fake_imds": "_bedrock_imds_for_test", "bedrock_virtual_clock": "virtual_clock"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        wanted = {_MARKER_FIXTURES[mark.name] for mark in item.iter_markers() if mark.name in _MARKER_FIXTURES}
        for fixture in _MARKER_FIXTURES.values():  # each one inserted first: the last ends up first
            if fixture in wanted:
                _use_fixture(item, fixture)


def pytest_report_header(config: pytest.Config) -> str:
    isolate = "on" if _option(config, _ISOLATE) else "off"
    imds = f"on (role {DEFAULT_ROLE!r})" if _option(config, _FAKE_IMDS) else "off"
    targets = ",".join(_selected_targets(config))
    matrix = _matrix_path(config) or "-"
    network = "on" if _option(config, _GUARD) else "off"
    affinity = "on" if _option(config, _AFFINITY) else "off"
    return (
        f"bedrock-creds: isolate-env={isolate}, fake-imds={imds}, network-guard={network}, "
        f"scenario-targets={targets}, matrix={matrix}, target-affinity={affinity}"
    )


# -- fixtures: overridable settings -> session owner -> function view -------------------


@pytest.fixture(scope="session")
def bedrock_creds_region() -> str | None:
    """The region ``aws_env`` sets in ``AWS_REGION``/``AWS_DEFAULT_REGION``; override to change it
    (``None`` leaves the region unset)."""
    return "us-east-1"


@pytest.fixture(scope="session")
def bedrock_ledger() -> Ledger:
    """The session's credential ledger: every fake credential is issued and attributed here."""
    from pytest_bedrock_creds.ledger import Ledger

    return Ledger()


@pytest.fixture
def aws_env(
    bedrock_ledger: Ledger, bedrock_creds_region: str | None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AwsEnv]:
    """A hermetic AWS environment for this test, restored exactly afterwards.

    The test's ``monkeypatch`` restores it: its undo puts the whole environment back as it was before
    ``aws_env``, after the test's own ``monkeypatch.setenv`` calls, in reverse order; what was written
    into ``os.environ`` behind ``monkeypatch``'s back goes too.
    """
    from pytest_bedrock_creds.env import AwsEnv

    with AwsEnv(ledger=bedrock_ledger, region=bedrock_creds_region, patcher=monkeypatch) as env:
        yield env


@pytest.fixture
def aws_files(aws_env: AwsEnv) -> AwsFiles:
    """Shared credentials and config files inside ``aws_env``'s temporary home."""
    from pytest_bedrock_creds.files import AwsFiles

    return AwsFiles(aws_env)


_F = TypeVar("_F", "FakeBedrock", "FakeImds", "FakeContainerCredentials", "FakeSts", "FakeSsoPortal")


def _attached_view(server: _F, aws_env: AwsEnv) -> Iterator[_F]:
    """The function-scoped view of a session fake (already reset): attached to ``aws_env``
    for the test, and its ``check()`` after it, so an error inside the fake fails this test."""
    aws_env.attach(server)
    yield server
    server.check()


@pytest.fixture(scope="session")
def bedrock_verify() -> VerifyMode:
    """How ``fake_bedrock`` treats bad auth: ``"strict"`` rejects as AWS does, ``"record"`` only records.
    Override in your ``conftest.py``; a test may also set ``fake_bedrock.verify``."""
    return "strict"


@pytest.fixture(scope="session")
def bedrock_server(bedrock_ledger: Ledger, bedrock_verify: VerifyMode) -> Iterator[FakeBedrock]:
    """The session's FakeBedrock (one per xdist worker). Tests use ``fake_bedrock``."""
    from pytest_bedrock_creds.servers.bedrock import FakeBedrock

    with FakeBedrock(ledger=bedrock_ledger, verify=bedrock_verify) as server:
        yield server


@pytest.fixture
def fake_bedrock(bedrock_server: FakeBedrock, aws_env: AwsEnv, bedrock_verify: VerifyMode) -> Iterator[FakeBedrock]:
    """A fake Bedrock Runtime endpoint, reset for this test, that ``aws_env`` points boto3 at
    (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` and ``AWS_CA_BUNDLE``). Errors inside it fail the test."""
    bedrock_server.reset()
    bedrock_server.verify = bedrock_verify
    yield from _attached_view(bedrock_server, aws_env)


# -- fake IMDS and container credentials ------------------------------------------------


@pytest.fixture(scope="session")
def bedrock_imds_server(bedrock_ledger: Ledger) -> Iterator[FakeImds]:
    """The session's FakeImds (one per xdist worker). Tests use ``fake_imds``."""
    from pytest_bedrock_creds.servers.imds import FakeImds

    with FakeImds(ledger=bedrock_ledger) as server:
        yield server


def _imds_marker_options(request: pytest.FixtureRequest) -> dict[str, Any] | None:
    """The ``bedrock_fake_imds`` marker's keyword arguments (``None`` without the marker), checked."""
    marker = request.node.get_closest_marker("bedrock_fake_imds")
    if marker is None:
        return None
    unknown = set(marker.kwargs) - _MARKER_ARGS
    if marker.args or unknown:
        raise pytest.UsageError(
            f"{request.node.nodeid}: @pytest.mark.bedrock_fake_imds takes only keyword arguments "
            f"{sorted(_MARKER_ARGS)}; got {list(marker.args) + sorted(unknown)}"
        )
    return dict(marker.kwargs)


def _configure_imds(server: FakeImds, options: dict[str, Any], default_roles: tuple[str, ...]) -> None:
    server.reset()
    roles = options.get("roles", default_roles)
    server.v1_enabled = bool(options.get("v1_enabled", False))
    for role in (roles,) if isinstance(roles, str) else tuple(roles):
        server.add_role(role)


#: The marker's options for a session IMDS server while a marked test runs (by ``id`` of the server),
#: so ``fake_imds`` applies them without asking for ``request`` (each ``request`` a fixture asks for
#: is a new fixture definition in pytest, a cost every test using ``fake_imds`` would pay).
_imds_marked: dict[int, dict[str, Any]] = {}


@pytest.fixture
def fake_imds(bedrock_imds_server: FakeImds, aws_env: AwsEnv) -> Iterator[FakeImds]:
    """A fake EC2 instance metadata service, reset for this test (no roles unless the
    ``bedrock_fake_imds`` marker names some), that ``aws_env`` points the SDKs at."""
    _configure_imds(bedrock_imds_server, _imds_marked.get(id(bedrock_imds_server), {}), ())
    yield from _attached_view(bedrock_imds_server, aws_env)


@pytest.fixture
def _bedrock_imds_for_test(
    request: pytest.FixtureRequest, bedrock_imds_server: FakeImds, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeImds]:
    """The fake IMDS for --bedrock-fake-imds and the marker (set up before the test's other fixtures).
    A test that asks for ``fake_imds`` (now or later, with ``getfixturevalue``) gets it configured by
    the marker; any other test sees the server with the marker's roles, or the default role."""
    options = _imds_marker_options(request)
    key = id(bedrock_imds_server)
    if options is not None:
        _imds_marked[key] = options
    try:
        if "fake_imds" in request.fixturenames:
            yield request.getfixturevalue("fake_imds")
            return
        _configure_imds(bedrock_imds_server, options or {}, (DEFAULT_ROLE,))
        if "aws_env" in request.fixturenames:
            request.getfixturevalue("aws_env").attach(bedrock_imds_server)
        else:
            monkeypatch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)
            for name, value in bedrock_imds_server.env().items():
                monkeypatch.setenv(name, value)
        yield bedrock_imds_server
        bedrock_imds_server.check()
    finally:
        _imds_marked.pop(key, None)


@pytest.fixture(scope="session")
def bedrock_container_server(bedrock_ledger: Ledger) -> Iterator[FakeContainerCredentials]:
    """The session's FakeContainerCredentials (ECS flavour). Tests use ``fake_container_credentials``."""
    from pytest_bedrock_creds.servers.container import FakeContainerCredentials

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
    yield from _attached_view(bedrock_container_server, aws_env)


# -- fake STS and IAM Identity Center portal (the rest of the chain) ---------------------------


@pytest.fixture(scope="session")
def bedrock_sts_server(bedrock_ledger: Ledger) -> Iterator[FakeSts]:
    """The session's FakeSts (one per xdist worker). Tests use ``fake_sts``."""
    from pytest_bedrock_creds.servers.sts import FakeSts

    with FakeSts(ledger=bedrock_ledger) as server:
        yield server


@pytest.fixture
def fake_sts(bedrock_sts_server: FakeSts, aws_env: AwsEnv) -> Iterator[FakeSts]:
    """A fake STS, reset for this test, that ``aws_env`` points the SDKs at (``AWS_ENDPOINT_URL_STS``):
    assume-role profiles and web identity get ledger-issued credentials with their lineage."""
    bedrock_sts_server.reset()
    yield from _attached_view(bedrock_sts_server, aws_env)


@pytest.fixture(scope="session")
def bedrock_sso_server(bedrock_ledger: Ledger) -> Iterator[FakeSsoPortal]:
    """The session's FakeSsoPortal (one per xdist worker). Tests use ``fake_sso_portal``."""
    from pytest_bedrock_creds.servers.sso import FakeSsoPortal

    with FakeSsoPortal(ledger=bedrock_ledger) as server:
        yield server


@pytest.fixture
def fake_sso_portal(bedrock_sso_server: FakeSsoPortal, aws_env: AwsEnv) -> Iterator[FakeSsoPortal]:
    """A fake IAM Identity Center portal, reset for this test, that ``aws_env`` points the SDKs at
    (``AWS_ENDPOINT_URL_SSO``); pair it with ``aws_files.sso_profile(...)``."""
    bedrock_sso_server.reset()
    yield from _attached_view(bedrock_sso_server, aws_env)
# -- virtual time ---------------------------------------------------------------------------


@pytest.fixture
def virtual_clock() -> Iterator[VirtualClock]:
    """Run this test on a virtual clock: sleeps (``time.sleep``, ``asyncio.sleep``, botocore's,
    anthropic's and the experimental client's retry backoff) return at once, and a client that
    waits on a fake which hangs or delays its reply gets at once what it would have got after
    the wait (a read timeout, or the reply). ``.elapsed`` is the virtual time that passed and
    ``.sleeps`` the sleeps absorbed. ``@pytest.mark.bedrock_virtual_clock`` does the same
    without asking for the fixture. See :mod:`pytest_bedrock_creds.vclock`."""
    from pytest_bedrock_creds.vclock import virtual_clock as run_on_virtual_clock

    with run_on_virtual_clock() as clock:
        yield clock


# -- scenarios: YAML precedence scenarios, run against every target; the conformance matrix ---------------
# Files named bedrock_creds_*.yaml or *.bedrock.yaml (and paths in the ini setting bedrock_scenarios)
# become one item per scenario and target. Results ride to the controller in user_properties, so the
# matrix is complete under xdist too.

_TARGETS_OPT = "bedrock_targets"
_MATRIX_OPT = "bedrock_matrix"
_SCENARIOS_INI = "bedrock_scenarios"
_RESULT_KEY = "bedrock_scenario"
_matrix_key: pytest.StashKey[Matrix] = pytest.StashKey()
_runtime_cache_key = pytest.StashKey[dict[str, Any]]()


def _targets() -> tuple[str, ...]:
    from pytest_bedrock_creds.scenarios.names import TARGETS

    return TARGETS


def _add_scenario_options(group: Any, parser: pytest.Parser) -> None:
    group.addoption(
        "--bedrock-targets",
        default=None,
        dest=_TARGETS_OPT,
        help=f"comma-separated scenario targets to run ({', '.join(_targets())}; 'all' = default). "
        "A target that is not installed is skipped with the reason. ini: bedrock_targets",
    )
    group.addoption(
        "--bedrock-matrix",
        default=None,
        dest=_MATRIX_OPT,
        metavar="PATH",
        help="write the conformance matrix to PATH (.md for Markdown, .json for JSON, .html for a page to click "
        "through). ini: bedrock_matrix",
    )
    parser.addini(_TARGETS_OPT, default="all", help="scenario targets to run (see --bedrock-targets)")
    parser.addini(_MATRIX_OPT, default="", help="where to write the conformance matrix (see --bedrock-matrix)")
    parser.addini(_SCENARIOS_INI, type="paths", default=[],
                  help="more scenario files or directories (any *.yaml/*.yml below them)")


def _selected_targets(config: pytest.Config) -> tuple[str, ...]:
    raw = config.getoption(_TARGETS_OPT) or config.getini(_TARGETS_OPT) or "all"
    names = [n.strip() for n in str(raw).split(",") if n.strip()]
    targets = _targets()
    if names in ([], ["all"]):
        return targets
    unknown = [n for n in names if n not in targets]
    if unknown:
        raise pytest.UsageError(f"--bedrock-targets: unknown target(s) {unknown}; choose from {list(targets)}")
    return tuple(t for t in targets if t in names)


def _matrix_path(config: pytest.Config) -> str | None:
    raw = config.getoption(_MATRIX_OPT) or config.getini(_MATRIX_OPT)
    if not raw:
        return None
    from pytest_bedrock_creds.scenarios.matrix_files import MATRIX_SUFFIXES

    if Path(str(raw)).suffix.lower() not in MATRIX_SUFFIXES:
        raise pytest.UsageError(f"--bedrock-matrix {raw}: the extension must be .md, .json or .html")
    return str(raw)


def _configure_scenarios(config: pytest.Config) -> None:
    config.stash[_runtime_cache_key] = {}
    _selected_targets(config)
    _matrix_path(config)
    config.pluginmanager.register(_MatrixRecorder(config), "bedrock_creds_matrix")


def _is_scenario_file(file_path: Path, config: pytest.Config) -> bool:
    name = file_path.name
    if not name.endswith((".yaml", ".yml")):
        return False
    if (name.startswith("bedrock_creds_")) or name.endswith((".bedrock.yaml", ".bedrock.yml")):
        return True
    for listed in config.getini(_SCENARIOS_INI):
        listed = Path(listed)
        if file_path == listed or listed in file_path.parents:
            return True
    return False


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if _is_scenario_file(file_path, parent.config):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFileCollectError(Exception):
    """A scenario file that does not load; the message names the file, the line and the field."""


class ScenarioFile(pytest.File):
    """A YAML scenario file: one item per scenario and selected target."""

    def collect(self) -> list[pytest.Item]:
        from pytest_bedrock_creds.scenarios import ScenarioFileError, load_file, target_unavailable

        shown = self.config.rootpath and os.path.relpath(self.path, self.config.rootpath)
        try:
            scenarios = load_file(self.path, display=str(shown))
        except ScenarioFileError as exc:
            raise self.CollectError(str(exc)) from None
        targets = _selected_targets(self.config)
        unavailable = {target: target_unavailable(target) for target in targets}  # once per file, not per item
        items: list[pytest.Item] = []
        shared: dict[str, Any] = {}  # every item of the file has the same fixtures (as pytest's parametrized items)
        for scenario in scenarios:
            for target in targets:
                item = ScenarioItem.from_parent(self, scenario=scenario, target=target,
                                                unavailable=unavailable[target], **shared)
                shared.setdefault("fixtureinfo", item._fixtureinfo)
                items.append(item)
        return items


class ScenarioMismatch(AssertionError):
    """The target did something else than the scenario expects (message already redacted)."""


def _scenario_callobj(item: ScenarioItem) -> Any:
    def run_scenario(
        bedrock_ledger: Ledger,
        bedrock_server: FakeBedrock,
        bedrock_imds_server: FakeImds,
        bedrock_container_server: FakeContainerCredentials,
        bedrock_sts_server: FakeSts,
        bedrock_sso_server: FakeSsoPortal,
    ) -> None:
        item.run_scenario(bedrock_ledger, bedrock_server, bedrock_imds_server, bedrock_container_server,
                          bedrock_sts_server, bedrock_sso_server)

    return run_scenario


class ScenarioItem(pytest.Function):
    """One scenario run against one target; it uses the session fakes (reset here, per item).

    Its ``user_properties`` (JUnit XML ``<property>`` elements, and how results reach the matrix
    from xdist workers) say what happened: ``bedrock_target``, ``bedrock_outcome`` (agrees,
    documented, unexpected or skipped), ``bedrock_reason``, ``bedrock_expected``,
    ``bedrock_observed`` and ``bedrock_trace`` (the reference chain's), all redacted.
    """

    def __init__(self, *, scenario: Scenario, target: str, unavailable: str | None = None, **kwargs: Any) -> None:
        self.scenario, self.target = scenario, target
        self.secrets: set[str] = set(scenario.literal_secrets())
        super().__init__(name=f"{scenario.name}[{target}]", callobj=_scenario_callobj(self), **kwargs)
        expectation = scenario.expectation_for(target)
        documented = scenario.documents(target)
        self.user_properties.append((_RESULT_KEY, json.dumps({
            "family": scenario.family, "scenario": scenario.name, "target": target,
            "documented": documented, "reason": expectation.reason or "",
        })))
        self.user_properties += [("bedrock_target", target), ("bedrock_expected", expectation.describe())]
        why = unavailable  # why the target cannot run here (target_unavailable), if it cannot
        if why is None and expectation.skip:
            why = f"{scenario.name} skips {target}: {expectation.reason}"
        if why is not None:
            self.add_marker(pytest.mark.skip(reason=why))
            self._outcome("skipped", why)

    def _outcome(self, outcome: str, reason: str) -> None:
        if not any(name == "bedrock_outcome" for name, _ in self.user_properties):
            self.user_properties += [("bedrock_outcome", outcome), ("bedrock_reason", self._redact(reason))]

    def runtest(self) -> None:
        try:
            super().runtest()
        except pytest.skip.Exception as exc:
            self._outcome("skipped", str(exc.msg))
            raise
        except Exception as exc:  # the target crashed: the matrix counts it as unexpected
            self._outcome("unexpected", f"{type(exc).__name__}: {exc}"[:500])
            raise

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"{self.scenario.name}[{self.target}]"

    def run_scenario(
        self,
        ledger: Ledger,
        bedrock: FakeBedrock,
        imds: FakeImds,
        container: FakeContainerCredentials,
        sts: FakeSts,
        sso: FakeSsoPortal,
    ) -> None:
        from pytest_bedrock_creds.chain import resolve
        from pytest_bedrock_creds.env import AwsEnv
        from pytest_bedrock_creds.scenarios import Runtime, matches, prepare, run_target
        from pytest_bedrock_creds.servers.bedrock.useragent import describe_claims
        from pytest_bedrock_creds.vclock import virtual_clock

        scenario = self.scenario
        runtime = Runtime(ledger, bedrock, imds, container, cache=self.config.stash[_runtime_cache_key],
                          sts=sts, sso=sso)
        # Retry sleeps and waits on a fake that hangs pass on a virtual clock: the verdicts are
        # those of real time, without the waiting (see pytest_bedrock_creds.vclock).
        with AwsEnv(ledger=ledger, region=scenario.default_region) as env, virtual_clock():
            prepared = prepare(scenario, env, runtime)
            self.secrets |= prepared.secrets
            reference = resolve(operation=scenario.operation, settings=prepared.settings,
                                chain=prepared.reference_chain)
            observed = run_target(self.target, prepared, runtime, reference)
        expected = scenario.expectation_for(self.target)
        self.user_properties.append(("bedrock_observed", self._redact(observed.describe(key=False))))
        self.user_properties.append(("bedrock_trace", self._redact(reference.explain())))
        if observed.witness is False:
            self.user_properties.append(("bedrock_witness", self._redact(
                f"the SDK reported {describe_claims(observed.sdk_reported)}; the ledger says {observed.source}")))
        if matches(observed, expected, default_region=scenario.default_region):
            documented = scenario.documents(self.target)
            self._outcome("documented" if documented else "agrees", expected.reason or "")
            return
        self._outcome("unexpected", f"expected {expected.describe()}, observed {observed.describe(key=False)}")
        lines = [
            f"scenario {scenario.name!r} ({scenario.path}:{scenario.line}, family {scenario.family}) "
            f"on target {self.target}",
        ]
        if scenario.doc:
            lines.append(f"  doc:      {' '.join(scenario.doc.split())}")
        implied = expected.scheme and not expected.region and scenario.default_region
        region = f" in {scenario.default_region}" if implied else ""
        lines.append(f"  expected: {expected.describe()}{region}"
                     + (f"  (expect_by_target: {expected.reason})" if expected.reason else ""))
        lines.append(f"  observed: {observed.describe()}")
        if self.target != "reference" and self.target not in scenario.expect_by_target:
            lines.append("  (if this is a real SDK difference, add expect_by_target."
                         f"{self.target} with the observed outcome and a reason)")
        lines.append("reference chain trace:")
        lines.extend("  " + line for line in reference.explain().splitlines())
        raise ScenarioMismatch(self._redact("\n".join(lines)))

    def _redact(self, text: str) -> str:
        from pytest_bedrock_creds.redact import redact_text

        return redact_text(text, self.secrets)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        if isinstance(excinfo.value, ScenarioMismatch):
            return str(excinfo.value)
        return self._redact(str(super().repr_failure(excinfo)))


class _MatrixRecorder:
    """Registered in pytest_configure: turns scenario reports (local or from xdist workers) into results."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not report.user_properties:
            return
        props = dict(report.user_properties)
        raw = props.get(_RESULT_KEY)
        if raw is None or (report.passed and report.when != "call"):
            return
        data = json.loads(str(raw))
        if report.skipped:
            status = "skipped"
        elif report.failed:
            status = "unexpected"
        else:
            status = "documented" if data["documented"] else "agrees"
        from pytest_bedrock_creds.scenarios.matrix import Matrix, Result

        if _matrix_key not in self.config.stash:
            from pytest_bedrock_creds.scenarios.quick_exit import freeze_at_exit

            freeze_at_exit()  # the results of a whole catalogue: thousands of reports in this process
            self.config.stash[_matrix_key] = Matrix()
        self.config.stash[_matrix_key].add(Result(
            data["family"], data["scenario"], data["target"], status, data["reason"],
            observed=str(props.get("bedrock_observed", "")), expected=str(props.get("bedrock_expected", "")),
            trace=str(props.get("bedrock_trace", "")), witness=str(props.get("bedrock_witness", "")),
        ))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        config = self.config
        if hasattr(config, "workerinput"):
            return
        matrix = config.stash.get(_matrix_key, None)
        if not matrix:
            return
        terminalreporter.section("bedrock-creds conformance matrix")
        for line in matrix.to_text().splitlines():
            terminalreporter.write_line(line)
        path = _matrix_path(config)
        if path:
            from pytest_bedrock_creds.scenarios.matrix_files import write_matrix

            written = write_matrix(matrix, Path(config.invocation_params.dir, path))
            terminalreporter.write_line(f"conformance matrix written to {written}")
        _append_to_step_summary(matrix, terminalreporter)


def _append_to_step_summary(matrix: Matrix, terminalreporter: Any) -> None:
    """In a GitHub Actions job, append the matrix (Markdown) to the job's summary page."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary:
        return
    try:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write("## bedrock-creds conformance matrix\n\n" + matrix.to_markdown() + "\n")
    except OSError as exc:
        terminalreporter.write_line(f"bedrock-creds: cannot append the matrix to GITHUB_STEP_SUMMARY: {exc}",
                                    yellow=True)
