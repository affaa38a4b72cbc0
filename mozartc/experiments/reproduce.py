"""``mozartc reproduce``: the paper's ablation ladder over models, sequence lengths and DRAM kinds.

:func:`reproduce` plans one run per (model, DRAM, sequence length, pipeline), runs them in a
process pool and returns one record per run (see :func:`make_record`), in plan order.
:func:`results_json` is the byte-stable text of ``results.json``: no wall times, no paths of
the machine, keys sorted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mozartc.defaults import MICRO_BATCH, MICRO_BATCHES
from mozartc.errors import MozartError
from mozartc.experiments.paper import DRAM_KINDS, LADDER, PAPER_MODELS, PAPER_SEQ_LENS, TABLE4_SEQ_LEN
from mozartc.experiments.runner import Job, ProgressFn, run_jobs_local

#: Called after each finished run with (runs done, runs in total, label of the run).

GENERIC_TARGETS = {"hbm2": "wafer.toml", "ssd": "wafer-ssd.toml"}
SYNTHETIC = "synthetic"


@dataclass(frozen=True)
class ReproduceOptions:
    """What to reproduce; the defaults are the paper's full grid (3 models x 4 x 3 lengths x 2 DRAMs)."""

    models: tuple[str, ...] = PAPER_MODELS
    seq_lens: tuple[int, ...] = PAPER_SEQ_LENS
    drams: tuple[str, ...] = DRAM_KINDS
    pipelines: tuple[str, ...] = LADDER
    trace_dir: str | None = None
    jobs: int = 2
    micro_batch: int = MICRO_BATCH
    micro_batches: int = MICRO_BATCHES
    seed: int = 0
    #: folder of the clustering cache every run shares (:mod:`mozartc.cache`); None: no cache
    cache_dir: str | None = None

    @classmethod
    def quick(cls, trace_dir: str | None = None, jobs: int = 2) -> ReproduceOptions:
        """The CI configuration: OLMoE at sequence length 256 on HBM2, the four rungs."""
        return cls(models=("olmoe-1b-7b-0924",), seq_lens=(TABLE4_SEQ_LEN,), drams=("hbm2",),
                   trace_dir=trace_dir, jobs=jobs)


@dataclass(frozen=True)
class PlannedRun:
    """One run of the grid; ``target`` and ``trace`` are the labels recorded in results.json."""

    model: str
    dram: str
    seq_len: int
    pipeline: str
    target: str
    target_path: str = field(compare=False)
    trace: str
    trace_path: str | None = field(compare=False)

    @property
    def key(self) -> str:
        """A unique label, also shown on the progress bar."""
        return f"{self.model} {self.dram} seq {self.seq_len} {self.pipeline}"


def targets_dir() -> Path:
    """The folder of shipped targets (``targets/`` at the repository root links there)."""
    from mozartc.hw import default_target_path

    return default_target_path().parent


def choose_target(model: str, dram: str) -> tuple[str, Path]:
    """The per-model target ``targets/<model>[-ssd].toml`` when shipped, else ``wafer[-ssd].toml``.

    Returns (label for results, path).
    """
    if dram not in GENERIC_TARGETS:
        raise MozartError(f"unknown DRAM kind '{dram}' (expected one of: {', '.join(GENERIC_TARGETS)})",
                          where="drams")
    stem = Path(model).stem if model.endswith(".json") or "/" in model else model
    suffix = "" if dram == "hbm2" else "-ssd"
    own = targets_dir() / f"{stem}{suffix}.toml"
    path = own if own.is_file() else targets_dir() / GENERIC_TARGETS[dram]
    return f"targets/{path.name}", path


def choose_trace(model: str, trace_dir: str | None) -> tuple[str, str | None]:
    """(label, path) of the routing trace for ``model``: ``<trace_dir>/<model>.npz`` or synthetic."""
    if trace_dir is None:
        return SYNTHETIC, None
    folder = Path(trace_dir)
    if not folder.is_dir():
        raise MozartError("trace folder not found", where=trace_dir)
    path = folder / f"{model}.npz"
    if not path.is_file():
        found = ", ".join(sorted(p.name for p in folder.glob("*.npz"))) or "none"
        raise MozartError(f"no trace for model '{model}': expected {path.name} (found: {found})", where=trace_dir)
    return path.name, str(path)


