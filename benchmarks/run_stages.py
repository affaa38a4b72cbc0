"""Where ``mozartc run`` spends its CPU after parsing: signatures, verifying, executing, reporting.

    PYTHONPATH=. python benchmarks/run_stages.py [FILE.mzs] [--repeat 3] [--baseline DIR] [--workdir DIR]

Times, in CPU seconds (best of ``--repeat``, each run a fresh process), the stages of
:func:`mozartc.executor.api.run_stream_file` on the qwen3-30b-a3b mozart-c stream (compiled once into
``--workdir`` unless FILE.mzs is given): ``parse``, ``target`` (load and topology), then the stages the
executor work owns: ``signatures`` (:class:`mozartc.isa.signatures.StreamSignatures`), ``verify``,
``execute`` and ``report``, and their sum. ``--baseline DIR`` times a checkout of another commit the
same way (its own stages: a checkout without ``mozartc.isa.signatures`` has no ``signatures`` stage) in
runs interleaved with this one, and prints the ratio against the goal of issue 15's executor task:
signatures + verify + execute + report at least 2x faster than on commit 7c71a6b.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
OWNED = ("signatures", "verify", "execute", "report")
GOAL = 2.0


def stages(path: Path) -> dict[str, float]:
    """CPU seconds of each stage of ``run_stream_file`` on ``path``, in this process."""
    import importlib.util

    from mozartc.executor.engine import execute
    from mozartc.executor.report import make_report
    from mozartc.hw import default_target_path, load_target
    from mozartc.hw.topology import Topology
    from mozartc.isa.mzs import parse_stream_file
    from mozartc.isa.verify import verify_stream

    out: dict[str, float] = {}

    def stage(name: str, fn: Callable[[], T]) -> T:
        c0 = time.process_time()
        result = fn()
        out[name] = out.get(name, 0.0) + time.process_time() - c0
        return result

    parsed = stage("parse", lambda: parse_stream_file(path))
    machine = stage("target", lambda: load_target(default_target_path()))
    topology = stage("target", lambda: Topology.of(machine))
    if importlib.util.find_spec("mozartc.isa.signatures") is None:  # a checkout before StreamSignatures
        stage("verify", lambda: verify_stream(parsed.stream, machine, parsed.source, topology=topology))
        timeline = stage("execute", lambda: execute(parsed.stream, machine, check=False, topology=topology))
        stage("report", lambda: make_report(timeline))
        return out
    from mozartc.isa.signatures import StreamSignatures

    signatures = stage("signatures", lambda: StreamSignatures.of(parsed.stream, ints_known=True))
    stage("verify", lambda: verify_stream(parsed.stream, machine, parsed.source, topology=topology,
                                          signatures=signatures))
    timeline = stage("execute", lambda: execute(parsed.stream, machine, check=False, topology=topology,
                                                signatures=signatures))
    stage("report", lambda: make_report(timeline, signatures=signatures))
    return out


def child_run(checkout: Path, path: Path) -> dict[str, float]:
    """:func:`stages` in a fresh process importing mozartc from ``checkout``."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    done = subprocess.run([sys.executable, __file__, str(path), "--child"], check=True, capture_output=True,
                          text=True, env=env, cwd=checkout)
    return dict(json.loads(done.stdout))


def compile_stream(workdir: Path) -> Path:
    """The qwen3-30b-a3b mozart-c stream on the wafer, compiled unless already in ``workdir``."""
    path = workdir / "qwen3-30b-a3b.mzs"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "mozartc", "compile", "qwen3-30b-a3b", "--target", "wafer",
                        "--pipeline", "mozart-c", "--capacity", "warn", "--emit", "isa", "-o", str(path)],
                       check=True, capture_output=True, cwd=ROOT)
    return path


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    """The smallest time of each stage over ``runs``, and ``owned``: the smallest sum of the owned stages."""
    out = {name: min(run[name] for run in runs) for name in runs[0]}
    out["owned"] = min(sum(run.get(name, 0.0) for name in OWNED) for run in runs)
    return out


def line(label: str, times: dict[str, float]) -> str:
    parts = ", ".join(f"{name} {times[name]:.3f}" for name in ("parse", "target", *OWNED) if name in times)
    return f"  {label:9s} {parts}; signatures+verify+execute+report {times['owned']:.3f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stream", nargs="?", type=Path, help="a .mzs file (default: qwen3-30b-a3b mozart-c)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each checkout (the best is kept)")
    parser.add_argument("--baseline", type=Path, help="a checkout of the commit to compare with")
    parser.add_argument("--workdir", type=Path, help="keep the compiled stream here (default: a temporary folder)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(stages(args.stream)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        path = (args.stream or compile_stream(workdir)).resolve()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{path.name}: CPU seconds, best of {args.repeat} fresh processes ({os.cpu_count()} cores, "
              f"load average {load:.2f})")
        ours: list[dict[str, float]] = []
        theirs: list[dict[str, float]] = []
        for _ in range(max(1, args.repeat)):
            ours.append(child_run(ROOT, path))
            if args.baseline:
                theirs.append(child_run(args.baseline.resolve(), path))
        now = best(ours)
        print(line("this", now))
        if theirs:
            then = best(theirs)
            print(line("baseline", then))
            ratio = then["owned"] / now["owned"]
            print(f"  speed-up {ratio:.2f}x (goal >= {GOAL:.0f}x: {'met' if ratio >= GOAL else 'not met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
