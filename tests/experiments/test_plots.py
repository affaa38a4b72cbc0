"""Reproduction and sweep plots: each is drawn only when the records can show it; series stay apart."""

from __future__ import annotations

from itertools import product

from mozartc.experiments.plots import reproduction_plots
from mozartc.experiments.sweep_io import SERIES_COLORS, series_style

BREAKDOWN = ("compute", "all_to_all", "dram_load", "dram_save", "sync", "exposed")


def _record(pipeline: str, seq_len: int, dram: str, step: float) -> dict[str, object]:
    return {"model": "m", "pipeline": pipeline, "seq_len": seq_len, "dram": dram, "step_time_s": step,
            "normalized_latency": None, "breakdown_s": dict.fromkeys(BREAKDOWN, step / 6), "error": None}


def _grid(lengths: tuple[int, ...], drams: tuple[str, ...]) -> list[dict[str, object]]:
    return [_record(p, n, d, 1e-3 * n * (10 if d == "ssd" else 1) * (2 if p == "baseline" else 1))
            for p, n, d in product(("baseline", "mozart-c"), lengths, drams)]


def test_one_length_and_one_dram_give_neither_curve_nor_comparison() -> None:
    plots = reproduction_plots(_grid((256,), ("hbm2",)))
    assert "breakdown.png" in plots and "seq_len.png" not in plots and "dram.png" not in plots


def test_two_lengths_give_the_curve_two_drams_the_comparison() -> None:
    assert "seq_len.png" in reproduction_plots(_grid((256, 1024), ("hbm2",)))
    plots = reproduction_plots(_grid((256,), ("hbm2", "ssd")))
    assert "dram.png" in plots and "seq_len.png" not in plots
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" for png in plots.values())


def test_plots_are_deterministic() -> None:
    records = _grid((256, 1024), ("hbm2", "ssd"))
    assert reproduction_plots(records) == reproduction_plots(records)


def test_forty_series_look_different() -> None:
    looks = [(s["color"], s["linestyle"]) for s in map(series_style, range(40))]
    assert len(set(looks)) == 40
    # the first ten differ in colour alone; the 11th and 12th reuse a colour with a new line style and marker
    assert len({s["color"] for s in map(series_style, range(len(SERIES_COLORS)))}) == len(SERIES_COLORS)
    assert series_style(10)["linestyle"] != series_style(0)["linestyle"]
    assert series_style(11)["marker"] != series_style(1)["marker"]
