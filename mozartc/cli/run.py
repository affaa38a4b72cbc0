"""``mozartc run FILE.mzs``: time an instruction stream on a target; print a summary, write report/trace."""

from __future__ import annotations

import argparse

from mozartc.cli._common import load_baseline, print_notes
from mozartc.executor.api import run_stream_file
from mozartc.executor.perfetto import perfetto_json
from mozartc.executor.report import format_summary, report_json
from mozartc.executor.workload import ExecOptions
from mozartc.fileio import atomic_write_text, emit_text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` command."""
    p = sub.add_parser("run", help="time an instruction stream (.mzs) on a target",
                       description="Parse and verify FILE.mzs against the target, time it with the flow-level "
                                   "executor, print step time, breakdown and lower bound.")
    p.add_argument("stream", metavar="FILE.mzs", help="instruction stream (from mozartc compile --emit isa)")
    p.add_argument("--target", metavar="TARGET",
                   help="hardware target: a shipped name (mozartc target list) or a TOML file (default: wafer)")
    p.add_argument("--report", metavar="FILE.json", help="write the JSON report here")
    p.add_argument("--perfetto", metavar="FILE.json", help="write a Perfetto/Chrome trace here (ui.perfetto.dev)")
    p.add_argument("--html", metavar="FILE.html",
                   help="write a self-contained HTML report here (step, bounds, utilisation, traffic)")
    p.add_argument("--baseline", metavar="BASE.json",
                   help="with --html: compare with this report (as mozartc diff BASE.json does) in the page")
    p.add_argument("--json", action="store_true", help="print the JSON report instead of the summary")
    model = p.add_argument_group("executor model (docs/executor.md)")
    model.add_argument("--compute-efficiency", type=float, default=ExecOptions.compute_efficiency,
                       help="fraction of peak FLOP/s reached by non-GEMM compute (default 1.0)")
    model.add_argument("--gemm-sram-bound", action="store_true",
                       help="time GEMMs by max(array cycles, tile SRAM traffic / SRAM bandwidth)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``mozartc run``."""
    baseline = load_baseline(args)
    options = ExecOptions(compute_efficiency=args.compute_efficiency, gemm_sram_bound=args.gemm_sram_bound)
    result = run_stream_file(args.stream, args.target, options)
    report_text = report_json(result.report)
    trace_text = perfetto_json(result.timeline) if args.perfetto else None
    html_text = None
    if args.html:
        from mozartc.reports.html import build_page, render_html  # matplotlib is imported only when asked

        html_text = render_html(build_page(result.report, result.timeline, baseline=baseline))
    print_notes(result.notes)
    if args.report:
        atomic_write_text(args.report, report_text)
    if trace_text is not None:
        atomic_write_text(args.perfetto, trace_text)
    if html_text is not None:
        atomic_write_text(args.html, html_text)
    emit_text(report_text if args.json else format_summary(result.report), None)
    return 0
