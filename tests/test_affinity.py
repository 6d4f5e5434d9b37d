"""Target affinity under pytest-xdist: each worker is handed the items of targets it already runs.

The ordering alone (no xdist), then xdist's own ``LoadScheduling`` with and without it, driven
through a whole run with two simulated workers, then the hook as a user's ``pytest -n 2`` meets it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_bedrock_creds.scenarios.affinity import TargetAffinity, target_of

TARGETS = ("reference", "botocore", "anthropic", "litellm")
SIX = ("reference", "botocore", "aws-sdk-bedrock-runtime", "anthropic", "litellm", "langchain-aws")


def catalogue(scenarios: int, targets: tuple[str, ...] = TARGETS) -> list[str]:
    """Node ids ordered as the plugin collects them: scenario by scenario, every target in turn."""
    return [f"fixtures/s.bedrock.yaml::scenario-{n}[{t}]" for n in range(scenarios) for t in targets]


@pytest.mark.parametrize(("nodeid", "target"), [
    ("fixtures/s.bedrock.yaml::env-keys[botocore]", "botocore"),
    ("fixtures/s.bedrock.yaml::env-keys[aws-sdk-bedrock-runtime]", "aws-sdk-bedrock-runtime"),
    ("tests/test_x.py::test_call[litellm]", "litellm"),
    ("tests/test_x.py::test_call[litellm-1]", None),
    ("tests/test_x.py::test_call[botocore]x", None),
    ("tests/test_x.py::test_call", None),
    ("tests/test_x.py::test_call[]", None),
    ("tests/test_x.py::test_call[boto]", None),
])
def test_target_of_reads_the_last_brackets(nodeid: str, target: str | None) -> None:
    assert target_of(nodeid) == target


def test_a_first_send_takes_whole_targets() -> None:
    affinity = TargetAffinity(catalogue(10))
    pending = list(range(40))
    order = affinity.order(pending, "gw0", 12)
    sent = order[:12]
    assert [affinity.targets[i] for i in sent] == ["reference"] * 10 + ["botocore"] * 2
    assert sorted(order) == pending


def test_the_next_worker_starts_on_targets_no_worker_has() -> None:
    affinity = TargetAffinity(catalogue(10))
    pending = list(range(40))
    first = affinity.order(pending, "gw0", 12)
    affinity.sent("gw0", first[:12])
    pending = first[12:]
    second = affinity.order(pending, "gw1", 12)
    # anthropic and litellm are cold (10 each); botocore is gw0's already, so it comes last
    assert [affinity.targets[i] for i in second[:12]] == ["anthropic"] * 10 + ["litellm"] * 2


def test_a_worker_keeps_its_targets_first_and_the_rest_keeps_its_order() -> None:
    affinity = TargetAffinity(catalogue(5))
    affinity.sent("gw0", [1])  # botocore
    pending = list(range(20))
    order = affinity.order(pending, "gw0", 3)
    assert order[:5] == [1, 5, 9, 13, 17]
    assert order[5:] == [i for i in pending if i not in {1, 5, 9, 13, 17}]


def test_items_without_a_target_go_in_collection_order() -> None:
    ids = ["tests/test_a.py::test_one", *catalogue(3), "tests/test_a.py::test_two[x]"]
    affinity = TargetAffinity(ids)
    order = affinity.order(list(range(len(ids))), "gw0", 3)
    assert order[:2] == [0, len(ids) - 1]


def test_a_target_only_another_worker_runs_is_taken_last_and_largest_first() -> None:
    affinity = TargetAffinity(catalogue(4, ("reference", "botocore")) + catalogue(1, ("litellm",)))
    affinity.sent("gw1", [0, 1, 8])  # gw1 runs reference, botocore and litellm
    pending = [2, 3, 4, 5, 8]  # reference 2 and 4, botocore 3 and 5, litellm 8
    order = affinity.order(pending, "gw0", 1)
    assert affinity.targets[order[0]] == "reference"  # ties: first seen
    affinity.sent("gw0", order[:1])
    assert affinity.order([8, 3, 5], "gw0", 1)[0] == 3  # botocore (2 pending) before litellm (1), seen first


def test_a_worker_that_is_gone_is_forgotten() -> None:
    affinity = TargetAffinity(catalogue(3))
    affinity.sent("gw0", [0])
    assert affinity.warm("gw0") == {"reference"}
    affinity.forget("gw0")
    assert affinity.warm("gw0") == frozenset()
    # reference is cold again: the next worker takes it before botocore, which gw1 runs
    affinity.sent("gw1", [1])
    assert affinity.targets[affinity.order([1, 4, 0], "gw2", 1)[0]] == "reference"


@given(
    ids=st.lists(st.sampled_from([*TARGETS, None, "other"]), max_size=40),
    sends=st.lists(st.tuples(st.sampled_from(["gw0", "gw1", "gw2"]), st.integers(0, 12)), max_size=12),
)
def test_every_order_is_a_reordering_of_pending(ids: list[str | None], sends: list[tuple[str, int]]) -> None:
    nodeids = [f"t.py::test_{n}" + (f"[{t}]" if t else "") for n, t in enumerate(ids)]
    affinity = TargetAffinity(nodeids)
    pending = list(range(len(nodeids)))
    for worker, wanted in sends:
        order = affinity.order(pending, worker, wanted)
        assert sorted(order) == sorted(pending)
        affinity.sent(worker, order[:wanted])
        pending = order[wanted:]


# -- xdist's LoadScheduling, whole runs with two simulated workers ------------------------------------------

xdist_scheduler = pytest.importorskip("xdist.scheduler")


class _Worker:
    """What LoadScheduling calls on a worker controller."""

    def __init__(self, name: str) -> None:
        self.name, self.shutting_down, self.queue = name, False, []
        self.gateway = SimpleNamespace(id=name)

    def send_runtest_some(self, indices: list[int]) -> None:
        self.queue.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True

    def __repr__(self) -> str:
        return self.name


def _run(scheduler: object, ids: list[str], slow_worker_every: int = 0, crash_at: int = 0) -> dict[str, list[str]]:
    """Drive ``scheduler`` as xdist's controller does, the workers finishing items in turn (every
    ``slow_worker_every``-th turn gw1 skips one, so the two drift apart; at turn ``crash_at`` gw1
    crashes, its item counted as run); return the node ids each ran."""
    workers = [_Worker("gw0"), _Worker("gw1")]
    for worker in workers:
        scheduler.add_node(worker)  # type: ignore[attr-defined]
    for worker in workers:
        scheduler.add_node_collection(worker, ids)  # type: ignore[attr-defined]
    scheduler.schedule()  # type: ignore[attr-defined]
    ran: dict[str, list[str]] = defaultdict(list)
    for turn in itertools.count():
        if crash_at and turn == crash_at:
            crashed = workers.pop()
            ran[crashed.name].append(scheduler.remove_node(crashed))  # type: ignore[attr-defined]
        busy = [w for w in workers if w.queue]
        if not busy:
            break
        for worker in busy:
            if slow_worker_every and worker.name == "gw1" and turn % slow_worker_every == 0:
                continue
            index = worker.queue.pop(0)
            ran[worker.name].append(ids[index])
            scheduler.mark_test_complete(worker, index)  # type: ignore[attr-defined]
    return ran


def _scheduler(pytester: pytest.Pytester, *args: str) -> object:
    from pytest_bedrock_creds.plugin import pytest_xdist_make_scheduler

    # "--tx 2*popen --dist load" is what xdist makes of "-n 2" when the run starts (parseconfig stops before)
    config = pytester.parseconfig("--tx", "2*popen", "--dist", "load", "-p", "xdist", *args)
    made = pytest_xdist_make_scheduler(config, log=None)
    return made if made is not None else xdist_scheduler.LoadScheduling(config)


@pytest.mark.parametrize("slow_worker_every", [0, 3])
def test_with_affinity_each_target_runs_on_one_worker_and_every_item_once(
    pytester: pytest.Pytester, slow_worker_every: int
) -> None:
    ids = catalogue(60, SIX)
    ran = _run(_scheduler(pytester), ids, slow_worker_every)
    assert sorted(ran["gw0"] + ran["gw1"]) == sorted(ids)
    both = set.intersection(*({target_of(i) for i in ran[w]} for w in ("gw0", "gw1")))
    assert len(both) <= 1, f"targets run by both workers: {both}"  # at most the one stolen at the end
    if not slow_worker_every:  # workers of one speed end with about as many items each
        assert abs(len(ran["gw0"]) - len(ran["gw1"])) <= 2


def test_a_crashed_workers_items_are_run_by_the_other(pytester: pytest.Pytester) -> None:
    ids = catalogue(40, ("reference", "botocore", "litellm"))
    ran = _run(_scheduler(pytester), ids, crash_at=30)
    assert len(ran["gw1"]) == 31  # 30 finished, the 31st crashed
    assert sorted(ran["gw0"] + ran["gw1"]) == sorted(ids)


def test_without_affinity_xdist_spreads_every_target(pytester: pytest.Pytester) -> None:
    ids = catalogue(60, SIX)
    scheduler = _scheduler(pytester, "--bedrock-target-affinity=off")
    assert type(scheduler) is xdist_scheduler.LoadScheduling
    ran = _run(scheduler, ids)
    assert sorted(ran["gw0"] + ran["gw1"]) == sorted(ids)
    assert {target_of(i) for i in ran["gw0"]} == {target_of(i) for i in ran["gw1"]} == set(SIX)


def test_an_xdist_without_the_method_it_overrides_keeps_its_own_scheduler(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_bedrock_creds import plugin

    plugin._affinity_scheduling.cache_clear()
    monkeypatch.delattr(xdist_scheduler.LoadScheduling, "_send_tests")
    try:
        config = pytester.parseconfig("--tx", "2*popen", "--dist", "load", "-p", "xdist")
        assert plugin.pytest_xdist_make_scheduler(config, log=None) is None
    finally:
        plugin._affinity_scheduling.cache_clear()  # the next one is built from the real class again


# -- the hook, as a user's pytest -n 2 meets it ------------------------------------------------------------

RECORD_SCHEDULER = """
import pytest

