"""Reader speed: the ``.mzs`` and ``.mir`` text of qwen3-30b-a3b mapped with mozart-c, read back.

    PYTHONPATH=. python benchmarks/readers.py [--repeat 3] [--lark-repeat 1] [--no-lark] [--deepseek] [--workdir DIR]

Goals (issue 15, point 1): the common ``.mzs`` file read at least 20x faster than by the lark
grammar; ``mozartc run`` of the qwen3-30b-a3b mozart-c stream (about 124k instructions) in at most
3 s. Prints, for the ``.mzs`` stream: the grammar reader (``parse_stream_lark``, the fallback and
error reporter) and ``parse_stream`` (the line reader on printed text), their ratio against the
20x goal, the wall time of ``python -m mozartc run`` against the 3 s goal and where that time goes
(start-up, measured as ``python -m mozartc --help``, and each stage in process: parse, target,
topology, signatures (:mod:`mozartc.isa.signatures`), verify, execute, report, as
``run_stream_file`` runs them); for the ``.mir``
module: the grammar reader (``parse_module_lark``), ``parse_module`` (the line reader) and
``python -m mozartc opt FILE --passes verify``. Every time is given as wall and CPU seconds (CPU of
the child process for the CLI): the machine is shared, and CPU time moves less with the load.
``--deepseek`` adds the larger deepseek-v3 module mapped onto ``targets/wafer-64.toml``. The files are
compiled once (``python -m mozartc compile ... --pipeline mozart-c --capacity warn``) into ``--workdir``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = "qwen3-30b-a3b"
SPEEDUP_GOAL = 20.0  # issue 15: the common path at least 20x faster than the lark parse
RUN_GOAL_S = 3.0  # issue 15: mozartc run of the qwen3 mozart-c stream in at most 3 s


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall and best CPU seconds of ``repeat`` calls of ``fn``."""
    wall = cpu = float("inf")
    for _ in range(max(1, repeat)):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, time.process_time() - c0)
    return wall, cpu


def cli_times(args: list[str], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of ``python -m mozartc ARGS``, a fresh process each of ``repeat`` times."""
    walls, cpus = [], []
    for _ in range(max(1, repeat)):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mozartc", *args], check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return walls, cpus


def compile_file(workdir: Path, model: str, target: str, emit_isa: bool) -> Path:
    """``model`` mapped with mozart-c onto ``targets/TARGET``, compiled unless already in ``workdir``."""
    path = workdir / f"{model}.{'mzs' if emit_isa else 'mir'}"
    if not path.exists():
        args = ["compile", model, "--target", str(ROOT / "targets" / target), "--capacity", "warn",
                "--pipeline", "mozart-c", *(["--emit", "isa"] if emit_isa else []), "-o", str(path)]
        subprocess.run([sys.executable, "-m", "mozartc", *args], check=True, capture_output=True, cwd=ROOT)
    return path


def spread(times: list[float]) -> str:
    ordered = sorted(times)
    return f"best {ordered[0]:.2f} s, median {ordered[len(ordered) // 2]:.2f} s"


def bench_mzs(path: Path, repeat: int, lark_repeat: int) -> None:
    from mozartc.isa.mzs import parse_stream, parse_stream_lark

    text = path.read_text(encoding="utf-8")
    count = len(parse_stream(text).stream.instrs)
    print(f".mzs: {path.name}, {count} instructions, {len(text) / 1e6:.1f} MB")
    new_wall, new_cpu = timed(lambda: parse_stream(text, str(path)), repeat)
    print(f"  parse_stream (line reader)   wall {new_wall:7.3f} s  cpu {new_cpu:7.3f} s  (best of {repeat})")
    if lark_repeat > 0:
        old_wall, old_cpu = timed(lambda: parse_stream_lark(text, str(path)), lark_repeat)
        print(f"  parse_stream_lark (grammar)  wall {old_wall:7.3f} s  cpu {old_cpu:7.3f} s  (best of {lark_repeat})")
        print(f"  speed-up: {old_wall / new_wall:.1f}x wall, {old_cpu / new_cpu:.1f}x cpu "
              f"(goal >= {SPEEDUP_GOAL:.0f}x: {old_cpu / new_cpu / SPEEDUP_GOAL:.1f}x the goal, by cpu)")
    walls, cpus = cli_times(["run", str(path)], repeat)
    print(f"  python -m mozartc run {path.name} ({repeat} runs):")
    for what, times in (("wall", walls), ("cpu", cpus)):
        best = min(times)
        verdict = "met" if best <= RUN_GOAL_S else "not met"
        print(f"    {what:4s} {spread(times)}  (goal <= {RUN_GOAL_S:.0f} s: best is {best / RUN_GOAL_S:.2f} "
              f"of the goal, {verdict})")
    _, startup = cli_times(["--help"], repeat)
    stages = ", ".join(f"{name} {cpu:.2f}" for name, cpu in run_stages(path))
    print(f"  where the cpu goes: start-up (python -m mozartc --help) best {min(startup):.2f} s; "
          f"in process: {stages} s")


def run_stages(path: Path) -> list[tuple[str, float]]:
    """CPU seconds of each stage of ``mozartc run`` in this process (``run_stream_file`` step by step;
    ``benchmarks/run_stages.py`` owns the stage list and times it against other commits too)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run_stages import stages

    return list(stages(path).items())


def bench_mir(path: Path, repeat: int, lark_repeat: int) -> None:
    from mozartc.ir.parser import parse_module, parse_module_lark

    text = path.read_text(encoding="utf-8")
    print(f".mir: {path.name}, {text.count(chr(10))} lines, {len(text) / 1e6:.2f} MB")
    new_wall, new_cpu = timed(lambda: parse_module(text, str(path)), repeat)
    print(f"  parse_module (line reader)   wall {new_wall:7.3f} s  cpu {new_cpu:7.3f} s  (best of {repeat})")
    if lark_repeat > 0:
        old_wall, old_cpu = timed(lambda: parse_module_lark(text, str(path)), lark_repeat)
        print(f"  parse_module_lark (grammar)  wall {old_wall:7.3f} s  cpu {old_cpu:7.3f} s  (best of {lark_repeat})")
        print(f"  speed-up: {old_wall / new_wall:.1f}x wall, {old_cpu / new_cpu:.1f}x cpu")
    walls, cpus = cli_times(["opt", str(path), "--passes", "verify", "-o", os.devnull], repeat)
    print(f"  python -m mozartc opt {path.name} --passes verify ({repeat} runs): wall {spread(walls)}; "
          f"cpu {spread(cpus)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each fast measurement (best is kept)")
    parser.add_argument("--lark-repeat", type=int, default=1, help="runs of the grammar reader (about a minute each)")
    parser.add_argument("--no-lark", action="store_true", help="skip the grammar reader (no speed-up figure)")
    parser.add_argument("--deepseek", action="store_true",
                        help="also the deepseek-v3 module on wafer-64.toml (1.1 MB; about a minute to compile)")
    parser.add_argument("--workdir", type=Path, help="keep the compiled files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} cores, load average {load:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        lark_repeat = 0 if args.no_lark else args.lark_repeat
        bench_mzs(compile_file(workdir, MODEL, "wafer.toml", True), args.repeat, lark_repeat)
        bench_mir(compile_file(workdir, MODEL, "wafer.toml", False), args.repeat, lark_repeat)
        if args.deepseek:
            bench_mir(compile_file(workdir, "deepseek-v3", "wafer-64.toml", False), args.repeat, lark_repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
