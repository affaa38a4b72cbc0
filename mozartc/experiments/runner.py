"""One experiment run (compile + time one configuration) and the engines that run many in parallel.

A :class:`Job` is a frozen, picklable description of one compile; :func:`run_job` runs it in the
current process and returns a plain, JSON-ready outcome dict. Engines (:func:`run_jobs_local`,
:func:`run_jobs_ray`) run many jobs and call ``on_result`` as each one finishes, in completion order;
callers sort what they keep, so results never depend on scheduling.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from mozartc.analysis.traffic import CopiesPerToken, copies_per_token
from mozartc.defaults import MICRO_BATCH, MICRO_BATCHES, SEQ_LEN
from mozartc.errors import MozartError
from mozartc.experiments.job_order import LeadersFirst, cache_group

#: ``progress(done, total, label)``: called as runs finish (the CLI draws it, mozartc/cli/progress.py)
ProgressFn = Callable[[int, int, str], None]

#: Breakdown categories of the executor report, in the order tables and plots show them.
BREAKDOWN_KEYS: tuple[str, ...] = ("compute", "all_to_all", "dram_load", "dram_save", "sync", "exposed")

#: Called once per finished job with its key and outcome (see :func:`run_job`).
ResultFn = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Job:
    """One compile-and-time request.

    ``key`` identifies the job to its caller. The target is either a file (``target_path``) or TOML
    text (``target_toml``, written to a temporary file by the worker, so jobs can run on machines
    that do not share the caller's files). ``trace`` None means the synthetic trace of the
    ``expert-cluster`` pass. ``cache_dir`` is the folder of the clustering cache the compile reads and
    fills (:mod:`mozartc.cache`; None: no cache); every worker of a run shares it, and the outcome is
    the same with or without it.
    """

    key: str
    model: str
    pipeline: str
    target_path: str | None = None
    target_toml: str | None = None
    trace: str | None = None
    seq_len: int = SEQ_LEN
    micro_batch: int = MICRO_BATCH
    micro_batches: int = MICRO_BATCHES
    seed: int = 0
    capacity: str = "warn"
    cache_dir: str | None = None


def run_job(job: Job) -> dict[str, Any]:
    """Compile and time ``job``; return its outcome.

    The outcome is ``{"ok": True, "report": {...}}`` with the report fields experiments use
    (step_time_s, breakdown_s, critical_path_s, lower_bounds_s, C_T, layout_C_T, lower_bound_s,
    lower_bound_from, target, capacity_warning), or
    ``{"ok": False, "error": "<one line>"}`` when the configuration is bad input (a MozartError,
    e.g. a layer that does not fit SRAM). Any other exception is a bug and propagates.
    """
    try:
        if job.target_toml is not None:
            with tempfile.TemporaryDirectory(prefix="mozartc-job-") as tmp:
                path = Path(tmp) / "target.toml"
                path.write_text(job.target_toml, encoding="utf-8")
                report = _compile(job, str(path))
        else:
            report = _compile(job, job.target_path)
    except MozartError as err:
        return {"ok": False, "error": str(err).splitlines()[0]}
    return {"ok": True, "report": report}


def _compile(job: Job, target: str | None) -> dict[str, Any]:
    from mozartc.cache import ResultCache
    from mozartc.driver import CompileOptions, compile_model

    options = CompileOptions(model=job.model, pipeline=job.pipeline, target=target, trace=job.trace,
                             capacity=job.capacity, seq_len=job.seq_len, micro_batch=job.micro_batch,
                             micro_batches=job.micro_batches, seed=job.seed, run=True)
    result = compile_model(options, cache=None if job.cache_dir is None else ResultCache(Path(job.cache_dir)))
    assert result.report is not None
    return extract_report(result.report, copies_per_token(result.module))


def extract_report(report: dict[str, Any], copies: CopiesPerToken | None) -> dict[str, Any]:
    """The subset of an executor report that experiments record (plain floats and strings).

    ``C_T`` is ``copies.sent`` (what the dispatch sends, the paper's Table 4 metric) and
    ``layout_C_T`` is ``copies.layout`` (distinct chiplets per token of the expert layout, the value
    ``a2a-dedup`` would reach); :func:`mozartc.analysis.traffic.copies_per_token` computes both.
    """
    breakdown = report.get("breakdown_s", {})
    critical = report.get("critical_path_s", {})
    return {
        "step_time_s": float(report["step_time_s"]),
        "breakdown_s": {k: float(breakdown.get(k, 0.0)) for k in BREAKDOWN_KEYS},
        "critical_path_s": {k: float(critical.get(k, 0.0)) for k in BREAKDOWN_KEYS},
        "lower_bounds_s": {str(k): float(v) for k, v in report.get("lower_bounds_s", {}).items()},
        "C_T": round(copies.sent, 6) if copies is not None else None,
        "layout_C_T": copies.layout if copies is not None else None,
        "lower_bound_s": float(report["lower_bound_s"]),
        "lower_bound_from": str(report.get("lower_bound_from", "")),
        "target_name": str(report.get("target", "")),
        "capacity_warning": report.get("capacity_warning"),
    }


def run_jobs_local(jobs: Sequence[Job], workers: int, on_result: ResultFn) -> None:
    """Run ``jobs`` in a pool of ``workers`` processes (in this process when ``workers`` is 1).

    Workers are started with ``spawn`` (no state forked from the caller, safe with torch and
    OR-Tools threads). Jobs that share a cache folder start leader first
    (:mod:`mozartc.experiments.job_order`), so jobs clustering alike solve once. ``on_result`` runs in
    the calling process as each job finishes.
    """
    if workers < 1:
        raise MozartError(f"must be a positive integer, got {workers}", where="jobs")
    if workers == 1 or len(jobs) <= 1:
        for job in jobs:
            on_result(job.key, run_job(job))
        return
    queue = LeadersFirst(jobs, _cache_group)
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=get_context("spawn")) as pool:
        running: dict[Future[dict[str, Any]], Job] = {}
        try:
            while queue or running:
                while len(running) < workers and (start := queue.next()) is not None:
                    running[pool.submit(run_job, start)] = start
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    ended = running.pop(future)
                    queue.finished(ended)
                    on_result(ended.key, future.result())
        except BaseException:
            for future in running:
                future.cancel()
            raise


def _cache_group(job: Job) -> str:
    """Jobs without a cache share nothing: each is its own group."""
    if job.cache_dir is None:
        return job.key
    return cache_group(job.model, job.pipeline, job.trace, job.seed)


def run_jobs_ray(jobs: Sequence[Job], workers: int, on_result: ResultFn, address: str | None = None) -> None:
    """Run ``jobs`` as Ray tasks: on the cluster at ``address``, or on a local Ray instance with
    ``workers`` CPUs. Ray is shut down afterwards. Without Ray installed: MozartError."""
    try:
        import ray
    except ImportError:
        raise MozartError("the ray engine needs Ray: pip install mozartc[ray]", where="engine") from None
    if workers < 1:
        raise MozartError(f"must be a positive integer, got {workers}", where="jobs")
    if address:
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
    else:
        ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_job)
        pending = {remote.remote(job): job.key for job in jobs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                key = pending.pop(ref)
                on_result(key, ray.get(ref))
    finally:
        ray.shutdown()
