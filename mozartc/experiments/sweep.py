"""``mozartc sweep``: run the cross product of a :class:`SweepSpec`, resumably, on a local pool or Ray.

Each point's identity is a stable hash of what determines its result: the model, the final target
TOML (base file plus overrides, as written by :mod:`~mozartc.experiments.tomlw`), the trace file's
digest, the effective pipeline and the run options. Finished points are appended to
``DIR/points.jsonl`` (one JSON object a line) as they complete; a rerun skips every point already
there, so an interrupted sweep resumes. ``results.csv`` (and ``results.parquet`` when pyarrow is
installed) and ``summary.png`` are rewritten from the store after every run, in plan order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mozartc.errors import MozartError
from mozartc.experiments.runner import ProgressFn, run_jobs_local, run_jobs_ray
from mozartc.experiments.sweep_io import write_results
from mozartc.experiments.sweep_plan import Point, plan_points, point_params
from mozartc.experiments.sweep_spec import SweepSpec
from mozartc.fileio import atomic_write_text

ENGINES = ("local", "ray")
POINTS_FILE = "points.jsonl"


@dataclass(frozen=True)
class SweepOutcome:
    """What a sweep run did: points planned, computed now, reused from the store, failed (bad config)."""

    total: int
    computed: int
    reused: int
    failed: int
    files: tuple[str, ...]


def load_store(path: Path) -> dict[str, dict[str, Any]]:
    """Finished points by id from ``points.jsonl``; lines that do not parse (an interrupted write)
    are dropped, and the file is rewritten without them so appends stay line-aligned."""
    if not path.exists():
        return {}
    kept: list[str] = []
    store: dict[str, dict[str, Any]] = {}
    text = path.read_text(encoding="utf-8")
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("outcome"), dict):
            store[entry["id"]] = entry
            kept.append(line)
    clean = "".join(f"{line}\n" for line in kept)
    if clean != text:
        atomic_write_text(path, clean)
    return store


def run_sweep(spec: SweepSpec, out: Path, engine: str = "local", jobs: int = 2, address: str | None = None,
              progress: ProgressFn | None = None, cache_dir: str | None = None) -> SweepOutcome:
    """Run the points of ``spec`` not yet in ``out/points.jsonl``; write results.csv (+ .parquet) and
    summary.png. ``progress(done, total, label)`` is called as points finish (reused ones first).
    Every point's compile shares the clustering cache in ``cache_dir`` (None: no cache)."""
    if engine not in ENGINES:
        raise MozartError(f"unknown engine '{engine}' (expected one of: {', '.join(ENGINES)})", where="engine")
    if jobs < 1:
        raise MozartError(f"must be a positive integer, got {jobs}", where="jobs")
    if engine == "ray":
        _require_ray()
    points = plan_points(spec)
    if len({p.id for p in points}) != len(points):
        raise MozartError("two points of the cross product are the same configuration (an axis changes nothing)",
                          where=spec.source)
    out.mkdir(parents=True, exist_ok=True)
    store_path = out / POINTS_FILE
    store = load_store(store_path)
    todo = [p for p in points if p.id not in store]
    by_id = {p.id: p for p in points}
    done = len(points) - len(todo)
    if progress is not None:
        progress(done, len(points), f"{done} reused")
    with store_path.open("a", encoding="utf-8") as handle:

        def record(key: str, outcome: dict[str, Any]) -> None:
            nonlocal done
            entry = {"id": key, "params": point_params(spec, by_id[key]), "outcome": outcome}
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
            handle.flush()
            store[key] = entry
            done += 1
            if progress is not None:
                progress(done, len(points), _label(by_id[key]))

        jobs_todo = [replace(p.job, cache_dir=cache_dir) for p in todo]
        if engine == "ray":
            run_jobs_ray(jobs_todo, jobs, record, address)
        else:
            run_jobs_local(jobs_todo, jobs, record)
    files = write_results(spec, points, store, out)
    failed = sum(not store[p.id]["outcome"]["ok"] for p in points)
    return SweepOutcome(len(points), len(todo), len(points) - len(todo), failed, files)


def _require_ray() -> None:
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise MozartError("the ray engine needs Ray, which is not installed: pip install mozartc[ray]",
                          where="engine")


def _label(point: Point) -> str:
    return " ".join(f"{k.split('.')[-1]}={Path(str(v)).stem if k == 'target' else v}" for k, v in point.values)
