"""What CI shows: the matrix on the job's summary page, one JUnit property per fact of a scenario item,
and a self-contained HTML matrix (parsed here, as a browser would, and checked to load nothing)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _pytester_helpers import MINE

from pytest_bedrock_creds.scenarios import Matrix, Result
from pytest_bedrock_creds.scenarios.matrix_html import COLOURS, render

SCENARIOS = MINE + """\
  - name: thinks-env-wins
    settings: {access_key_id: AKIALITERALLITERAL01, secret_access_key: TopSecretLiteralValue1234567890abcdefghi}
    env_keys: issued
    expect: {scheme: sigv4, source: env}
  - name: not-on-anthropic
    env_keys: issued-temporary
    expect: {scheme: sigv4, source: env}
    expect_by_target:
      botocore: {skip: true, reason: "a <b>reason</b> & an ampersand"}
"""
SECRET = "TopSecretLiteralValue"
#: What issued secrets look like unredacted: an STS-shaped session token, a long-term API key.
ISSUED = re.compile(r"IQoJb3JpZ2luX2VjE|ABSK[A-Za-z0-9+/=]{16}")
ARGS = ("--bedrock-targets=reference,botocore", "-p", "no:cacheprovider", "-p", "no:langsmith_plugin")


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".yaml", bedrock_creds_mine=SCENARIOS)
    return pytester


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_the_matrix_is_appended_to_the_github_step_summary(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: tuple[str, ...]
) -> None:
    summary = suite.path / "summary.md"
    summary.write_text("# an earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = suite.runpytest_subprocess(*ARGS, *workers)
    result.assert_outcomes(passed=7, failed=2, skipped=1)
    text = summary.read_text()
    heading = "## bedrock-creds conformance matrix\n\n| family | reference | botocore |"
    assert text.startswith("# an earlier step\n" + heading)
    assert text.count("## bedrock-creds conformance matrix") == 1  # once, by the controller
    assert "| mine | 4 agree, 1 UNEXPECTED | 2 agree, 1 documented, 1 UNEXPECTED, 1 skipped |" in text
    assert SECRET not in text


def test_without_the_variable_no_summary_is_written(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    result = suite.runpytest_subprocess(*ARGS)
    assert "GITHUB_STEP_SUMMARY" not in result.stdout.str()
    assert sorted(p.name for p in suite.path.iterdir() if p.suffix == ".md") == []


def _properties(xml: Path) -> dict[str, dict[str, str]]:
    cases = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        cases[case.get("name", "")] = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
    return cases


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_each_scenario_item_carries_target_outcome_and_reason_as_junit_properties(
    suite: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    suite.runpytest_subprocess(*ARGS, *workers, "--junitxml=junit.xml")
    cases = _properties(suite.path / "junit.xml")
    facts = {name: (props["bedrock_target"], props["bedrock_outcome"], props["bedrock_reason"])
             for name, props in cases.items()}
    assert facts["env-keys[reference]"] == ("reference", "agrees", "")
    assert facts["blank-token[botocore]"] == ("botocore", "documented", "botocore sends the blank token")
    assert facts["not-on-anthropic[botocore]"] == (
        "botocore", "skipped", "not-on-anthropic skips botocore: a <b>reason</b> & an ampersand")
    assert facts["thinks-env-wins[reference]"] == (
        "reference", "unexpected", "expected sigv4 from env, observed sigv4 from static in us-east-1")
    wrong = cases["thinks-env-wins[reference]"]
    assert wrong["bedrock_expected"] == "sigv4 from env"
    assert "StaticCredentialsResolver: used" in wrong["bedrock_trace"]
    xml = (suite.path / "junit.xml").read_text()
    assert SECRET not in xml and not ISSUED.search(xml)


class _Page(HTMLParser):
    """What a browser would see: elements, attributes, the style, and the text inside each element with an id."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "base", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.style = ""
        self.text_by_id: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of the open elements

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag not in self.VOID:
            self._open.append((tag, attributes.get("id")))
            if "id" in attributes:
                self.text_by_id[attributes["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1][0] == "style":
            self.style += data
        for _, ident in self._open:
            if ident is not None:
                self.text_by_id[ident] += data


def test_the_html_matrix_is_self_contained_and_clickable(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess(*ARGS, "--bedrock-matrix=out/matrix.html")
    result.stdout.fnmatch_lines(["conformance matrix written to *out/matrix.html"])
    html = (suite.path / "out" / "matrix.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    names = [tag for tag, _ in page.tags]
    # nothing loads from anywhere: no scripts, no external resources, links only inside the page
    assert not {"script", "link", "img", "iframe", "object", "embed", "form", "base"} & set(names)
    for _, attributes in page.tags:
        assert not {"src", "srcset", "action", "background"} & set(attributes)
        assert not any(k.startswith("on") for k in attributes)  # no inline event handlers
        assert attributes.get("href", "#").startswith("#")
    assert "url(" not in page.style and "@import" not in page.style
    assert ("meta", {"http-equiv": "Content-Security-Policy",
                     "content": "default-src 'none'; style-src 'unsafe-inline'"}) in page.tags
    # a coloured cell per family x target, each a link to a section that exists
    cells = [attrs for tag, attrs in page.tags if tag == "td" and "class" in attrs]
    assert [c["class"] for c in cells[:2]] == ["unexpected", "unexpected"]  # the mine row, then the totals
    for status, colour in COLOURS.items():
        assert f".{status} {{ background: {colour}; }}" in page.style
    links = [attrs["href"][1:] for tag, attrs in page.tags if tag == "a"]
    assert len(links) == 2 and all(link in page.text_by_id for link in links)
    # the click shows expected, observed, reason and trace for every scenario of the cell
    botocore = page.text_by_id[links[1]]
    assert "mine × botocore" in botocore
    for scenario in ("env-keys", "bearer-beats-profile", "blank-token", "thinks-env-wins", "not-on-anthropic"):
        assert scenario in botocore
    documented = ("expectedbearer from bearer:<empty>, rejected with an error containing "
                  "'rejected: AccessDeniedException'observedbearer from bearer:<empty>, "
                  "rejected: AccessDeniedExceptionreasonbotocore sends the blank token")
    assert documented + "traceConverse: sigv4 from env" in botocore.replace("\n", "")
    assert "EnvironmentCredentialsResolver" in botocore
    assert "a <b>reason</b> & an ampersand" in botocore  # escaped in the file, text again when parsed
    assert "<b>reason</b>" not in html
    assert SECRET not in html and not ISSUED.search(html)


def test_html_rendering_escapes_everything() -> None:
    matrix = Matrix()
    matrix.add(Result("f<x>", "s&1", "botocore", "unexpected", "r<script>", "o</td>", "e\"'", "t<pre>"))
    html = render(matrix)
    for raw in ("<x>", "<script>", "</td>o", "t<pre>"):
        assert raw not in html
    page = _Page()
    page.feed(html)
    assert [tag for tag, _ in page.tags].count("script") == 0
