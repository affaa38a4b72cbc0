"""``mozartc diff``: a hand-made pair with numbers worked by hand, the real tiny-moe baseline against
mozart-c, every kind of bad input (exit 2, one line naming the file), and stable bytes."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.cli import main
from mozartc.executor.report import REPORT_SCHEMA
from mozartc.reports.compare import compare_reports
from mozartc.reports.compare_format import row_cells
from mozartc.reports.report_file import check_report
from tests.conftest import CliResult

KINDS = ("compute", "all_to_all", "dram_load", "dram_save", "sync", "exposed")


def _report(step: float, parts: tuple[float, ...], bounds: dict[str, float], util: dict[str, float],
            energy: float, sram_peaks: dict[str, int], pipeline: str) -> dict[str, Any]:
    """A small report in the layout make_report writes (only what the comparison reads, plus a stray key)."""
    return {
        "report_schema": REPORT_SCHEMA, "target": "mozart-wafer", "model": "toy", "pipeline": pipeline,
        "stream": "toy", "mozartc_version": "0.1.0", "instructions": 100, "C_T": 4.0, "tokens_per_step": 1000,
        "step_time_s": step, "lower_bound_s": max(bounds.values()), "lower_bound_from": "dram:dram0: ...",
        "breakdown_s": dict(zip(KINDS, parts, strict=True)),
        "critical_path_s": dict(zip(KINDS, parts, strict=True)),
        "lower_bounds_s": bounds, "utilization": util,
        "totals": {"dram_read_bytes": 2_000_000, "dram_write_bytes": 1_000_000, "send_bytes": 500_000,
                   "gemm_flops": 10**12},
        "energy_j": {"compute": energy / 2, "sram": 0.0, "links": 0.0, "switch": 0.0, "dram": energy / 4,
                     "ssd": 0.0, "static": energy / 4, "total": energy},
        "energy_per_token_j": {"total": energy / 1000},
        "average_power_w": energy / step,
        "sram_bytes": {chip: {"peak": peak, "capacity": 1_000_000, "share": peak / 1_000_000}
                       for chip, peak in sram_peaks.items()},
        "dram_bytes": {"dram0": {"in_use": 3_000_000, "capacity": 8_000_000, "share": 0.375, "spill": 0}},
        "ignored_extra_key": [1, 2, 3],
    }


# a: 100 ms; b: 80 ms. b/a = 0.8, a/b = 1.25, b - a = -20 ms (by hand)
A = _report(0.100, (0.040, 0.010, 0.050, 0.0, 0.0, 0.0), {"dram": 0.080, "compute": 0.040, "dependency_chain": 0.020},
            {"dram:dram0": 0.80, "link:x->y": 0.10, "compute:expert0": 0.40}, 10.0,
            {"expert0": 500_000, "expert1": 250_000}, "baseline")
B = _report(0.080, (0.040, 0.005, 0.035, 0.0, 0.0, 0.0), {"dram": 0.070, "compute": 0.040, "dependency_chain": 0.030},
            {"dram:dram0": 0.875, "compute:expert0": 0.55, "switch:switch0": 0.05}, 6.0,
            {"expert0": 400_000, "expert1": 600_000}, "mozart-c")


def _rows(text: str) -> dict[str, list[str]]:
    """The cells of every table row of the plain text, by the row's name (the first one of each name)."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|--"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            out.setdefault(cells[0], cells[1:])
    return out


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return _write(tmp_path / "a.json", A), _write(tmp_path / "b.json", B)


