"""``mozartc diff A.json B.json``: compare two step reports side by side (text or ``--json``)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys

from mozartc.errors import MozartError
from mozartc.fileio import emit_text
from mozartc.reports.compare import TOP_RESOURCES, compare_reports
from mozartc.reports.report_file import load_report


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``diff`` command."""
    p = sub.add_parser("diff", help="compare two step reports (--report JSON files) side by side",
                       description="Compare run B against run A: step time with B/A and the speed-up A/B, the "
                                   "breakdown, every lower bound, the critical path, energy, SRAM/DRAM peak and "
                                   "the resources whose utilisation changed most.")
    p.add_argument("a", metavar="A.json", help="report of run a (mozartc compile --run --report, mozartc run --report)")
    p.add_argument("b", metavar="B.json", help="report of run b")
    p.add_argument("--top", type=int, default=TOP_RESOURCES, metavar="N",
                   help=f"list the N resources whose utilisation changed most (default {TOP_RESOURCES})")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``mozartc diff``."""
    if args.top < 0:
        raise MozartError(f"expected a count >= 0, got {args.top}", where="--top")
    comparison = compare_reports(load_report(args.a), load_report(args.b), top=args.top)
    if args.json:
        emit_text(json.dumps(comparison.to_dict(), indent=2, sort_keys=True) + "\n", None)
        return 0
    from mozartc.reports.compare_text import PLAIN_WIDTH, render_text

    terminal = sys.stdout.isatty()
    width = shutil.get_terminal_size().columns if terminal else PLAIN_WIDTH
    emit_text(render_text(comparison, plain=not terminal, width=width), None)
    return 0
