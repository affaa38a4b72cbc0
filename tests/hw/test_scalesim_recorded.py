"""sa_gemm_cycles against the SCALE-Sim v3 compute cycles recorded by benchmarks/scalesim_compare.py."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from mozartc.hw.cost import sa_gemm_cycles
from tests.conftest import REPO

RECORDED = REPO / "benchmarks" / "results" / "scalesim_compute_cycles.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_recorded_grid_covers_the_acceptance_range() -> None:
    rows = _rows(RECORDED)
    assert len(rows) >= 50
    assert {r["dataflow"] for r in rows} == {"os", "ws", "is"}
    assert {int(r["rows"]) for r in rows} >= {16, 24, 32}
    ms = {int(r["M"]) for r in rows}
    assert min(ms) == 8 and max(ms) == 2048
    assert {(int(r["K"]), int(r["N"])) for r in rows} >= {(2048, 768), (1024, 2048), (1408, 2048), (2048, 512)}


def test_within_5_percent_of_scalesim() -> None:
    for r in _rows(RECORDED):
        ours = sa_gemm_cycles(int(r["M"]), int(r["K"]), int(r["N"]), int(r["rows"]), int(r["cols"]), r["dataflow"])
        ref = int(r["scalesim_cycles"])
        assert abs(ours - ref) <= 0.05 * ref, r


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SCALESIM_PYTHON"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, str(REPO / "benchmarks" / "scalesim_compare.py"), *args],
                          capture_output=True, text=True, env=env, cwd=REPO, check=False)


def test_script_skips_without_scalesim() -> None:
    res = _script()
    assert res.returncode == 0 and "skipped" in res.stdout


def test_script_rechecks_recorded_table() -> None:
    res = _script("--recorded", str(RECORDED))
    assert res.returncode == 0
    assert "max |error| = 0.00 %" in res.stdout
