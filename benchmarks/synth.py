"""Time the synthetic trace generator against the 3 s goal of issue 15 (48 layers x 100k tokens).

Run: ``PYTHONPATH=. python benchmarks/synth.py [--repeat N] [--reference]``. Prints, for the
qwen3-30b-a3b shape (48 MoE layers, 128 experts top-8) and 100k tokens a layer, seed 0:

- generation: ``synthesize_model`` in this process, on one thread and on one a core (wall and CPU s);
- end to end: ``python -m mozartc traces synth qwen3-30b-a3b --tokens 100000 -o FILE`` in a fresh
  process (start-up, shape, generation, writing the .npz), with the file's size;
- every figure's ratio to the 3 s goal (below 1 meets it), the best of ``--repeat`` runs.

The machine's load average is printed before and after: other jobs on the same cores slow every
wall figure; the CPU seconds (all threads summed, the child process's for the end-to-end line) much
less. ``--reference`` also times the plain numpy generator the fast one replaced
(``tests/traces/synth_reference.py``; same expert ids) once. ``--breakdown`` prints the start-up
(the command with ``--tokens 1``) and the cost of each step in ns per token-expert pair (best of 50
runs on one 2048-token block, one thread).
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


def _cpu() -> float:
    """CPU seconds of this process and its finished children, every thread and core summed."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _best(repeat: int, run: Callable[[], None]) -> tuple[float, float]:
    """Best wall and CPU seconds of ``repeat`` calls of ``run``."""
    walls, cpus = [], []
    for _ in range(max(1, repeat)):
        wall, cpu = time.perf_counter(), _cpu()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(_cpu() - cpu)
    return min(walls), min(cpus)


def _line(label: str, wall: float, extra: str = "") -> None:
    print(f"{label:<46} {wall:6.2f} s  ratio to {GOAL_S:.0f} s goal {wall / GOAL_S:5.2f}  {extra}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is reported")
    parser.add_argument("--reference", action="store_true", help="also time the replaced numpy generator")
    parser.add_argument("--breakdown", action="store_true", help="ns per token-expert of each step")
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
        wall, cpu = _best(args.repeat, lambda: subprocess.run(command, check=True, cwd=ROOT, env=env))
        _line("end to end, mozartc traces synth (new process)", wall,
              f"(CPU {cpu:.2f} s, {out.stat().st_size / 1e6:.1f} MB .npz)")
        if args.breakdown:  # start-up, resolving the shape and writing a one-token file
            at = command.index("--tokens") + 1
            tiny = [*command[:at], "1", *command[at + 1:]]
            wall, cpu = _best(args.repeat, lambda: subprocess.run(tiny, check=True, cwd=ROOT, env=env))
            print(f"  start-up: the same command with --tokens 1   {wall:6.2f} s  (CPU {cpu:.2f} s)")
    if args.reference:
        from mozartc.traces.synth import SYNTH_PRESETS
        from tests.traces.synth_reference import reference_topk

        wall, cpu = _best(1, lambda: reference_topk(shape.num_layers, 128, 8, TOKENS, 0, SYNTH_PRESETS["mixed-text"]))
        _line("generation, replaced numpy generator", wall, f"(CPU {cpu:.2f} s)")
    if args.breakdown:
        _breakdown()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def _breakdown(tokens: int = 2048, experts: int = 128, k: int = 8) -> None:
    """ns per token-expert pair of each step of one block (qwen3 shape, mixed-text), best of 50."""
    import numpy as np

    from mozartc.traces.race import top_k_desc
    from mozartc.traces.substream import Substream
    from mozartc.traces.synth import _Race, _Shared

    rng = np.random.default_rng(0)
    shared = _Shared()
    z = rng.normal(size=(3, experts)).astype(np.float32)
    race = _Race(rng.normal(size=experts).astype(np.float32), rng.random(experts).astype(np.float32), z, k, shared)
    state = rng.bit_generator.state
    uniforms = np.empty((tokens, experts), dtype=np.float32)
    u = rng.normal(size=(tokens, 3)).astype(np.float32)
    out = np.empty((tokens, k), dtype=np.int16)
    scratch = shared.scratch()
    key = np.log(np.float32(1.0) - rng.random((tokens, experts), dtype=np.float32)) * race._inv_weight(u, z, scratch)
    substream = Substream()
    logs = np.empty_like(uniforms)

    def replaced() -> None:
        part = np.argpartition(key, experts - k, axis=1)[:, experts - k:]
        np.take_along_axis(part, np.argsort(-np.take_along_axis(key, part, axis=1), axis=1, kind="stable"), axis=1)

    steps: list[tuple[str, Callable[[], object]]] = [
        ("uniforms, Generator.random float32 from a state", lambda: substream.fill(state, uniforms)),
        ("inverse weights: 3 outer products, sums, exp", lambda: race._inv_weight(u, z, scratch)),
        ("top-k, packed partition (race.top_k_desc)", lambda: top_k_desc(key, k, scratch)),
        ("top-k, replaced argpartition + argsort", replaced),
        ("log(1 - U)", lambda: np.log(np.subtract(np.float32(1.0), uniforms, out=logs), out=logs)),
        ("whole block (_Race.block: uniforms to expert ids)", lambda: race.block(state, u, out)),
    ]
    for label, step in steps:
        wall, _ = _best(50, step)
        print(f"  {label:<54} {wall / (tokens * experts) * 1e9:5.2f} ns")


if __name__ == "__main__":
    main()
