"""Speed of ``mozartc cluster --method cpsat`` at the qwen3-30b-a3b shape (issue 5 acceptance).

48 layers x 128 experts top-8 x 100k tokens per layer, 16 clusters, default options; target: the
whole command under 60 s on the 2-core development machine. Prints the figures.

    PYTHONPATH=. python benchmarks/cluster_speed.py [--tokens 100000] [--jobs 2] [--keep /tmp/q.npz]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from mozartc.cli import main
from mozartc.frontend import trace_shape
from mozartc.traces.format import load_trace, save_trace
from mozartc.traces.synth import synthesize_model


def run(tokens: int, jobs: int, model: str, keep: Path | None) -> None:
    """Synthesize the trace (or reuse ``keep``), then time the ``cluster`` command end to end."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "trace.npz"
        if not path.exists():
            save_trace(synthesize_model(trace_shape(model), tokens, seed=0), path)
        trace = load_trace(path)
        synth_s = time.perf_counter() - t0
        out = Path(tmp) / "clusters.json"
        t1 = time.perf_counter()
        code = main(["cluster", "--trace", str(path), "--clusters", "16", "--method", "cpsat",
                     "--jobs", str(jobs), "--json", "-o", str(out)])
        cluster_s = time.perf_counter() - t1
    print(f"model={model} layers={trace.num_layers} experts={trace.num_experts} top_k={trace.top_k} "
          f"tokens/layer={tokens} cores={os.cpu_count()} jobs={jobs}")
    print(f"synthesize+save (or load): {synth_s:.1f} s")
    print(f"mozartc cluster --method cpsat: {cluster_s:.1f} s (exit {code}; target < 60 s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--model", default="qwen3-30b-a3b")
    parser.add_argument("--keep", type=Path, help="trace file to reuse (made on the first run)")
    ns = parser.parse_args()
    run(ns.tokens, ns.jobs, ns.model, ns.keep)