def test_hand_made_pair_text(cli: Callable[..., CliResult], pair: tuple[Path, Path]) -> None:
    res = cli("diff", *pair)
    assert res.code == 0 and res.err == ""
    lines = res.out.splitlines()
    assert "step time: a 100 ms, b 80 ms (-20 ms); b/a 0.800, speed-up a/b 1.250x" in lines
    rows = _rows(res.out)
    assert rows["step time"] == ["100 ms", "80 ms", "-20 ms", "0.800"]
    assert rows["step / bound"] == ["1.25", "1.143", "-0.1071", "0.914"]  # 100/80 and 80/70
    # breakdown (the first table with these names): dram_load 50 -> 35 ms, all_to_all 10 -> 5 ms
    assert rows["dram_load"] == ["50 ms", "35 ms", "-15 ms", "0.700"]
    assert rows["all_to_all"] == ["10 ms", "5 ms", "-5 ms", "0.500"]
    assert rows["sync"] == ["0 s", "0 s", "0", "-"]
    # energy 10 J -> 6 J; per token 10 mJ -> 6 mJ; power 10 J / 100 ms = 100 W -> 6 J / 80 ms = 75 W
    assert rows["total"] == ["10 J", "6 J", "-4 J", "0.600"]
    assert rows["per token (total)"] == ["10 mJ", "6 mJ", "-4 mJ", "0.600"]
    assert rows["average power"] == ["100 W", "75 W", "-25 W", "0.750"]
    # fullest SRAM chiplet: a expert0 (50%), b expert1 (60%); all chiplets 750 kB -> 1 MB
    assert rows["SRAM peak, fullest chiplet"] == ["500 kB (expert0)", "600 kB (expert1)", "+100 kB", "1.200"]
    assert rows["SRAM peak share, fullest chiplet"] == ["50.0% (expert0)", "60.0% (expert1)", "+10.0 pp", "1.200"]
    assert rows["SRAM peak, all chiplets"] == ["0.75 MB", "1 MB", "+250 kB", "1.333"]
    assert rows["link:x->y"] == ["10.0%", "0.0%", "-10.0 pp", "0.000"]
    assert "\x1b" not in res.out and "━" not in res.out  # plain text when stdout is not a terminal


def test_hand_made_pair_json(cli: Callable[..., CliResult], pair: tuple[Path, Path]) -> None:
    res = cli("diff", *pair, "--json", "--top", "3")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["step"] == {"a_s": 0.1, "b_s": 0.08, "delta_s": -0.02, "ratio_b_over_a": 0.8,
                            "speedup_a_over_b": 1.25}
    assert data["a"]["pipeline_preset"] == "baseline" and data["b"]["pipeline_preset"] == "mozart-c"
    assert data["differ_in"] == ["pipeline"]
    groups = {g["id"]: g for g in data["groups"]}
    assert list(groups) == ["step", "breakdown", "lower_bounds", "critical_path", "energy", "memory", "utilization"]
    # lower bounds largest first by the larger of the two: dram 80, compute 40, dependency_chain 30 ms
    assert [r["name"] for r in groups["lower_bounds"]["rows"]] == ["dram", "compute", "dependency_chain"]
    chain = groups["lower_bounds"]["rows"][2]
    assert chain["ratio"] == 1.5 and chain["delta"] == 0.01
    # |b - a| of utilisation: compute 0.15, link 0.10 (gone: counts as 0), dram 0.075, switch 0.05
    util = groups["utilization"]["rows"]
    assert [r["name"] for r in util] == ["compute:expert0", "link:x->y", "dram:dram0"]
    assert util[1] == {"name": "link:x->y", "unit": "share", "a": 0.1, "b": 0.0, "delta": -0.1, "ratio": 0.0}
    memory = {r["name"]: r for r in groups["memory"]["rows"]}
    assert memory["SRAM peak, all chiplets"]["a"] == 750_000 and memory["SRAM peak, all chiplets"]["b"] == 1_000_000
    assert memory["SRAM peak share, fullest chiplet"]["b_where"] == "expert1"
    energy = {r["name"]: r for r in groups["energy"]["rows"]}
    assert energy["per token (total)"]["ratio"] == 0.6 and energy["average power"]["b"] == 75.0


