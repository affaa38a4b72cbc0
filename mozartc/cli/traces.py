"""``mozartc traces stats|synth|import``: inspect, generate and convert routing traces."""

from __future__ import annotations

import argparse
import json

from mozartc.fileio import emit_text


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``traces`` command and its sub-commands."""
    parser = sub.add_parser("traces", help="routing traces: statistics, synthetic generator, CSV import",
                            description="Inspect, generate and convert routing traces (.npz).")
    tsub = parser.add_subparsers(dest="traces_command", metavar="SUBCOMMAND", required=True)

    stats = tsub.add_parser("stats", help="per-layer load, entropy, co-activation and C_T of a trace")
    stats.add_argument("trace", help="trace .npz file or a folder of them")
    stats.add_argument("--clusters", type=int, default=16, help="clusters for the contiguous C_T (16)")
    stats.add_argument("--json", action="store_true", help="print a JSON record")
    stats.set_defaults(func=_stats)

    synth = tsub.add_parser("synth", help="generate a synthetic trace for a model")
    synth.add_argument("model", help="preset name or config.json path")
    synth.add_argument("--tokens", type=int, required=True, help="tokens per layer")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--preset", default="mixed-text", help="generator parameters: uniform|mixed-text|paper")
    synth.add_argument("--skew", type=float, help="override: Zipf exponent of expert popularity")
    synth.add_argument("--structure", type=float, help="override: co-activation strength")
    synth.add_argument("--dim", type=int, help="override: latent dimension of the structure")
    synth.add_argument("--jobs", type=int, default=0,
                       help="threads (0: one per core on traces of 16M+ layer-token-experts, else 1); "
                            "the trace does not depend on it")
    synth.add_argument("-o", "--output", required=True, help="output .npz")
    synth.set_defaults(func=_synth)

    imp = tsub.add_parser("import", help="convert a CSV trace (layer,token,e0,...) to .npz")
    imp.add_argument("csv", help="CSV file with header layer,token,e0,...,e{k-1}")
    imp.add_argument("--num-experts", type=int, required=True)
    imp.add_argument("--model", default="")
    imp.add_argument("-o", "--output", required=True, help="output .npz")
    imp.set_defaults(func=_import)


def _stats(args: argparse.Namespace) -> int:
    from mozartc.traces.format import load_trace
    from mozartc.traces.summary import trace_summary

    summary = trace_summary(load_trace(args.trace), args.clusters)
    if args.json:
        emit_text(json.dumps(summary, sort_keys=True) + "\n", None)
        return 0
    from rich.console import Console
    from rich.table import Table

    uniform = summary["uniform_C_T"]
    title = (f"{summary['model'] or args.trace}: {summary['num_layers']} layers x {summary['num_tokens']} "
             f"tokens, {summary['num_experts']} experts top-{summary['top_k']}"
             + (f", uniform C_T {uniform:.3f} at {args.clusters} clusters" if uniform else ""))
    table = Table(title=title)
    for name in ("layer", "load max/mean", "entropy", "top-5% pair ratio", "contiguous C_T"):
        table.add_column(name, justify="right")
    for row in summary["layers"]:  # type: ignore[attr-defined]
        ct = row["contiguous_C_T"]
        table.add_row(str(row["layer"]), f"{row['load_imbalance']:.2f}", f"{row['entropy']:.3f}",
                      f"{row['top5_pair_ratio']:.2f}", "-" if ct is None else f"{ct:.3f}")
    Console().print(table)
    return 0


def _synth(args: argparse.Namespace) -> int:
    from mozartc.frontend.resolve import trace_shape
    from mozartc.traces.format import save_trace
    from mozartc.traces.synth import default_jobs, synth_params, synthesize_model

    params = synth_params(args.preset, skew=args.skew, structure=args.structure, dim=args.dim)
    shape = trace_shape(args.model)
    jobs = args.jobs or default_jobs(shape.num_layers, args.tokens, shape.num_experts)
    trace = synthesize_model(shape, args.tokens, seed=args.seed, params=params, jobs=jobs)
    save_trace(trace, args.output)
    return 0


def _import(args: argparse.Namespace) -> int:
    from mozartc.traces.format import load_csv, save_trace

    save_trace(load_csv(args.csv, args.num_experts, model=args.model), args.output)
    return 0
