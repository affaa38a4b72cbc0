"""Compile time with a cold and a warm clustering cache, and ``mozartc reproduce`` with 1 and 2 workers
(issue 15: compile <= 8 s cold and <= 3 s warm, reproduce <= 60 s).

Every figure is the wall time of a ``python -m mozartc ...`` process (interpreter start, imports and
all), with its CPU time (user + system, worker processes included: less sensitive to other load on
a shared machine), the median of ``--repeat`` runs, each on its own cache folder (``$MOZARTC_CACHE_DIR``: the
user's cache is never touched). Cold: an empty cache (the compile solves and stores every layer);
warm: the cache that compile filled. The compile command is issue 15's, plus ``--capacity warn``
(qwen3's training state does not fit the wafer's DRAM; without it the compile stops with exit 2).
The cold and warm outputs (the IR on stdout, the summary on stderr) are compared byte for byte.
Reproduce runs the full grid (72 runs) on a
cold cache with ``--jobs 1`` and ``--jobs 2``, again warm with ``--jobs 2``, and with ``--jobs 2
--no-cache``; its results.json must be the same bytes every time.

``--profile`` adds a cProfile of one warm compile in this process: the seconds of each stage;
``--profile-reproduce`` the same for a warm ``reproduce --jobs 1`` (each stage summed over the 72 runs).

    python benchmarks/compile_cache.py [--repeat 5] [--reproduce-repeat 1] [--skip-compile | --skip-reproduce]
                                       [--profile] [--profile-reproduce]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODEL = "qwen3-30b-a3b"
COMPILE = ["compile", MODEL, "--target", str(REPO / "targets" / "wafer.toml"), "--pipeline", "mozart-c",
           "--capacity", "warn", "--run"]
GOAL_COLD_S = 8.0  # issue 15's table
GOAL_WARM_S = 3.0
GOAL_REPRODUCE_S = 60.0
#: (label, function) whose cumulative time the profile prints, in pipeline order
STAGES = (
    ("compile_model (library call)", "mozartc/driver.py", "compile_model"),
    ("  capture (torch.fx, frontend)", "mozartc/frontend/__init__.py", "capture"),
    ("  pass pipeline (all passes)", "mozartc/passes/manager.py", "run_pipeline"),
    ("    expert-cluster", "mozartc/passes/expert_cluster.py", "run"),
    ("      synthetic trace", "mozartc/traces/synth.py", "synthesize"),
    ("      clustering (solve or cache)", "mozartc/solvers/clustering/api.py", "cluster_trace"),
    ("    allocate", "mozartc/passes/allocate.py", "run"),
    ("    stream-schedule", "mozartc/passes/stream_schedule.py", "run"),
    ("  backend lowering (mozart)", "mozartc/backends/mozart/__init__.py", "lower_module"),
    ("  executor (verify + event loop)", "mozartc/executor/engine.py", "execute"),
    ("  executor report", "mozartc/executor/report.py", "make_report"),
    ("stream text (print_stream, -o)", "mozartc/isa/mzs.py", "print_stream"),
    ("reproduce: plots", "mozartc/experiments/plots.py", "reproduction_plots"),
)


@dataclass(frozen=True)
class Timing:
    """One process: wall seconds, and CPU seconds (user + system, its worker processes included)."""

    wall: float
    cpu: float


def timed(args: list[str], cache: Path, cwd: Path, output: list[str] | None = None) -> Timing:
    """Time ``python -m mozartc ARGS`` (this checkout) with the cache in ``cache``; a failure is fatal.
    ``output`` (when given) receives what the command printed (stdout, then stderr)."""
    env = {**os.environ, "MOZARTC_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mozartc", *args], cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"mozartc {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    if output is not None:
        output.append(done.stdout + done.stderr)
    return Timing(wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def summary(values: list[Timing], goal: float) -> str:
    """``12.3 s  goal 8 s  ratio 1.54  cpu 10.1 s  (runs: ...)``: medians of wall and CPU time."""
    wall = statistics.median(t.wall for t in values)
    cpu = statistics.median(t.cpu for t in values)
    return (f"{wall:6.2f} s  goal {goal:.0f} s  ratio {wall / goal:5.2f}  cpu {cpu:6.2f} s  "
            f"(wall of each run: {', '.join(f'{t.wall:.1f}' for t in values)})")


def compile_times(repeat: int, tmp: Path) -> tuple[list[Timing], list[Timing]]:
    """``repeat`` (cold, warm) pairs, each pair on a fresh cache folder, of the command as issue 15 writes
    it (no output file): its printed output (the mapped module's IR on stdout, the run's summary on
    stderr) is compared byte for byte between cold and warm."""
    cold, warm = [], []
    for i in range(repeat):
        cache = tmp / f"compile-cache-{i}"
        printed: list[str] = []
        cold.append(timed(COMPILE, cache, tmp, printed))
        warm.append(timed(COMPILE, cache, tmp, printed))
        if printed[0] != printed[1]:
            sys.exit("cold and warm compiles differ: the cache changed the output")
    return cold, warm


def reproduce_times(repeat: int, tmp: Path) -> dict[str, list[Timing]]:
    """Full reproductions: with 1 and 2 workers on a cold cache, 2 on the warm cache, 2 without a cache;
    every results.json compared with the first."""
    configs = (("jobs 1, cold cache", ["--jobs", "1"], "r1"), ("jobs 2, cold cache", ["--jobs", "2"], "r2"),
               ("jobs 2, warm cache", ["--jobs", "2"], "r2"), ("jobs 2, --no-cache", ["--jobs", "2", "--no-cache"],
                                                              "none"))
    times: dict[str, list[Timing]] = {label: [] for label, _, _ in configs}
    reference: bytes | None = None
    for i in range(repeat):
        for n, (label, extra, cache) in enumerate(configs):
            out = tmp / f"reproduce-{i}-{n}"
            times[label].append(timed(["reproduce", "--out", str(out), *extra], tmp / f"{cache}-{i}", tmp))
            results = (out / "results.json").read_bytes()
            if reference is not None and results != reference:
                sys.exit(f"reproduce {label}: results.json differs from the first run")
            reference = results
    return times


def profile_warm(args: list[str], what: str, tmp: Path) -> None:
    """cProfile ``mozartc ARGS`` in this process on a warm cache (a first, unprofiled call fills it and
    does the imports); print the cumulative seconds of each stage, summed over every compile."""
    sys.path.insert(0, str(REPO))  # this checkout, not an installed mozartc
    from mozartc.cli import main

    os.environ["MOZARTC_CACHE_DIR"] = str(tmp / "profile-cache")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(args)
    if code != 0:
        sys.exit(f"profile: mozartc {' '.join(args)} failed")
    profiler = cProfile.Profile()
    began = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        profiler.runcall(main, args)
    total = time.perf_counter() - began
    profiler.create_stats()
    stats = profiler.stats
    print(f"cProfile of {what} in-process, warm cache (imports done; {total:.1f} s with the profiler's overhead):")
    for label, path, name in STAGES:
        cumulative = sum(v[3] for (file, _, func), v in stats.items() if file.endswith(path) and func == name)
        if cumulative > 0:
            print(f"  {label:<34} {cumulative:7.2f} s  {cumulative / total:5.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="compile pairs to time (default 5)")
    parser.add_argument("--reproduce-repeat", type=int, default=1, help="rounds of the reproductions (default 1)")
    parser.add_argument("--skip-compile", action="store_true", help="time the reproductions only")
    parser.add_argument("--skip-reproduce", action="store_true", help="time the compiles only")
    parser.add_argument("--profile", action="store_true", help="also profile one warm compile (cProfile)")
    parser.add_argument("--profile-reproduce", action="store_true",
                        help="also profile a warm reproduce --jobs 1 (cProfile; two full reproductions)")
    ns = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"cores {os.cpu_count()}, load average {load:.1f} at start (a shared machine: figures are medians)")
    with tempfile.TemporaryDirectory(prefix="mozartc-bench-") as name:
        tmp = Path(name)
        if not ns.skip_compile:
            cold, warm = compile_times(ns.repeat, tmp)
            print(f"mozartc {' '.join(COMPILE[:2])} ... --pipeline mozart-c --run, median of {ns.repeat}:")
            print(f"  cold cache {summary(cold, GOAL_COLD_S)}")
            print(f"  warm cache {summary(warm, GOAL_WARM_S)}")
            ratio = statistics.median(t.wall for t in cold) / statistics.median(t.wall for t in warm)
            print(f"  cold / warm {ratio:.2f} (wall); cold and warm printed the same bytes (IR and summary)")
        if not ns.skip_reproduce:
            times = reproduce_times(ns.reproduce_repeat, tmp)
            print(f"mozartc reproduce (full grid, 72 runs), median of {ns.reproduce_repeat}:")
            for label, values in times.items():
                print(f"  {label:<19} {summary(values, GOAL_REPRODUCE_S)}")
            print("  results.json byte-identical across worker counts and cache states")
        if ns.profile:
            profile_warm([*COMPILE, "--emit", "isa", "-o", str(tmp / "p.mzs")], "one compile", tmp)
        if ns.profile_reproduce:
            profile_warm(["reproduce", "--out", str(tmp / "pr"), "--jobs", "1"], "reproduce --jobs 1", tmp)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
