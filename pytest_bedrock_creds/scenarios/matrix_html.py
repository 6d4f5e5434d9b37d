"""The conformance matrix as one self-contained HTML page, for people who would rather look than read.

A coloured cell per scenario family and target (red: something unexpected; amber: documented
divergences; green: all agree; grey: skipped). A click on a cell shows its scenarios, each with
what was expected, what was observed, the reason and the reference chain's trace. No script:
the click follows an in-page link and CSS's ``:target`` shows the cell's section. Nothing is
loaded from anywhere (a Content-Security-Policy of ``default-src 'none'`` says so to the browser),
and every text is escaped. The texts are the redacted ones the scenario items recorded.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from pytest_bedrock_creds.scenarios.names import STATUSES

if TYPE_CHECKING:
    from pytest_bedrock_creds.scenarios.matrix import Matrix, Result

__all__ = ["COLOURS", "cell_status", "render"]

#: Status -> background colour of a cell (and of a scenario's marker in the details).
COLOURS = {"unexpected": "#f4b6b6", "documented": "#f7dc8c", "agrees": "#b9e3b0", "skipped": "#dddddd"}
_LABELS = {"unexpected": "UNEXPECTED", "documented": "documented", "agrees": "agrees", "skipped": "skipped"}

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table.matrix { border-collapse: collapse; }
.matrix th, .matrix td { border: 1px solid #999; padding: 0; text-align: left; }
.matrix th { padding: .4em .7em; background: #f2f2f2; }
.matrix td a { display: block; padding: .4em .7em; color: inherit; text-decoration: none; }
.matrix td a:hover { outline: 2px solid #333; }
.legend span { padding: .1em .5em; margin-right: .5em; }
section.cell { display: none; margin-top: 1.5em; }
section.cell:target { display: block; }
article { border-left: 6px solid #999; padding: .2em .8em; margin: .6em 0; }
dt { font-weight: bold; } dd { margin: 0 0 .3em 1.5em; }
pre { margin: 0; white-space: pre-wrap; }
""" + "".join(
    f".{status} {{ background: {colour}; }} article.{status} {{ border-left-color: {colour}; background: none; }}\n"
    for status, colour in COLOURS.items()
)


def cell_status(counts: dict[str, int]) -> str:
    """The colour class of a cell: its worst status (``""`` for an empty cell)."""
    for status in ("unexpected", "documented", "agrees", "skipped"):
        if counts.get(status):
            return status
    return ""


def _id(family_index: int, target_index: int) -> str:
    return f"cell-{family_index}-{target_index}"


def _article(result: Result) -> str:
    rows = [("expected", result.expected or "-"), ("observed", result.observed or "-"),
            ("reason", result.reason or "-")]
    fields = "".join(f"<dt>{name}</dt><dd>{escape(value)}</dd>" for name, value in rows)
    fields += f"<dt>trace</dt><dd><pre>{escape(result.trace or '-')}</pre></dd>"
    return (f'<article class="{escape(result.status)}"><h3>{escape(result.scenario)} '
            f'<span class="{escape(result.status)}">{escape(_LABELS.get(result.status, result.status))}</span></h3>'
            f"<dl>{fields}</dl></article>")


def render(matrix: Matrix) -> str:
    targets, families = matrix.targets, matrix.families
    head = "".join(f"<th>{escape(t)}</th>" for t in targets)
    rows, sections = [], []
    for f_index, family in enumerate(families):
        cells = []
        for t_index, target in enumerate(targets):
            counts = matrix.cell(family, target)
            status = cell_status(counts)
            if not status:
                cells.append("<td>-</td>")
                continue
            anchor = _id(f_index, t_index)
            cells.append(f'<td class="{status}"><a href="#{anchor}">{escape(matrix.counts_text(counts))}</a></td>')
            articles = "".join(_article(r) for r in matrix.cell_results(family, target))
            sections.append(f'<section class="cell" id="{anchor}"><h2>{escape(family)} &times; {escape(target)}</h2>'
                            f"{articles}</section>")
        rows.append(f"<tr><th>{escape(family)}</th>{''.join(cells)}</tr>")
    total_counts = [matrix.totals(t) for t in targets]
    totals = "".join(f'<td class="{cell_status(c)}"><b>{escape(matrix.counts_text(c))}</b></td>' for c in total_counts)
    rows.append(f"<tr><th>total</th>{totals}</tr>")
    legend = "".join(f'<span class="{s}">{_LABELS[s]}</span>' for s in STATUSES)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">\n'
        "<title>bedrock-creds conformance matrix</title>\n"
        f"<style>{_STYLE}</style></head>\n<body>\n"
        "<h1>bedrock-creds conformance matrix</h1>\n"
        f'<p class="legend">{legend} &mdash; click a cell for its scenarios: expected, observed, reason, trace.</p>\n'
        f'<table class="matrix"><thead><tr><th>family</th>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )
