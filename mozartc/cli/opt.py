"""``mozartc opt FILE.mir``: parse textual IR, run passes, print IR (like mlir-opt)."""

from __future__ import annotations

import argparse
import sys

from mozartc.cli._common import (
    add_cache_option,
    add_instrumentation_options,
    cache_from_args,
    instrumentation_from_args,
    print_notes,
    report_timings,
)
from mozartc.defaults import MICRO_BATCHES
from mozartc.driver import optimize_text
from mozartc.errors import ParseError
from mozartc.fileio import emit_text
from mozartc.ir.printer import print_module
from mozartc.passes.base import PassContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``opt`` command."""
    p = sub.add_parser("opt", help="parse .mir, run passes, print .mir",
                       description="Read textual IR (FILE or - for stdin), verify it, run --passes, print it.")
    p.add_argument("file", metavar="FILE.mir")
    p.add_argument("--passes", "--pipeline", dest="passes", default="",
                   help="pass pipeline, e.g. 'summarize,verify' or a preset (default: none); "
                        "--pipeline is the same option, spelled as compile spells it")
    p.add_argument("--trace", metavar="T.npz", help="routing trace for passes that use one")
    p.add_argument("--target", metavar="TARGET",
                   help="hardware target for mapping passes: a shipped name or a TOML file (default: wafer)")
    p.add_argument("--micro-batches", type=int, default=MICRO_BATCHES,
                   help=f"micro-batches per training step (default {MICRO_BATCHES})")
    p.add_argument("--seed", type=int, default=0, help="seed for passes that draw random numbers")
    p.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout)")
    add_cache_option(p)
    add_instrumentation_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``mozartc opt``."""
    if args.file == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        try:
            with open(args.file, encoding="utf-8") as handle:
                text, name = handle.read(), args.file
        except (OSError, UnicodeDecodeError) as err:
            raise ParseError(f"cannot read IR file: {getattr(err, 'strerror', None) or err}", where=args.file) from None
    inst = instrumentation_from_args(args)
    ctx = PassContext(trace_path=args.trace, seed=args.seed, micro_batches=args.micro_batches,
                      cache=cache_from_args(args))
    module = optimize_text(text, name, args.passes, inst, ctx, args.target)
    print_notes(ctx.notes)
    report_timings(args, inst)
    emit_text(print_module(module), args.output)
    return 0