def test_ratio_and_speedup_are_inverse_when_swapped(pair: tuple[Path, Path]) -> None:
    a, b = check_report(A, "a"), check_report(B, "b")
    ab, ba = compare_reports(a, b), compare_reports(b, a)
    assert ab.step.ratio == pytest.approx(1 / ba.step.ratio) and ab.speedup == pytest.approx(ba.step.ratio)
    for g_ab, g_ba in zip(ab.groups[:-1], ba.groups[:-1], strict=True):
        for r_ab, r_ba in zip(g_ab.rows, g_ba.rows, strict=True):
            assert r_ab.name == r_ba.name
            assert (r_ab.delta is None) == (r_ba.delta is None)
            if r_ab.delta is not None and r_ba.delta is not None:
                assert r_ab.delta == pytest.approx(-r_ba.delta)


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-9, 1e3), st.floats(1e-9, 1e3))
def test_step_cells_agree_with_the_values(a: float, b: float) -> None:
    """Whatever the two step times, the printed ratio is b/a to three decimals and both use one unit."""
    ra, rb = copy.deepcopy(A), copy.deepcopy(B)
    ra["step_time_s"], rb["step_time_s"] = a, b
    c = compare_reports(check_report(ra, "a"), check_report(rb, "b"))
    cell_a, cell_b, _, ratio = row_cells(c.step)
    assert ratio == f"{b / a:.3f}"
    assert cell_a.split()[1] == cell_b.split()[1]  # same unit in both columns
    assert c.speedup == pytest.approx(a / b)


@pytest.mark.parametrize("flag", [[], ["--json"]])
def test_output_is_byte_identical(cli: Callable[..., CliResult], pair: tuple[Path, Path], flag: list[str]) -> None:
    first, second = cli("diff", *pair, *flag), cli("diff", *pair, *flag)
    assert first.code == 0 and first.out == second.out


def test_json_keys_are_sorted_and_numbers_rounded(cli: Callable[..., CliResult], pair: tuple[Path, Path]) -> None:
    out = cli("diff", *pair, "--json").out
    data = json.loads(out)
    assert out == json.dumps(data, indent=2, sort_keys=True) + "\n"

    def numbers(x: Any) -> list[float]:
        if isinstance(x, dict):
            return [n for v in x.values() for n in numbers(v)]
        if isinstance(x, list):
            return [n for v in x for n in numbers(v)]
        return [x] if isinstance(x, float) else []

    assert numbers(data) and all(float(f"{n:.6g}") == n for n in numbers(data))


# --- the real thing: tiny-moe, baseline against mozart-c -------------------------------------------------

@pytest.fixture(scope="module")
def tiny_reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tiny")
    paths = []
    for pipeline in ("baseline", "mozart-c"):
        path = folder / f"{pipeline}.json"
        code = main(["compile", "tiny-moe", "--pipeline", pipeline, "--seq-len", "16", "--micro-batch", "2",
                     "--micro-batches", "1", "--run", "--report", str(path), "-o", str(folder / f"{pipeline}.mir")])
        assert code == 0
        paths.append(path)
    return paths[0], paths[1]


def test_tiny_moe_baseline_against_mozart_c(cli: Callable[..., CliResult], tiny_reports: tuple[Path, Path]) -> None:
    base, mozart = (json.loads(p.read_text()) for p in tiny_reports)
    assert mozart["step_time_s"] < base["step_time_s"]
    ratio = mozart["step_time_s"] / base["step_time_s"]
    res = cli("diff", *tiny_reports)
    assert res.code == 0, res.err
    step_line = next(line for line in res.out.splitlines() if line.startswith("step time:"))
    assert f"b/a {ratio:.3f}, speed-up a/b {1 / ratio:.3f}x" in step_line
    assert "| pipeline      | baseline" in res.out and "| mozart-c " in res.out
    data = json.loads(cli("diff", *tiny_reports, "--json").out)
    assert data["step"]["ratio_b_over_a"] == pytest.approx(ratio, rel=1e-5)
    assert data["step"]["a_s"] == pytest.approx(base["step_time_s"], rel=1e-5)
    breakdown = {r["name"]: r for r in next(g for g in data["groups"] if g["id"] == "breakdown")["rows"]}
    assert sum(r["b"] for r in breakdown.values()) == pytest.approx(mozart["step_time_s"], rel=1e-5)
    assert data["differ_in"] == ["pipeline"]


# --- bad input ---------------------------------------------------------------------------------------------

