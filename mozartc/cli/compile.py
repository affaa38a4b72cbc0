"""``mozartc compile MODEL``: capture a model, run a pipeline, emit IR."""

from __future__ import annotations

import argparse
import os
import sys

from mozartc.cli._common import (
    add_cache_option,
    add_instrumentation_options,
    cache_from_args,
    instrumentation_from_args,
    load_baseline,
    print_notes,
    report_timings,
)
from mozartc.defaults import MICRO_BATCH, MICRO_BATCHES, SEQ_LEN
from mozartc.driver import CompileOptions, compile_model, resolve_pipeline
from mozartc.errors import MozartError
from mozartc.fileio import atomic_write_text, emit_text
from mozartc.optimizers import OPTIMIZERS
from mozartc.passes.presets import DEFAULT_PIPELINE


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``compile`` command."""
    p = sub.add_parser(
        "compile", help="capture a MoE model and map it onto the target",
        description="Capture MODEL (a preset, a config.json or folder holding one, or file.py:factory) "
                    "with torch.fx, run the pass pipeline and emit the result.",
    )
    p.add_argument("model", metavar="MODEL",
                   help="qwen3-30b-a3b | olmoe-1b-7b-0924 | deepseek-moe-16b-base | tiny-moe | "
                        "path/to/config.json | path/to/file.py:factory")
    p.add_argument("--target", metavar="TARGET",
                   help="hardware target: a shipped name (mozartc target list) or a TOML file (default: wafer)")
    p.add_argument("--pipeline", default=DEFAULT_PIPELINE,
                   help=f"a preset name or a pass pipeline 'a,b{{k=v}}' (default: {DEFAULT_PIPELINE})")
    p.add_argument("--print-pipeline", action="store_true",
                   help="print the fully spelled pipeline string and exit")
    p.add_argument("--capacity", choices=["error", "warn"], default="error",
                   help="a training step that does not fit the target's DRAM is an error (default) or a warning "
                        "recorded in the IR")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default="sgd",
                   help="optimizer whose state the capacity check counts (default sgd: no state; the paper "
                        "does not name one)")
    p.add_argument("--trace", metavar="T.npz", help="routing trace (.npz file or folder) for clustering")
    p.add_argument("--seq-len", type=int, default=SEQ_LEN, help=f"tokens per sequence (default {SEQ_LEN})")
    p.add_argument("--micro-batch", type=int, default=MICRO_BATCH,
                   help=f"sequences per micro-batch (default {MICRO_BATCH})")
    p.add_argument("--micro-batches", type=int, default=MICRO_BATCHES,
                   help=f"micro-batches per training step (default {MICRO_BATCHES})")
    p.add_argument("--seed", type=int, default=0, help="seed for synthetic traces and solvers (default 0)")
    p.add_argument("--emit", choices=["ir", "isa"], default="ir",
                   help="what -o receives: the mapped IR (default) or the backend's output (isa)")
    p.add_argument("--backend", default="mozart",
                   help="backend for --emit isa and --run (default mozart; see mozartc backends)")
    p.add_argument("--jobs", type=int, default=0,
                   help="worker processes that cluster a large model's layers (default 0: one per core); "
                        "the output does not depend on it")
    p.add_argument("--run", action="store_true", help="time the instruction stream with the executor")
    p.add_argument("--report", metavar="FILE.json", help="with --run: write the report JSON")
    p.add_argument("--perfetto", metavar="FILE.json", help="with --run: write a Perfetto/Chrome trace")
    p.add_argument("--html", metavar="FILE.html",
                   help="with --run: write a self-contained HTML report (step, bounds, utilisation, traffic, mapping)")
    p.add_argument("--baseline", metavar="BASE.json",
                   help="with --html: compare with this report (as mozartc diff BASE.json does) in the page")
    p.add_argument("--json", action="store_true",
                   help="with --run: print the report JSON to stdout instead of the summary")
    p.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout)")
    add_cache_option(p)
    add_instrumentation_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``mozartc compile``."""
    if args.print_pipeline:
        sys.stdout.write(resolve_pipeline(args.pipeline) + "\n")
        return 0
    if args.html and not args.run:
        raise MozartError("needs --run: the HTML report shows a timed step", where="--html")
    baseline = load_baseline(args)
    if args.json and not args.run:
        raise MozartError("needs --run: the JSON report is the timed step's", where="--json")
    options = CompileOptions(
        model=args.model, pipeline=args.pipeline, target=args.target, trace=args.trace,
        capacity=args.capacity, optimizer=args.optimizer, backend=args.backend, emit=args.emit,
        run=args.run or bool(args.report) or bool(args.perfetto),
        seq_len=args.seq_len, micro_batch=args.micro_batch, micro_batches=args.micro_batches, seed=args.seed,
        jobs=args.jobs or os.cpu_count() or 1,
    )
    inst = instrumentation_from_args(args)
    result = compile_model(options, inst, cache_from_args(args))
    print_notes(result.notes)
    report_timings(args, inst)
    text = result.output.text if args.emit == "isa" and result.output is not None else result.ir_text
    if result.timeline is not None and result.report is not None:
        from mozartc.executor.perfetto import perfetto_json
        from mozartc.executor.report import format_summary, report_json

        html = None
        if args.html:
            from mozartc.reports.html import build_page, render_html

            html = render_html(build_page(result.report, result.timeline, result.module, baseline=baseline))
        if args.report:
            atomic_write_text(args.report, report_json(result.report))
        if html is not None:
            atomic_write_text(args.html, html)
        if args.perfetto:
            atomic_write_text(args.perfetto, perfetto_json(result.timeline))
        if args.json:
            emit_text(report_json(result.report), None)
        else:
            sys.stderr.write(format_summary(result.report).rstrip("\n") + "\n")
    if args.output or not args.run:
        emit_text(text, args.output)
    return 0