@pytest.hookimpl(wrapper=True)
def pytest_xdist_make_scheduler(config, log):
    scheduler = yield
    with open("scheduler.txt", "w") as out:
        out.write(type(scheduler).__name__)
    return scheduler
"""


@pytest.fixture
def user_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:langsmith_plugin")
    pytester.makeconftest(RECORD_SCHEDULER)
    pytester.makepyfile(test_calls="""
        import pytest

        @pytest.mark.parametrize("target", ["reference", "botocore", "litellm"])
        @pytest.mark.parametrize("n", range(4))
        def test_call(n, target):
            pass
    """)
    return pytester


@pytest.mark.parametrize(("args", "ini", "chosen"), [
    ((), None, "TargetAffinityScheduling"),
    (("--dist", "load"), None, "TargetAffinityScheduling"),
    (("--bedrock-target-affinity=off",), None, "LoadScheduling"),
    ((), "false", "LoadScheduling"),
    (("--bedrock-target-affinity=on",), "false", "TargetAffinityScheduling"),
    (("--dist", "loadfile"), None, "LoadFileScheduling"),
    (("--dist", "worksteal"), None, "WorkStealingScheduling"),
])
def test_the_hook_takes_only_xdists_default_distribution(
    user_suite: pytest.Pytester, args: tuple[str, ...], ini: str | None, chosen: str
) -> None:
    if ini is not None:
        user_suite.makeini(f"[pytest]\nbedrock_target_affinity = {ini}\n")
    result = user_suite.runpytest_subprocess("-n", "2", "-p", "no:randomly", *args)
    result.assert_outcomes(passed=12)
    assert (user_suite.path / "scheduler.txt").read_text() == chosen
    if "--dist" not in args:
        on = "on" if chosen == "TargetAffinityScheduling" else "off"
        result.stdout.fnmatch_lines([f"*target-affinity={on}*"])


def test_a_bad_value_is_refused(user_suite: pytest.Pytester) -> None:
    result = user_suite.runpytest_subprocess("--bedrock-target-affinity=maybe")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--bedrock-target-affinity*invalid choice*maybe*"])