def _bad_cases(tmp: Path) -> list[tuple[Path, str]]:
    """(file, the error line expected after ``mozartc: error: FILE``)."""
    no_keys = copy.deepcopy(A)
    del no_keys["breakdown_s"], no_keys["step_time_s"]
    wrong = copy.deepcopy(A)
    wrong["breakdown_s"]["compute"] = "fast"
    old = copy.deepcopy(A)
    del old["report_schema"]
    newer = dict(A, report_schema=REPORT_SCHEMA + 1)
    (tmp / "folder.json").mkdir()
    (tmp / "text.json").write_text("step time 53 ms\n")
    what = "a mozartc step report (the JSON a timed run writes as its report)"
    return [
        (tmp / "missing.json", f": no such file; expected {what}"),
        (tmp / "folder.json", f": is a folder; expected {what}"),
        (tmp / "text.json", f":1:1: not JSON (Expecting value); expected {what}"),
        (_write(tmp / "list.json", [1, 2]), f": not {what}: the JSON is a list, expected an object"),
        (_write(tmp / "other.json", {"name": "x"}),
         f": not {what}: none of the keys 'step_time_s', 'breakdown_s', 'critical_path_s', 'lower_bounds_s', "
         "'utilization'"),
        (_write(tmp / "partial.json", no_keys), f": not {what}: missing 'step_time_s', 'breakdown_s'"),
        (_write(tmp / "scrap.json", {"step_time_s": 1.0}),
         f": not {what}: missing 'report_schema', 'breakdown_s', 'critical_path_s', 'lower_bounds_s', 'utilization'"),
        (_write(tmp / "wrong.json", wrong),
         ": field 'breakdown_s.compute': input should be a valid number, got 'fast'"),
        (_write(tmp / "old.json", old), ": no 'report_schema': written by an older mozartc; expected report schema 1 "
                                        "(write the report again with this mozartc)"),
        (_write(tmp / "newer.json", newer), ": report schema 2; this mozartc reads report schema 1 (write the report "
                                            "again with this mozartc)"),
    ]


def test_bad_reports_are_one_line_and_exit_2(cli: Callable[..., CliResult], pair: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    for path, expected in _bad_cases(tmp_path):
        for args in ((pair[0], path), (path, pair[0])):
            res = cli("diff", *args)
            assert res.code == 2, (path, res.err)
            assert res.err == f"mozartc: error: {path}{expected}\n"
            assert res.out == ""


def test_bad_top_is_exit_2(cli: Callable[..., CliResult], pair: tuple[Path, Path]) -> None:
    res = cli("diff", *pair, "--top", "-1")
    assert res.code == 2 and res.err == "mozartc: error: --top: expected a count >= 0, got -1\n"
    zero = json.loads(cli("diff", *pair, "--json", "--top", "0").out)
    assert next(g for g in zero["groups"] if g["id"] == "utilization")["rows"] == []


def test_reports_of_different_models_say_so(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    other = dict(copy.deepcopy(B), model="other", target="mozart-wafer-64")
    res = cli("diff", _write(tmp_path / "a.json", A), _write(tmp_path / "b.json", other))
    assert res.code == 0
    assert "| model         | toy" in res.out and "| other" in res.out and "mozart-wafer-64" in res.out
    assert "note: the runs are of different models, so the ratios compare different work" in res.out


def test_missing_energy_and_memory_show_as_dashes(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    bare = {k: v for k, v in A.items() if k not in ("energy_j", "energy_per_token_j", "average_power_w",
                                                     "sram_bytes", "dram_bytes", "totals")}
    data = json.loads(cli("diff", _write(tmp_path / "a.json", bare), _write(tmp_path / "b.json", B), "--json").out)
    groups = {g["id"]: g for g in data["groups"]}
    assert groups["energy"]["note"] == "not in the report of a"
    total = next(r for r in groups["energy"]["rows"] if r["name"] == "total")
    assert total["a"] is None and total["b"] == 6.0 and total["ratio"] is None
    assert groups["memory"]["note"] == "not in the report of a"
