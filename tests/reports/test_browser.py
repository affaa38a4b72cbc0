"""The HTML report in a real browser: Debian's headless chromium loads the page that
``mozartc compile ... --run --html`` wrote, from a file:// URL with the network off. No console
message, no request but the page itself (and the inline images of its SVGs, data: URLs), every
section and figure laid out with a non-zero size; the screenshot is kept in pytest's tmp path.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult
from tests.reports import browser

SECTIONS = ("summary", "breakdown", "critical-path", "bounds", "utilisation", "traffic", "sram", "dram", "energy",
            "mapping")


@pytest.fixture
def need_browser() -> None:
    if browser.available():
        return
    message = "chromium and chromedriver are needed (apt-get install chromium chromium-driver; .ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI must not skip the browser test
    pytest.skip(message)


def test_compiled_report_renders_in_headless_chromium(need_browser: None, cli: Callable[..., CliResult],
                                                      tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    res = cli("compile", "tiny-moe", "--target", REPO / "targets" / "wafer.toml", "--pipeline", "mozart-c",
              "--seq-len", "64", "--micro-batch", "2", "--run", "--html", page)
    assert res.code == 0, res.err
    with browser.chromium() as driver:
        loaded = browser.load(driver, page)
        png = browser.screenshot(driver, tmp_path / "report.png")
    assert loaded.console == []
    assert loaded.failed == []
    assert page.resolve().as_uri() in loaded.requests
    assert [u for u in loaded.requests if u != page.resolve().as_uri() and not u.startswith("data:")] == []
    assert tuple(loaded.sections) == SECTIONS
    for section, (width, height) in loaded.sections.items():
        assert width > 0 and height > 0, section
    # a figure in breakdown, critical path, bounds, utilisation, traffic, SRAM, DRAM and energy (the summary
    # and the mapping are text and tables)
    assert len(loaded.figures) == 8
    assert all(w > 100 and h > 50 for w, h in loaded.figures)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == browser.WIDTH and height > 3000  # the whole page, not just the window


def test_baseline_section_renders_in_headless_chromium(need_browser: None, cli: Callable[..., CliResult],
                                                        tmp_path: Path) -> None:
    """``mozartc run ... --html --baseline``: the "Compared with baseline" section lays out after the summary."""
    golden = REPO / "tests" / "backends" / "golden"
    page = tmp_path / "r.html"
    res = cli("run", golden / "tiny.mozart-c.mzs", "--html", page, "--baseline", golden / "tiny.baseline.report.json")
    assert res.code == 0, res.err
    with browser.chromium() as driver:
        loaded = browser.load(driver, page)
        browser.screenshot(driver, tmp_path / "report.png")
    assert loaded.console == [] and loaded.failed == []
    assert [u for u in loaded.requests if u != page.resolve().as_uri() and not u.startswith("data:")] == []
    assert tuple(loaded.sections) == (SECTIONS[0], "baseline", *SECTIONS[1:])
    for section, (width, height) in loaded.sections.items():
        assert width > 0 and height > 0, section
    assert loaded.sections["baseline"][1] > 800  # a figure and seven tables, not an empty box
    assert len(loaded.figures) == 9  # the eight of the page and the paired breakdown bars
    assert all(w > 100 and h > 50 for w, h in loaded.figures)
