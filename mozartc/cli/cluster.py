"""``mozartc cluster``: cluster every layer's experts from a routing trace, or compare methods."""

from __future__ import annotations

import argparse
import io
import json
import os
from typing import TYPE_CHECKING, Any

from mozartc.cli._common import add_cache_option, cache_from_args
from mozartc.cli.progress import counting, progress
from mozartc.errors import MozartError
from mozartc.fileio import emit_text

if TYPE_CHECKING:
    from mozartc.cache import ResultCache

#: how ``mozartc cluster`` is told the number of clusters (the ``knob`` its errors name)
CLI_CLUSTERS_KNOB = "--clusters N"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``cluster`` command."""
    p = sub.add_parser("cluster", help="cluster experts per layer from a routing trace",
                       description="Cluster each layer's experts into clusters (one per expert chiplet) "
                                   "from a routing trace; print C_T and the clusters. When the number of "
                                   "clusters N does not divide the experts E, E mod N clusters hold "
                                   "ceil(E/N) experts and the rest floor(E/N).")
    p.add_argument("--trace", help="trace .npz file or a folder of them (required)")
    p.add_argument("--clusters", type=int, default=16,
                   help="number of clusters, 1..experts; need not divide the experts (16)")
    p.add_argument("--method", default="cpsat", help="clustering method (see --list); default cpsat")
    p.add_argument("--compare", action="store_true", help="run every method (or --methods) side by side")
    p.add_argument("--methods", help="comma-separated methods for --compare (default: all)")
    p.add_argument("--list", action="store_true", help="list the clustering methods and exit")
    p.add_argument("--cpsat-max-experts", type=int, default=32,
                   help="cpsat runs the CP-SAT solve only on layers of at most this many experts (0: always); "
                        "above it, where the solve never improved its greedy hint, it keeps greedy + refinement")
    p.add_argument("--time-limit", type=float, default=0.1,
                   help="CP-SAT deterministic time per layer (default 0.1; about 0.4 s of wall time)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1, help="CP-SAT workers (1 = deterministic)")
    p.add_argument("--jobs", type=int, default=0,
                   help="layers clustered in parallel processes (0 = all cores on big traces)")
    p.add_argument("--holdout", type=float, default=0.0,
                   help="fit on the first 1-F of the tokens, report C_T on the last F (0 = off)")
    p.add_argument("--json", action="store_true", help="print a JSON record (a list with --compare)")
    p.add_argument("-o", "--output", help="write the output here instead of stdout")
    add_cache_option(p)
    p.set_defaults(func=_cluster)


def _cluster(args: argparse.Namespace) -> int:
    from mozartc.solvers.clustering import DESCRIPTIONS, ClusterOptions, cluster_trace, compare, get_method
    from mozartc.traces.format import load_trace
    from mozartc.traces.stats import check_cluster_count

    if args.list:
        emit_text("".join(f"{n:12s} {d}\n" for n, d in DESCRIPTIONS.items()), args.output)
        return 0
    if not args.trace:
        raise MozartError("--trace is required (a trace .npz file or a folder of them)", where="cluster")
    options = ClusterOptions(time_limit=args.time_limit, workers=args.workers, seed=args.seed,
                             cpsat_max_experts=args.cpsat_max_experts)
    methods = args.methods.split(",") if args.methods else None
    for name in methods or ([] if args.compare else [args.method]):
        get_method(name)
    trace = load_trace(args.trace)
    check_cluster_count(trace.num_experts, args.clusters, CLI_CLUSTERS_KNOB)
    fit, held = trace, None
    if args.holdout:
        fit, held = trace.split_tokens(1.0 - args.holdout)
    # Worker processes cost about a second to start: use them only on big traces unless asked.
    big = trace.num_layers * trace.num_tokens >= 1_000_000
    jobs = args.jobs or ((os.cpu_count() or 1) if big else 1)
    cache = cache_from_args(args)
    total = trace.num_layers * (len(methods) if methods else 6 if args.compare else 1)
    with progress("clustering layers", total) as advance:
        tick = counting(advance, total)
        if args.compare:
            result: Any = compare(fit, args.clusters, methods, options, jobs=jobs, on_layer=tick,
                                  knob=CLI_CLUSTERS_KNOB, cache=cache)
            if held is not None:
                _add_holdout_compare(result, fit, held, args.clusters, options, jobs, cache)
        else:
            clustering = cluster_trace(fit, args.clusters, args.method, options, jobs=jobs, on_layer=tick,
                                       knob=CLI_CLUSTERS_KNOB, cache=cache)
            result = clustering.record()
            if held is not None:
                per_layer = clustering.evaluate(held)
                result["holdout_per_layer_C_T"] = per_layer
                result["holdout_C_T"] = sum(per_layer) / len(per_layer)
    if args.json:
        emit_text(json.dumps(result, sort_keys=True) + "\n", args.output)
    else:
        emit_text(_render(result, args, trace), args.output)
    return 0


def _add_holdout_compare(rows: list[dict[str, Any]], fit: Any, held: Any, clusters: int,
                         options: Any, jobs: int, cache: ResultCache | None) -> None:
    """Add ``holdout_C_T`` to each compare row (the fits are read from the cache the compare just
    filled; with ``--no-cache`` each method is fitted again, cheap next to the compare)."""
    from mozartc.solvers.clustering import cluster_trace

    for row in rows:
        per_layer = cluster_trace(fit, clusters, row["method"], options, jobs=jobs,
                                  knob=CLI_CLUSTERS_KNOB, cache=cache).evaluate(held)
        row["holdout_C_T"] = sum(per_layer) / len(per_layer)


def _render(result: Any, args: argparse.Namespace, trace: Any) -> str:
    """A rich table as text: the compare rows, or the per-layer C_T of one method."""
    from rich.console import Console
    from rich.table import Table

    from mozartc.traces.stats import cluster_sizes

    sizes = cluster_sizes(trace.num_experts, args.clusters)
    shape = f"{args.clusters} clusters" if sizes[0] == sizes[-1] else \
        f"{args.clusters} clusters ({sizes.count(sizes[0])} of {sizes[0]}, {sizes.count(sizes[-1])} of {sizes[-1]})"
    head = f"{trace.model or args.trace}: {trace.num_layers} layers, {trace.num_experts} experts " \
           f"top-{trace.top_k}, {shape}"
    if args.compare:
        table = Table(title=head)
        columns = ["method", "C_T", "intra-cluster co-act share", "cluster load max/mean", "time (s)"]
        holdout = any("holdout_C_T" in r for r in result)
        if holdout:
            columns.insert(2, "held-out C_T")
        for name in columns:
            table.add_column(name, justify="left" if name == "method" else "right")
        for r in result:
            cells = [r["method"], f"{r['C_T']:.3f}", f"{r['intra_share']:.3f}",
                     f"{r['cluster_load_imbalance']:.2f}", f"{r['runtime_s']:.2f}"
                     + (" (cached)" if r.get("cached_layers") else "")]
            if holdout:
                cells.insert(2, f"{r['holdout_C_T']:.3f}")
            table.add_row(*cells)
    else:
        table = Table(title=f"{head}, method {result['method']}: mean C_T {result['C_T']:.3f}"
                      + (f", held-out {result['holdout_C_T']:.3f}" if "holdout_C_T" in result else ""))
        table.add_column("layer", justify="right")
        table.add_column("C_T", justify="right")
        table.add_column("clusters (first 3)")
        for lid, ct, cl in zip(result["layer_ids"], result["per_layer_C_T"], result["clusters"], strict=True):
            table.add_row(str(lid), f"{ct:.3f}", " ".join(str(c) for c in cl[:3]) + " ...")
    buffer = io.StringIO()
    Console(file=buffer, width=120).print(table)
    return buffer.getvalue()
