"""``mozartc sweep SPEC.toml``: run a design-space sweep on a local process pool or Ray."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mozartc.cli._common import add_cache_option, cache_dir_from_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``sweep`` command."""
    p = sub.add_parser(
        "sweep", help="run a design-space sweep (cross product of target fields and run options)",
        description="Run every point of SPEC.toml's axes (target fields by key path, pipeline, seq_len, "
                    "micro_batch, micro_batches, clustering, target) in parallel; finished points are kept "
                    "in DIR/points.jsonl and skipped on a rerun. Writes DIR/results.csv (and results.parquet "
                    "with pyarrow) and DIR/summary.png. See docs/reproduce.md.")
    p.add_argument("spec", metavar="SPEC.toml", help="sweep specification")
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local process pool (default) or Ray (pip install mozartc[ray])")
    p.add_argument("--address", metavar="ADDR",
                   help="with --engine ray: an existing Ray cluster (default: start a local instance)")
    p.add_argument("--out", metavar="DIR", type=Path, required=True, help="output folder (reused to resume)")
    p.add_argument("--jobs", type=int, default=2, help="points in parallel (default 2)")
    add_cache_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``mozartc sweep``."""
    from mozartc.cli.progress import progress
    from mozartc.experiments.sweep import plan_points, run_sweep
    from mozartc.experiments.sweep_spec import load_spec

    start = time.monotonic()
    spec = load_spec(args.spec)
    total = len(plan_points(spec)) if args.engine == "local" else spec.size
    with progress(f"sweep {spec.name}", total) as advance:
        outcome = run_sweep(spec, args.out, args.engine, args.jobs, args.address, advance,
                            cache_dir_from_args(args))
    sys.stderr.write(
        f"mozartc: {outcome.total} points: {outcome.computed} computed, {outcome.reused} reused from "
        f"{args.out}/points.jsonl, {outcome.failed} failed (see the error column)\n"
        f"mozartc: wrote {', '.join(f'{args.out}/{f}' for f in outcome.files)}\n"
        f"mozartc: total wall time {time.monotonic() - start:.1f} s\n")
    return 0
