"""``benchmarks/sweep_ladder_table.py``: ladder groups of a sweep's results.csv, normalised per group."""

from __future__ import annotations

import csv
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import load_benchmark

HEADER = ["point_id", "model", "target", "pipeline", "clustering", "seq_len", "micro_batch", "micro_batches",
          "links.bump_rows", "status", "step_time_s", "C_T", "layout_C_T", "lower_bound_s", "lower_bound_from",
          "target_name", "capacity_warning", "breakdown_compute_s", "error"]


def _script() -> ModuleType:
    return load_benchmark("sweep_ladder_table")


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in HEADER})


def _row(rows_axis: int, pipeline: str, step: float, status: str = "ok") -> dict[str, str]:
    return {"point_id": f"{rows_axis}{pipeline}", "model": "olmoe-1b-7b-0924", "target": "olmoe-1b-7b-0924",
            "pipeline": pipeline, "seq_len": "256", "micro_batch": "8", "micro_batches": "4",
            "links.bump_rows": str(rows_axis), "status": status, "step_time_s": repr(step) if status == "ok" else "",
            "lower_bound_from": "dram:dram2: 1 bytes / 256 GB/s" if status == "ok" else "",
            "error": "" if status == "ok" else "does not fit SRAM"}


def test_groups_are_normalised_to_their_own_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    steps = {"baseline": 2.0, "mozart-a": 1.26, "mozart-b": 0.96, "mozart-c": 0.844}  # 0.63 / 0.48 / 0.422
    rows = [_row(8, p, s) for p, s in steps.items()]
    rows += [_row(4, p, s) for p, s in {"baseline": 1.0, "mozart-a": 0.6, "mozart-b": 0.7, "mozart-c": 0.5}.items()]
    rows += [_row(2, "baseline", 1.0), _row(2, "mozart-a", 0.0, status="error"), _row(2, "mozart-b", 0.5),
             _row(2, "mozart-c", 0.4)]
    _write(tmp_path / "results.csv", rows)
    assert _script().main([str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "| model | links.bump_rows | baseline ms | A ms | B ms | C ms | A | B | C | ordered | C bound |"
    assert out[2] == ("| olmoe-1b-7b-0924 | 8 | 2000.0 | 1260.0 | 960.0 | 844.0 | 0.630 | 0.480 | 0.422 | yes "
                      "| dram:dram2 |")
    assert out[3].startswith("| olmoe-1b-7b-0924 | 4 | 1000.0 | 600.0 | 700.0 | 500.0 | 0.600 | 0.700 | 0.500 "
                             "| **NO** |")
    assert "mozart-a failed: does not fit SRAM" in out[4]


def test_missing_results_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _script().main([str(tmp_path)]) == 2
    assert "results.csv: not found" in capsys.readouterr().err
