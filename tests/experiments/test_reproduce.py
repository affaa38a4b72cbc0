"""``mozartc reproduce``: planning, outputs, determinism; ``--quick`` (the CI check, about 25 s)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mozartc.cache import ResultCache
from mozartc.errors import MozartError
from mozartc.experiments.checks import Table4Cell, ordering_checks
from mozartc.experiments.reproduce import ReproduceOptions, choose_target, plan
from mozartc.experiments.table import render_table
from tests.experiments.invariants import check_results

TINY = ("--models", "tiny-moe", "--seq-lens", "64", "--dram", "hbm2")


def test_plan_covers_the_paper_grid_with_per_model_targets() -> None:
    runs = plan(ReproduceOptions())
    assert len(runs) == 3 * 4 * 3 * 2
    assert {r.target for r in runs if r.model == "olmoe-1b-7b-0924"} == {
        "targets/olmoe-1b-7b-0924.toml", "targets/olmoe-1b-7b-0924-ssd.toml"}
    assert choose_target("tiny-moe", "ssd")[0] == "targets/wafer-ssd.toml"
    quick = plan(ReproduceOptions.quick())
    assert [(r.model, r.seq_len, r.dram) for r in quick] == [("olmoe-1b-7b-0924", 256, "hbm2")] * 4


def test_bad_requests_are_errors(tmp_path: Path) -> None:
    with pytest.raises(MozartError, match="unknown DRAM kind 'dram3'"):
        plan(ReproduceOptions(drams=("dram3",)))
    with pytest.raises(MozartError, match=r"no trace for model 'tiny-moe': expected tiny-moe.npz"):
        plan(ReproduceOptions(models=("tiny-moe",), trace_dir=str(tmp_path)))
    with pytest.raises(MozartError, match=r"unknown rung 'mozart-d' \(expected pipeline presets: baseline"):
        plan(ReproduceOptions(pipelines=("baseline", "mozart-d")))


def test_cli_bad_input_exits_2_without_output(cli, tmp_path: Path) -> None:
    result = cli("reproduce", "--out", tmp_path / "r", "--dram", "hbm3", "--models", "tiny-moe")
    assert result.code == 2
    assert "unknown DRAM kind 'hbm3'" in result.err
    assert not (tmp_path / "r").exists()


def test_tiny_reproduction_outputs_and_determinism(cli, tmp_path: Path, private_cache: Path) -> None:
    rungs = ("--pipelines", "baseline", "mozart-a", "mozart-b", "mozart-c", "mozart-c+mc")
    first = cli("reproduce", "--out", tmp_path / "a", *TINY, *rungs, "--jobs", "1", "--no-cache")
    assert first.code == 0, first.err
    assert "total wall time" in first.err
    records = json.loads((tmp_path / "a" / "results.json").read_text())
    check_results(records, strict_ladder=False)
    names = {p.name for p in (tmp_path / "a").iterdir()}
    assert {"results.json", "table.md", "run_info.json", "normalized_latency.png", "breakdown.png"} <= names
    # one length and one DRAM kind: no curve against length, no DRAM comparison (tests/experiments/test_plots.py)
    assert not {"seq_len.png", "dram.png"} & names
    assert "wall_time_s" in (tmp_path / "a" / "run_info.json").read_text()
    # the extra rung is reported beside Mozart-C, never in the ladder's checks
    assert [r["pipeline"] for r in records][-1] == "mozart-c+mc"
    table = (tmp_path / "a" / "table.md").read_text()
    assert "## Rungs beyond the paper" in table and "| tiny-moe | 64 | hbm2 | C+mc |" in table
    assert "## Where the time goes" not in table  # only at the Table 4 point (seq 256)
    assert not private_cache.joinpath("v1").exists()
    # two workers sharing a cold cache: the same bytes as one worker without a cache
    second = cli("reproduce", "--out", tmp_path / "b", *TINY, *rungs, "--jobs", "2")
    assert second.code == 0, second.err
    # contiguous (baseline, A, B) and cpsat (C, C+mc) on tiny-moe's 3 MoE layers: every run of a method shares them
    # and one synthetic trace, drawn by the first run and read by the others; one captured module (one length)
    assert ResultCache(private_cache).info().entries == {"capture": 1, "clustering": 6, "synthetic-trace": 1}
    assert (tmp_path / "a" / "results.json").read_bytes() == (tmp_path / "b" / "results.json").read_bytes()
    assert (tmp_path / "a" / "table.md").read_bytes() == (tmp_path / "b" / "table.md").read_bytes()


def _record(model: str, pipeline: str, step: float, warn: str | None = None) -> dict[str, object]:
    return {"model": model, "pipeline": pipeline, "seq_len": 256, "dram": "hbm2", "target": f"targets/{model}.toml",
            "target_name": model, "trace": "synthetic", "step_time_s": step, "normalized_latency": step,
            "C_T": 8.0 if pipeline in ("baseline", "mozart-a") else 6.0, "layout_C_T": 6.0,
            "breakdown_s": {"compute": step}, "critical_path_s": {"compute": step}, "lower_bound_s": step / 2,
            "lower_bounds_s": {"dram": step / 2}, "lower_bound_from": "dram: x",
            "capacity_warning": warn, "error": None}


def test_table_flags_misses_capacity_and_ordering() -> None:
    steps = {"baseline": 1.0, "mozart-a": 0.73, "mozart-b": 0.50, "mozart-c": 0.55}
    records = [_record("qwen3-30b-a3b", p, s, "needs 61 GB, has 48 GB") for p, s in steps.items()]
    text = render_table(records)
    assert "qwen3-30b-a3b (does not fit DRAM)" in text
    assert "needs 61 GB, has 48 GB" in text
    # absolute columns: baseline, step and bound in ms; then the normalised latency against the paper's
    assert "| qwen3-30b-a3b (does not fit DRAM) | A | 1000.00 | 730.00 | 365.00 | 0.730 | 0.730 | +0.000 | ok |" in text
    # the bound column: lower bound (step / 2 here) over the baseline's 1.0 s
    assert "| B | 1000.00 | 500.00 | 250.00 | 0.500 | 0.590 | -0.090 | **MISS** | 0.250 |  |" in text
    assert "**NO**" in text  # C slower than B
    assert not ordering_checks(records)[0].ok
    assert Table4Cell("m", "mozart-b", 0.5, 0.48, 6.58, 6.84).c_t_miss
    # C's own lower bound (0.55) is above the paper's 0.52: flagged as out of reach
    records[3]["lower_bound_s"] = 0.55
    assert "| C | 1000.00 | 550.00 | 550.00 | 0.550 | 0.520 | +0.030 | ok | 0.550 | paper below bound |" \
        in render_table(records)
    assert Table4Cell("m", "mozart-c", 0.55, 0.52, 5.0, 5.77, bound=0.55).paper_below_bound
    assert not Table4Cell("m", "mozart-c", 0.55, 0.52, 5.0, 5.77).paper_below_bound


def test_quick_reproduction(cli, tmp_path: Path) -> None:
    """What CI runs: ``mozartc reproduce --quick`` (OLMoE, seq 256, HBM2, four rungs)."""
    result = cli("reproduce", "--out", tmp_path, "--quick")
    assert result.code == 0, result.err
    records = json.loads((tmp_path / "results.json").read_text())
    assert [(r["model"], r["seq_len"], r["dram"]) for r in records] == [("olmoe-1b-7b-0924", 256, "hbm2")] * 4
    check_results(records)
    assert "## Table 4 (sequence length 256, HBM2)" in (tmp_path / "table.md").read_text()


@pytest.mark.slow
def test_quick_reproduction_same_bytes_for_any_jobs_and_cache(cli, tmp_path: Path, private_cache: Path) -> None:
    """``--quick`` with one worker and no cache, two workers on a cold cache, two on the warm cache."""
    outputs = []
    for name, extra in (("serial", ("--jobs", "1", "--no-cache")), ("cold", ("--jobs", "2")),
                        ("warm", ("--jobs", "2"))):
        result = cli("reproduce", "--out", tmp_path / name, "--quick", *extra)
        assert result.code == 0, result.err
        outputs.append([(tmp_path / name / f).read_bytes() for f in ("results.json", "table.md")])
    assert outputs[0] == outputs[1] == outputs[2]
    # 2 methods x 16 MoE layers, and the one synthetic trace and captured module every run reads
    assert ResultCache(private_cache).info().entries == {"capture": 1, "clustering": 32, "synthetic-trace": 1}
