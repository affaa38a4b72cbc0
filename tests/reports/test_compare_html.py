"""``--baseline BASE.json`` with ``--html``: the page's "Compared with baseline" section holds what
``mozartc diff BASE.json THIS.json`` prints; a bad baseline fails before any work and writes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mozartc.reports.html import build_page
from mozartc.reports.report_file import load_report
from tests.conftest import REPO, CliResult

GOLDEN = REPO / "tests" / "backends" / "golden"
STREAM = GOLDEN / "tiny.mozart-c.mzs"
BASELINE = GOLDEN / "tiny.baseline.report.json"
THIS = GOLDEN / "tiny.mozart-c.report.json"


class _Cells(HTMLParser):
    """The text of every table cell inside ``<section id=SECTION>``, row by row."""

    def __init__(self, section: str) -> None:
        super().__init__()
        self.section = section
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self.inside = dict(attrs).get("id") == self.section
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell += data


def test_run_html_with_baseline(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    pages = []
    for k in range(2):
        page = tmp_path / f"r{k}.html"
        res = cli("run", STREAM, "--html", page, "--baseline", BASELINE)
        assert res.code == 0, res.err
        pages.append(page.read_text())
    assert pages[0] == pages[1]
    text = pages[0]
    ids = [line.split('"')[1] for line in text.splitlines() if line.startswith("<section id=")]
    assert ids[:3] == ["summary", "baseline", "breakdown"]
    # the section's tables have the cells mozartc diff prints (the golden reports are the same two runs)
    parser = _Cells("baseline")
    parser.feed(text)
    diff = cli("diff", BASELINE, THIS)
    printed = {}
    for line in diff.out.splitlines():
        if line.startswith("| ") and not line.startswith("|--"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            printed.setdefault(cells[0], cells[1:])
    shown: dict[str, list[str]] = {}
    for row in parser.rows:
        if row and row[0]:
            shown.setdefault(row[0], row[1:])
    for name in ("step time", "compute", "dram_load", "total", "SRAM peak, fullest chiplet", "compute:attention0"):
        assert shown[name] == printed[name], name
    base, this = (json.loads(p.read_text()) for p in (BASELINE, THIS))
    assert shown["step time"][3] == f"{this['step_time_s'] / base['step_time_s']:.3f}"


def test_page_model_has_the_comparison_values() -> None:
    this = json.loads(THIS.read_text())
    page = build_page(this, baseline=load_report(BASELINE))
    section = page.section("baseline")
    base = json.loads(BASELINE.read_text())
    assert section.values["step_baseline_s"] == base["step_time_s"]
    assert section.values["step_this_s"] == this["step_time_s"]
    assert section.values["ratio"] == pytest.approx(this["step_time_s"] / base["step_time_s"])
    assert section.figure is not None and "baseline" in section.figure and "this run" in section.figure
    assert [t.headers[0] for t in section.tables][:2] == ["Step", "Breakdown"]
    assert "baseline" not in [s.id for s in build_page(this).sections]


def test_baseline_needs_html(cli: Callable[..., CliResult]) -> None:
    res = cli("run", STREAM, "--baseline", BASELINE)
    assert res.code == 2 and res.out == ""
    assert res.err == ("mozartc: error: --baseline: needs --html: the comparison with a baseline is a section of "
                       "the HTML report\n")


@pytest.mark.parametrize("command", ["compile", "run"])
def test_bad_baseline_fails_first_and_writes_nothing(cli: Callable[..., CliResult], tmp_path: Path,
                                                     command: str) -> None:
    bad = tmp_path / "base.json"
    bad.write_text("{}")
    page, report = tmp_path / "r.html", tmp_path / "r.json"
    source = ["tiny-moe", "--run"] if command == "compile" else [STREAM]
    res = cli(command, *source, "--html", page, "--report", report, "--baseline", bad)
    assert res.code == 2
    assert res.err.startswith(f"mozartc: error: {bad}: not a mozartc step report") and res.err.count("\n") == 1
    assert "step time" not in res.err + res.out  # failed before timing anything
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.json"]
