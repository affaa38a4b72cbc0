"""The HTML report's page model and text: numbers against the report and against hand-worked small
streams, sections that say "not available" when their inputs are missing, stable bytes, nothing loaded."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pytest

from mozartc.backends.registry import build_backend
from mozartc.executor import execute, make_report
from mozartc.executor.api import run_stream_file
from mozartc.executor.engine import Timeline
from mozartc.hw import default_target_path, load_target
from mozartc.ir.core import Module
from mozartc.ir.parser import parse_module
from mozartc.reports import machine, timing
from mozartc.reports.data import a2a_traffic, dram_traffic, utilisation_over_time
from mozartc.reports.html import build_page, render_html
from mozartc.units import (
    fmt_bytes,
    fmt_joules,
    fmt_per_second,
    fmt_rate,
    fmt_ratio,
    fmt_seconds,
    fmt_share,
)
from tests.conftest import REPO

SMALL = REPO / "tests" / "isa" / "data" / "small.mzs"
SCHEDULED = REPO / "tests" / "passes" / "golden" / "tiny.scheduled.mir"
SECTIONS = ["summary", "breakdown", "critical-path", "bounds", "utilisation", "traffic", "sram", "dram", "energy",
            "mapping"]


@pytest.fixture(scope="module")
def mapped() -> tuple[dict[str, Any], Timeline, Module]:
    """The golden scheduled tiny-moe module, lowered by the mozart backend and timed on the wafer."""
    module = parse_module(SCHEDULED.read_text(), str(SCHEDULED))
    target = load_target(default_target_path())
    output = build_backend("mozart").emit(module, target)
    assert output.stream is not None
    timeline = execute(output.stream, target)
    return make_report(timeline), timeline, module


def test_units_round_for_reading() -> None:
    assert fmt_bytes(13_309_116_416) == "13.3 GB" and fmt_bytes(798_720) == "799 kB" and fmt_bytes(512) == "512 B"
    assert fmt_rate(256e9) == "256 GB/s" and fmt_seconds(0.053) == "53 ms" and fmt_seconds(2.228e-4) == "222.8 us"
    assert fmt_joules(0.0456) == "45.6 mJ" and fmt_joules(2.5) == "2.5 J" and fmt_joules(0) == "0 J"
    assert fmt_share(0.9806) == "98.1%" and fmt_ratio(1.0192) == "1.019"
    assert fmt_per_second(36_770_266, "tokens") == "36,800,000 tokens/s"


def test_utilisation_grid_by_hand_on_the_small_stream() -> None:
    run = run_stream_file(SMALL, REPO / "targets" / "wafer.toml")
    tl, report = run.timeline, run.report
    bins = 10
    grid = utilisation_over_time(tl, bins)
    edges = np.linspace(0.0, tl.step_time, bins + 1)

    def covered(a: float, b: float) -> np.ndarray:
        """Share of each bin inside [a, b]."""
        return np.clip(np.minimum(edges[1:], b) - np.maximum(edges[:-1], a), 0, None) / np.diff(edges)

    # %3 loads 9437184 bytes from dram0 alone: the stack runs at its full 256 GB/s from 0 until the last byte
    dram0 = grid.share[grid.rows.index("dram:dram0")]
    np.testing.assert_allclose(dram0, covered(0.0, 9437184 / 256e9), atol=1e-9)
    # attention0's arrays run %1 then %2 back to back, and nothing else
    attn = grid.share[grid.rows.index("compute:attention0")]
    assert tl.start[2] == pytest.approx(tl.finish[1])
    np.testing.assert_allclose(attn, covered(float(tl.start[1]), float(tl.finish[2])), atol=1e-9)
    # every row's mean over the bins is the resource's utilisation in the report
    for r, name in enumerate(grid.rows):
        assert grid.share[r].mean() == pytest.approx(report["utilization"][name], rel=1e-9, abs=1e-12)
    assert grid.share.min() >= 0 and grid.share.max() <= 1


def test_a2a_matrix_and_dram_traffic_by_hand_on_the_small_stream() -> None:
    stream = run_stream_file(SMALL).timeline.stream
    mb2 = 2097152
    t = a2a_traffic(stream, ["attention0", "expert0", "expert4", "switch0", "switch1"])
    assert t.endpoints == ("attention0", "expert0", "expert4", "switch0", "switch1")
    expected = np.zeros((5, 5))
    expected[0, 1] = expected[0, 2] = mb2  # dispatch
    expected[1, 3] = expected[2, 4] = mb2  # combine legs into the switches
    expected[3, 0] = expected[4, 0] = mb2  # gathered sums up to the attention chiplet
    np.testing.assert_array_equal(t.bytes, expected)
    assert t.sends == 6 and t.reduced == {"switch0": mb2, "switch1": mb2}
    assert dram_traffic(stream) == {"dram4": (25165824, 0), "dram0": (9437184, 0), "dram1": (9437184, 0),
                                    "dram5": (0, 8388608)}


def test_sections_and_numbers_match_the_report(mapped: tuple[dict[str, Any], Timeline, Module]) -> None:
    report, tl, module = mapped
    page = build_page(report, tl, module)
    assert [s.id for s in page.sections] == SECTIONS
    assert all(s.available for s in page.sections if s.id != "energy")
    step = report["step_time_s"]
    summary = dict(page.section("summary").facts)
    assert summary["step time"] == fmt_seconds(step)
    assert summary["tokens per step"] == "64"  # schedule: 2 micro-batches x 32 tokens
    assert summary["step / bound"] == fmt_ratio(report["step_over_bound"])
    for sid, key in (("breakdown", "breakdown_s"), ("critical-path", "critical_path_s")):
        table = page.section(sid).tables[0]
        assert table.column("kind") == [*report[key], "total"]
        assert table.column("time")[:-1] == [fmt_seconds(v) for v in report[key].values()]
        assert table.column("time")[-1] == fmt_seconds(step)  # the parts add up to the step
        assert sum(float(s.rstrip("%")) for s in table.column("share of step")[:-1]) == pytest.approx(100, abs=0.5)
    bounds = page.section("bounds").tables[0]
    values = report["lower_bounds_s"]
    assert bounds.column("bound") == sorted(values, key=lambda k: (-values[k], k))
    assert bounds.rows[0][1] == fmt_seconds(report["lower_bound_s"]) and bounds.rows[0][3] == report["lower_bound_from"]
    assert all(r[2] == (fmt_ratio(step / values[r[0]]) if values[r[0]] > 0 else "-") for r in bounds.rows)
    sram = page.section("sram").tables[0]
    assert sram.column("peak") == [fmt_bytes(report["sram_bytes"][c]["peak"]) for c in sram.column("chiplet")]
    dram = page.section("dram").tables[0]
    assert dram.column("bandwidth use") == [fmt_share(report["utilization"][f"dram:{s}"]) for s in dram.column("stack")]


def test_mapping_lists_each_clusters_experts_under_its_chiplet(
        mapped: tuple[dict[str, Any], Timeline, Module]) -> None:
    _, tl, module = mapped
    table = machine.mapping(module, tl).tables[0]
    ops = [op for op in module.ops() if op.name == "experts"]
    assert len(table.rows) == len(ops) == 3 and table.headers[1:] == tuple(f"expert{k}" for k in range(16))
    for row, op in zip(table.rows, ops, strict=True):
        clusters, chiplets = op.attrs["clusters"], op.attrs["chiplets"]
        assert isinstance(clusters, list) and isinstance(chiplets, list)
        for cluster, chip in zip(clusters, chiplets, strict=True):
            assert isinstance(cluster, list) and isinstance(chip, int)
            assert row[1 + chip] == " ".join(str(e) for e in sorted(int(str(x)) for x in cluster))
        held = [int(e) for cell in row[1:] for e in cell.split()]
        assert sorted(held) == list(range(32))


def test_energy_section_when_the_report_has_it(mapped: tuple[dict[str, Any], Timeline, Module]) -> None:
    report, _, module = mapped
    without = {k: v for k, v in report.items() if not k.startswith("energy")}  # a target without [energy]
    missing = machine.energy(without)
    assert not missing.available and missing.notes[0].startswith("Not available")
    with_energy = copy.deepcopy(report)
    with_energy["energy_j"] = {"total": 2.5, "compute": 1.5, "dram": 0.75, "nop": 0.25}
    with_energy["energy_per_token_j"] = {"total": 0.039, "compute": 0.0234, "dram": 0.0117, "nop": 0.0039}
    energy = machine.energy(with_energy)
    assert energy.available and energy.figure is not None
    assert dict(energy.facts) == {"total per step": "2.5 J", "per token": "39 mJ"}
    table = energy.tables[0]
    assert table.column("component") == ["compute", "dram", "nop", "total"]
    assert table.column("share of total") == ["60.0%", "30.0%", "10.0%", "100.0%"]
    assert dict(timing.summary(with_energy, module).facts)["energy per token"] == "39 mJ"
    assert 'id="energy-' in energy.figure  # the figure's ids carry its prefix


def test_without_timeline_or_module_the_page_says_what_is_missing(
        mapped: tuple[dict[str, Any], Timeline, Module]) -> None:
    report, tl, _ = mapped
    bare = build_page({k: v for k, v in report.items() if not k.startswith("energy")})
    missing = {s.id for s in bare.sections if not s.available}
    assert missing == {"utilisation", "traffic", "dram", "energy", "mapping"}
    mapping = machine.mapping(None, tl)
    assert not mapping.available and "mozartc run FILE.mzs" in mapping.notes[0]
    html = render_html(bare)
    assert html.count("Not available:") == 5


class _Page(HTMLParser):
    """Collects tags, ids, id references and URL-like attribute values."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.ids: list[str] = []
        self.refs: list[str] = []
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for key, value in attrs:
            value = value or ""
            if key == "id":
                self.ids.append(value)
            self.refs += re.findall(r"url\(#([^)]+)\)", value)
            if key in ("href", "xlink:href") and value.startswith("#"):
                self.refs.append(value[1:])
            if key in ("src", "href", "xlink:href", "action") or "://" in value:
                self.urls.append((tag, key, value))


def test_page_is_self_contained_and_byte_stable(mapped: tuple[dict[str, Any], Timeline, Module]) -> None:
    report, tl, module = mapped
    first = render_html(build_page(report, tl, module))
    assert render_html(build_page(report, tl, module)) == first  # fresh figures, same bytes
    for stamp in ("<metadata", "dc:date", "Matplotlib v", "<?xml", "<!DOCTYPE svg"):
        assert stamp not in first
    page = _Page()
    page.feed(first)
    assert not page.tags & {"script", "link", "img", "iframe", "object", "embed", "form"}
    assert len(page.ids) == len(set(page.ids))  # several SVGs, no shared id
    assert set(page.refs) <= set(page.ids) and page.refs  # every url(#...) / href="#..." resolves
    # links point inside the page (section anchors, SVG ids), images are inline, and the only absolute
    # URLs are the SVG namespace names, which nothing fetches
    namespaces = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    for tag, key, value in page.urls:
        assert (value.startswith("#") or value.startswith("data:image/png;base64,")
                or (key.startswith("xmlns") and value in namespaces)), (tag, key, value[:60])
    assert {f"#{s}" for s in SECTIONS} <= {v for _, k, v in page.urls if k == "href"}
