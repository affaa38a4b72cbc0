"""Time the synthetic trace generator against the 3 s goal of issue 15 (48 layers x 100k tokens).

Run: ``PYTHONPATH=. python benchmarks/synth.py [--repeat N] [--reference]``. Prints, for the
qwen3-30b-a3b shape (48 MoE layers, 128 experts top-8) and 100k tokens a layer, seed 0:

- generation: ``synthesize_model`` in this process, on one thread and on one a core (wall and CPU s);
- end to end: ``python -m mozartc traces synth qwen3-30b-a3b --tokens 100000 -o FILE`` in a fresh
  process (start-up, shape, generation, writing the .npz), with the file's size;
- every figure's ratio to the 3 s goal (below 1 meets it), the best of ``--repeat`` runs.

The machine's load average is printed before and after: other jobs on the same cores slow every
figure. ``--reference`` also times the plain numpy generator the fast one replaced
(``tests/traces/synth_reference.py``; same expert ids) once.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL, TOKENS, GOAL_S = "qwen3-30b-a3b", 100_000, 3.0


def _best(repeat: int, run: Callable[[], None]) -> tuple[float, float]:
    """Best wall and CPU seconds of ``repeat`` calls of ``run``."""
    walls, cpus = [], []
    for _ in range(max(1, repeat)):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def _line(label: str, wall: float, extra: str = "") -> None:
    print(f"{label:<46} {wall:6.2f} s  ratio to {GOAL_S:.0f} s goal {wall / GOAL_S:5.2f}  {extra}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is reported")
    parser.add_argument("--reference", action="store_true", help="also time the replaced numpy generator")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from mozartc.frontend.resolve import trace_shape
    from mozartc.traces.synth import synthesize_model

    cores = len(os.sched_getaffinity(0))
    print(f"{MODEL}, {TOKENS} tokens a layer, {cores} cores, load average {os.getloadavg()[0]:.2f}")
    shape = trace_shape(MODEL)
    for jobs in sorted({1, cores}):
        wall, cpu = _best(args.repeat, lambda jobs=jobs: synthesize_model(shape, TOKENS, seed=0, jobs=jobs))
        _line(f"generation, synthesize_model jobs={jobs}", wall, f"(CPU {cpu:.2f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.npz"
        command = [sys.executable, "-m", "mozartc", "traces", "synth", MODEL, "--tokens", str(TOKENS), "-o", str(out)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        wall, _ = _best(args.repeat, lambda: subprocess.run(command, check=True, cwd=ROOT, env=env))
        _line("end to end, mozartc traces synth (new process)", wall, f"({out.stat().st_size / 1e6:.1f} MB .npz)")
    if args.reference:
        from mozartc.traces.synth import SYNTH_PRESETS
        from tests.traces.synth_reference import reference_topk

        wall, cpu = _best(1, lambda: reference_topk(shape.num_layers, 128, 8, TOKENS, 0, SYNTH_PRESETS["mixed-text"]))
        _line("generation, replaced numpy generator", wall, f"(CPU {cpu:.2f} s)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
