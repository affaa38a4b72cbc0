"""``mozartc reproduce``: run the paper's ablation ladder; write results.json, table.md and PNG plots."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mozartc.cli._common import add_cache_option, cache_dir_from_args
from mozartc.errors import MozartError

if TYPE_CHECKING:
    from mozartc.experiments.reproduce import ReproduceOptions

def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``reproduce`` command."""
    p = sub.add_parser(
        "reproduce", help="reproduce the paper's ablation ladder (Table 4, Figure 6a)",
        description="Run baseline, mozart-a, mozart-b and mozart-c for the paper models at sequence lengths "
                    "128/256/512 on HBM2 and SSD targets; write DIR/results.json, DIR/table.md (next to the "
                    "paper's Table 4) and PNG plots. See docs/reproduce.md.")
    p.add_argument("--out", metavar="DIR", type=Path, default=Path("reproduce-out"),
                   help="output folder (default: reproduce-out)")
    p.add_argument("--quick", action="store_true",
                   help="one model (olmoe-1b-7b-0924) at sequence length 256 on HBM2, for CI")
    p.add_argument("--trace-dir", metavar="DIR", help="routing traces as DIR/<model>.npz (default: synthetic)")
    p.add_argument("--models", nargs="+", metavar="MODEL", help="models (default: the three paper models)")
    p.add_argument("--seq-lens", nargs="+", type=int, metavar="N", help="sequence lengths (default: 128 256 512)")
    p.add_argument("--dram", dest="drams", metavar="KINDS", help="comma-separated DRAM kinds: hbm2,ssd (default: both)")
    p.add_argument("--pipelines", nargs="+", metavar="PRESET",
                   help="rungs to run (default: baseline mozart-a mozart-b mozart-c; add mozart-c+mc for the "
                        "switch-multicast rung beyond the paper)")
    p.add_argument("--jobs", type=int, default=2, help="runs in parallel (processes; default 2)")
    add_cache_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``mozartc reproduce``."""
    from dataclasses import replace

    from mozartc.cli.progress import progress
    from mozartc.experiments.checks import ordering_checks, table4_cells
    from mozartc.experiments.reproduce import ReproduceOptions, failures, plan, reproduce, results_json
    from mozartc.experiments.table import render_table
    from mozartc.fileio import atomic_write_text

    start = time.monotonic()
    options = ReproduceOptions.quick() if args.quick else ReproduceOptions()
    options = replace(
        options, trace_dir=args.trace_dir, jobs=args.jobs, cache_dir=cache_dir_from_args(args),
        models=tuple(args.models) if args.models else options.models,
        seq_lens=tuple(args.seq_lens) if args.seq_lens else options.seq_lens,
        pipelines=tuple(args.pipelines) if args.pipelines else options.pipelines,
        drams=tuple(d.strip() for d in args.drams.split(",") if d.strip()) if args.drams else options.drams)
    if options.jobs < 1:
        raise MozartError(f"must be a positive integer, got {options.jobs}", where="--jobs")
    total = len(plan(options))  # validates the grid before anything runs
    with progress("reproduce", total) as advance:
        records = reproduce(options, advance)
    _write_outputs(args.out, records, results_json(records), render_table(records))
    atomic_write_text(args.out / "run_info.json", _run_info(options, total, time.monotonic() - start))
    cells = table4_cells(records)
    checks = ordering_checks(records)
    lat_miss = sum(c.latency_miss for c in cells)
    ct_miss = sum(c.c_t_miss for c in cells)
    below = sum(c.latency_miss and c.paper_below_bound for c in cells)
    sys.stderr.write(
        f"mozartc: {total} runs; Table 4: {len(cells) - lat_miss}/{len(cells)} latency and "
        f"{len(cells) - ct_miss}/{len(cells)} C_T cells within tolerance"
        + (f" ({below} of the {lat_miss} latency misses are below the run's lower bound)" if below else "")
        + f"; ordering baseline > A > B > C in {sum(c.ok for c in checks)}/{len(checks)} groups\n"
        f"mozartc: wrote {args.out}/results.json, table.md and plots\n"
        f"mozartc: total wall time {time.monotonic() - start:.1f} s\n")
    failed = failures(records)
    if failed:
        first = failed[0]
        raise MozartError(f"{len(failed)} of {total} runs failed (table.md lists them); first: {first['error']}",
                          where=f"{first['model']} {first['dram']} seq {first['seq_len']} {first['pipeline']}")
    return 0


def _write_outputs(out: Path, records: list[dict[str, Any]], results: str, table: str) -> None:
    """Render every plot first, then write all files (a failure leaves no partial file)."""
    from mozartc.experiments.plots import reproduction_plots
    from mozartc.fileio import atomic_write_bytes, atomic_write_text

    plots = reproduction_plots(records)
    atomic_write_text(out / "results.json", results)
    atomic_write_text(out / "table.md", table)
    for name, data in plots.items():
        atomic_write_bytes(out / name, data)


def _run_info(options: ReproduceOptions, runs: int, wall_s: float) -> str:
    """run_info.json: what is not deterministic (wall time) plus the options, kept out of results.json."""
    import json
    from dataclasses import asdict

    from mozartc.version import __version__

    info = {"mozartc_version": __version__, "runs": runs, "wall_time_s": round(wall_s, 3),
            "options": asdict(options)}
    return json.dumps(info, indent=1, sort_keys=True) + "\n"
