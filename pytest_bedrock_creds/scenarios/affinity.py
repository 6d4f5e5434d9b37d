"""Which pending items to hand a pytest-xdist worker, so that each client library is imported by as
few workers as possible.

A scenario item's first run of a target in a process imports that target's client (litellm about
3.8 s of CPU here, anthropic 1.3 s, langchain-aws 1.0 s, pydantic-ai 0.7 s, strands-agents 0.5 s).
xdist's ``--dist load`` hands out consecutive runs of the collection, and the catalogue is ordered
scenario by scenario, every target in turn, so every worker runs every target and pays every import.

:class:`TargetAffinity` only reorders what the scheduler sends next; how many items a worker is sent
and when stay xdist's. A worker is handed, in collection order, the items with no target and those
of targets it has already run; when it needs more, whole targets no worker has run yet (the one
with the most items pending first); only then targets another worker runs (again the largest
first), so the last stretch of the run stays balanced. An item's target is read off its node id,
``name[target]``, as scenario items and tests parametrized by a target name end. It never changes
which items run or what they do.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

from pytest_bedrock_creds.scenarios.names import TARGETS

__all__ = ["TargetAffinity", "target_of"]


def target_of(nodeid: str, targets: Iterable[str] = TARGETS) -> str | None:
    """The target a node id ends with (``...::name[botocore]`` -> ``botocore``), or ``None``."""
    if not nodeid.endswith("]"):
        return None
    start = nodeid.rfind("[")
    if start < 0:
        return None
    name = nodeid[start + 1:-1]
    return name if name in targets else None


class TargetAffinity:
    """Bookkeeping for one run: the target of each collected item and the targets each worker has run."""

    def __init__(self, nodeids: Sequence[str], targets: Iterable[str] = TARGETS) -> None:
        known = frozenset(targets)
        self.targets: list[str | None] = [target_of(nodeid, known) for nodeid in nodeids]
        self._warm: dict[Hashable, set[str]] = {}

    def warm(self, worker: Hashable) -> frozenset[str]:
        """The targets ``worker`` has been sent items of."""
        return frozenset(self._warm.get(worker, ()))

    def order(self, pending: Sequence[int], worker: Hashable, wanted: int) -> list[int]:
        """``pending`` (collection indices) reordered so that its first ``wanted`` are the ones to send
        ``worker``; the rest keep their order."""
        here = self._warm.get(worker, set())
        first = [i for i in pending if self.targets[i] is None or self.targets[i] in here]
        if len(first) < wanted:
            elsewhere = set().union(*(seen for other, seen in self._warm.items() if other != worker))
            first += self._whole_targets(pending, here, elsewhere, wanted - len(first))
        if len(first) == len(pending):
            return first
        chosen = set(first)
        return first + [i for i in pending if i not in chosen]

    def _whole_targets(self, pending: Sequence[int], here: set[str], elsewhere: set[str], wanted: int) -> list[int]:
        by_target: dict[str, list[int]] = {}
        for i in pending:
            target = self.targets[i]
            if target is not None and target not in here:
                by_target.setdefault(target, []).append(i)
        # no worker has it yet, then the most pending; ties: first seen in pending (dicts keep that order)
        ranked = sorted(by_target, key=lambda target: (target in elsewhere, -len(by_target[target])))
        taken: list[int] = []
        for target in ranked:
            if len(taken) >= wanted:
                break
            taken += by_target[target]
        return taken

    def sent(self, worker: Hashable, indices: Iterable[int]) -> None:
        """Note that ``worker`` was sent ``indices``."""
        self._warm.setdefault(worker, set()).update(t for i in indices if (t := self.targets[i]) is not None)

    def forget(self, worker: Hashable) -> None:
        """``worker`` is gone (finished or crashed)."""
        self._warm.pop(worker, None)
