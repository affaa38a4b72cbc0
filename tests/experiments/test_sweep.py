"""``mozartc sweep`` on tiny-moe: local pool, resumability, and the Ray engine (same results)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from mozartc.experiments.sweep import plan_points
from mozartc.experiments.sweep_spec import load_spec

SPEC = """
[sweep]
model = "tiny-moe"
target = "wafer"
seq_len = 32

[axes]
links.bump_rows = [2, 8]
pipeline = ["mozart-b", "mozart-c"]
clustering = ["greedy", "contiguous"]
"""


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "tiny.toml"
    path.write_text(SPEC)
    return path


@pytest.fixture(scope="module")
def local_run(spec_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 8-point sweep with the local engine and two worker processes (shared by the tests)."""
    from mozartc.cli import main

    out = tmp_path_factory.mktemp("local")
    assert main(["sweep", str(spec_path), "--out", str(out), "--engine", "local", "--jobs", "2"]) == 0
    return out


def test_local_sweep_writes_one_row_per_point(local_run: Path, spec_path: Path) -> None:
    rows = list(csv.DictReader((local_run / "results.csv").open()))
    assert len(rows) == 8
    assert [r["point_id"] for r in rows] == [p.id for p in plan_points(load_spec(spec_path))]
    assert {r["status"] for r in rows} == {"ok"}
    assert {r["links.bump_rows"] for r in rows} == {"2", "8"}
    assert {r["clustering"] for r in rows} == {"greedy", "contiguous"}
    for r in rows:
        parts = sum(float(v) for k, v in r.items() if k.startswith("breakdown_"))
        assert abs(parts - float(r["step_time_s"])) <= 0.01 * float(r["step_time_s"])
    wide = [float(r["step_time_s"]) for r in rows if r["links.bump_rows"] == "8"]
    narrow = [float(r["step_time_s"]) for r in rows if r["links.bump_rows"] == "2"]
    assert max(wide) < min(narrow)  # four times the die-to-die links: faster on every point
    assert (local_run / "summary.png").read_bytes()[:4] == b"\x89PNG"
    assert len((local_run / "points.jsonl").read_text().splitlines()) == 8


def test_rerun_recomputes_nothing(cli, local_run: Path, spec_path: Path) -> None:
    before = (local_run / "results.csv").read_bytes()
    store = (local_run / "points.jsonl").read_bytes()
    result = cli("sweep", spec_path, "--out", local_run, "--jobs", "1")
    assert result.code == 0, result.err
    assert "0 computed, 8 reused" in result.err
    assert (local_run / "results.csv").read_bytes() == before
    assert (local_run / "points.jsonl").read_bytes() == store


def test_interrupted_sweep_resumes(cli, local_run: Path, spec_path: Path, tmp_path: Path) -> None:
    before = (local_run / "results.csv").read_bytes()
    lines = (local_run / "points.jsonl").read_text().splitlines()
    out = tmp_path / "resumed"
    out.mkdir()
    # three finished points lost and a half-written last line, as if killed mid-write
    (out / "points.jsonl").write_text("\n".join(lines[:5]) + "\n" + lines[5][:40])
    result = cli("sweep", spec_path, "--out", out, "--jobs", "1")
    assert result.code == 0, result.err
    assert "3 computed, 5 reused" in result.err
    assert (out / "results.csv").read_bytes() == before
    assert all(json.loads(line) for line in (out / "points.jsonl").read_text().splitlines())


def test_ray_engine_matches_local(cli, local_run: Path, spec_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    result = cli("sweep", spec_path, "--out", tmp_path, "--engine", "ray", "--jobs", "2")
    assert result.code == 0, result.err
    assert (tmp_path / "results.csv").read_bytes() == (local_run / "results.csv").read_bytes()


def test_one_worker_without_cache_matches_two_sharing_it(cli, local_run: Path, spec_path: Path, tmp_path: Path,
                                                         private_cache: Path) -> None:
    """``local_run`` ran two workers that shared the clustering cache; one worker without it gives the same."""
    result = cli("sweep", spec_path, "--out", tmp_path, "--jobs", "1", "--no-cache")
    assert result.code == 0, result.err
    assert "8 computed" in result.err
    assert not private_cache.joinpath("v1").exists()
    assert (tmp_path / "results.csv").read_bytes() == (local_run / "results.csv").read_bytes()