def plan(options: ReproduceOptions) -> list[PlannedRun]:
    """Every run of the grid, in the order results.json lists them (model, DRAM, length, rung).

    Rungs are pipeline presets: the ladder, and extra ones such as ``mozart-c+mc`` (beyond the paper).
    """
    from mozartc.passes.presets import PIPELINE_PRESETS

    for pipeline in options.pipelines:
        if pipeline not in PIPELINE_PRESETS or pipeline == "capture":
            names = ", ".join(p for p in PIPELINE_PRESETS if p != "capture")
            raise MozartError(f"unknown rung '{pipeline}' (expected pipeline presets: {names})", where="pipelines")
    for name, values in (("models", options.models), ("seq_lens", options.seq_lens),
                         ("drams", options.drams), ("pipelines", options.pipelines)):
        if not values:
            raise MozartError("needs at least one value", where=name)
        if len(set(values)) != len(values):
            raise MozartError("lists a value twice", where=name)
    for seq_len in options.seq_lens:
        if seq_len <= 0:
            raise MozartError(f"sequence lengths must be positive, got {seq_len}", where="seq_lens")
    runs: list[PlannedRun] = []
    for model in options.models:
        trace, trace_path = choose_trace(model, options.trace_dir)
        for dram in options.drams:
            target, target_path = choose_target(model, dram)
            runs += [PlannedRun(model, dram, seq_len, pipeline, target, str(target_path), trace, trace_path)
                     for seq_len in options.seq_lens for pipeline in options.pipelines]
    return runs


def reproduce(options: ReproduceOptions, progress: ProgressFn | None = None) -> list[dict[str, Any]]:
    """Run the grid of ``options`` and return its records in plan order (see :func:`make_record`);
    failed runs are records with an ``error`` (see :func:`failures`)."""
    runs = plan(options)
    jobs = [Job(key=run.key, model=run.model, pipeline=run.pipeline, target_path=run.target_path,
                trace=run.trace_path, seq_len=run.seq_len, micro_batch=options.micro_batch,
                micro_batches=options.micro_batches, seed=options.seed, capacity="warn",
                cache_dir=options.cache_dir) for run in runs]
    outcomes: dict[str, dict[str, Any]] = {}

    def collect(key: str, outcome: dict[str, Any]) -> None:
        outcomes[key] = outcome
        if progress is not None:
            progress(len(outcomes), len(jobs), key)

    run_jobs_local(jobs, options.jobs, collect)
    records = [make_record(run, outcomes[run.key]) for run in runs]
    return normalize(records)


def make_record(run: PlannedRun, outcome: dict[str, Any]) -> dict[str, Any]:
    """One results.json record (``normalized_latency`` is filled by :func:`normalize`).

    A run that failed (a MozartError, e.g. a block that does not fit SRAM) keeps its place with
    every metric None and the one-line message in ``error``.
    """
    if not outcome["ok"]:
        empty = dict.fromkeys(("target_name", "step_time_s", "C_T", "layout_C_T", "breakdown_s", "critical_path_s",
                               "lower_bound_s", "lower_bounds_s", "lower_bound_from", "capacity_warning"))
        return {"model": run.model, "pipeline": run.pipeline, "seq_len": run.seq_len, "dram": run.dram,
                "target": run.target, "trace": run.trace, **empty, "normalized_latency": None,
                "error": outcome["error"]}
    report = outcome["report"]
    return {"error": None,
        "model": run.model, "pipeline": run.pipeline, "seq_len": run.seq_len, "dram": run.dram,
        "target": run.target, "target_name": report["target_name"], "trace": run.trace,
        "step_time_s": report["step_time_s"], "normalized_latency": None, "C_T": report["C_T"],
        "layout_C_T": report["layout_C_T"],
        "breakdown_s": report["breakdown_s"], "critical_path_s": report["critical_path_s"],
        "lower_bound_s": report["lower_bound_s"], "lower_bounds_s": report["lower_bounds_s"],
        "lower_bound_from": report["lower_bound_from"], "capacity_warning": report["capacity_warning"],
    }


def normalize(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set ``normalized_latency`` = step time / the baseline's step time of the same model, length and
    DRAM (None when the grid has no baseline rung)."""
    baseline = {(r["model"], r["seq_len"], r["dram"]): r["step_time_s"] for r in records
                if r["pipeline"] == "baseline" and r["error"] is None}
    out: list[dict[str, Any]] = []
    for record in records:
        base = baseline.get((record["model"], record["seq_len"], record["dram"]))
        value = record["step_time_s"] / base if base and record["error"] is None else None
        out.append({**record, "normalized_latency": value})
    return out


def results_json(records: list[dict[str, Any]]) -> str:
    """The text of results.json: deterministic (sorted keys, no times or machine paths)."""
    return json.dumps(records, indent=1, sort_keys=True) + "\n"


def failures(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of runs that failed."""
    return [r for r in records if r["error"] is not None]
