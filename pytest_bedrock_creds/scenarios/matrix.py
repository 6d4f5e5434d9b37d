"""The conformance matrix: scenario family x target, each cell counting agrees / documented / unexpected.

Results are plain dicts (they travel from xdist workers in ``user_properties``) and the
matrix renders as terminal text, Markdown or JSON here, as a self-contained HTML page in
:mod:`.matrix_html`; :mod:`.matrix_files` writes any of them to a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pytest_bedrock_creds.scenarios.names import STATUSES, TARGETS

__all__ = ["STATUSES", "Matrix", "Result"]



@dataclass(frozen=True)
class Result:
    family: str
    scenario: str
    target: str
    status: str
    reason: str = ""
    observed: str = ""
    expected: str = ""
    trace: str = ""
    #: set when the SDK's own claim of its credential source disagrees with the ledger's attribution
    witness: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"family": self.family, "scenario": self.scenario, "target": self.target, "status": self.status,
                "reason": self.reason, "observed": self.observed, "expected": self.expected, "trace": self.trace,
                "witness": self.witness}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        return cls(**{k: str(data.get(k, "")) for k in ("family", "scenario", "target", "status", "reason",
                                                         "observed", "expected", "trace", "witness")})


@dataclass
class Matrix:
    results: dict[tuple[str, str], Result] = field(default_factory=dict)

    def add(self, result: Result) -> None:
        self.results[(result.scenario + "\0" + result.family, result.target)] = result

    def extend(self, results: Iterable[Result]) -> None:
        for result in results:
            self.add(result)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def targets(self) -> list[str]:
        present = {r.target for r in self.results.values()}
        return [t for t in TARGETS if t in present] + sorted(present - set(TARGETS))

    @property
    def families(self) -> list[str]:
        return sorted({r.family for r in self.results.values()})

    def cell_results(self, family: str, target: str) -> list[Result]:
        return sorted((r for r in self.results.values() if r.family == family and r.target == target),
                      key=lambda r: r.scenario)

    def cell(self, family: str, target: str) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for r in self.results.values():
            if r.family == family and r.target == target:
                counts[r.status] = counts.get(r.status, 0) + 1
        return counts

    def totals(self, target: str) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for r in self.results.values():
            if r.target == target:
                counts[r.status] = counts.get(r.status, 0) + 1
        return counts

    def witness_disagreements(self) -> list[Result]:
        """Results where the SDK's own claim (botocore's User-Agent metrics) contradicts the ledger."""
        return sorted((r for r in self.results.values() if r.witness), key=lambda r: (r.target, r.family, r.scenario))

    def divergences(self) -> list[Result]:
        return sorted((r for r in self.results.values() if r.status in ("documented", "unexpected")),
                      key=lambda r: (r.target, r.family, r.scenario))

    @staticmethod
    def counts_text(counts: dict[str, int]) -> str:
        if not any(counts.values()):
            return "-"
        parts = [f"{counts['agrees']} agree"] if counts["agrees"] or not counts["skipped"] else []
        if counts["documented"]:
            parts.append(f"{counts['documented']} documented")
        if counts["unexpected"]:
            parts.append(f"{counts['unexpected']} UNEXPECTED")
        if counts["skipped"]:
            parts.append(f"{counts['skipped']} skipped")
        return ", ".join(parts)

    def rows(self) -> list[list[str]]:
        rows = [["family", *self.targets]]
        for family in self.families:
            rows.append([family, *(self.counts_text(self.cell(family, t)) for t in self.targets)])
        rows.append(["total", *(self.counts_text(self.totals(t)) for t in self.targets)])
        return rows

    def to_text(self) -> str:
        rows = self.rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = []
        for index, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            if index == 0 or index == len(rows) - 2:
                lines.append("  ".join("-" * w for w in widths))
        lines += self._witness_lines()
        return "\n".join(lines)

    def _witness_lines(self) -> list[str]:
        disagreements = self.witness_disagreements()
        if not disagreements:
            return []
        return [f"second witness: {len(disagreements)} request(s) where the SDK's own claim contradicts the ledger:",
                *(f"  {r.target} {r.family}/{r.scenario}: {r.witness}" for r in disagreements)]

    def to_markdown(self) -> str:
        rows = self.rows()
        out = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        out += ["| " + " | ".join(r) + " |" for r in rows[1:-1]]
        out.append("| " + " | ".join(f"**{c}**" for c in rows[-1]) + " |")
        divergences = self.divergences()
        if divergences:
            out += ["", "| target | scenario | status | observed | reason |", "|---|---|---|---|---|"]
            out += [f"| {r.target} | {r.family}/{r.scenario} | {r.status} | {_cell(r.observed)} | {_cell(r.reason)} |"
                    for r in divergences]
        witness = self._witness_lines()
        if witness:
            out += ["", witness[0], "", *(f"- {line.strip()}" for line in witness[1:])]
        return "\n".join(out) + "\n"

    def to_json(self) -> str:
        data = {
            "targets": self.targets,
            "families": {f: {t: self.cell(f, t) for t in self.targets} for f in self.families},
            "totals": {t: self.totals(t) for t in self.targets},
            "results": [r.to_dict() for r in sorted(self.results.values(),
                                                    key=lambda r: (r.family, r.scenario, r.target))],
        }
        return json.dumps(data, indent=2, sort_keys=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
