"""``mozartc target show|draw T.toml``: inspect a hardware target."""

from __future__ import annotations

import argparse
import json

from mozartc.fileio import emit_text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``target`` command with its ``show`` and ``draw`` sub-commands."""
    p = sub.add_parser("target", help="inspect a hardware target file",
                       description="Validate, summarise or draw a hardware target TOML file.")
    tsub = p.add_subparsers(dest="target_command", metavar="SUBCOMMAND", required=True)
    show = tsub.add_parser("show", help="print a summary (chiplets, peak FLOP/s, SRAM, DRAM, links)")
    show.add_argument("target", metavar="TARGET.toml")
    show.add_argument("--json", action="store_true", help="print the summary as JSON")
    show.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout)")
    show.set_defaults(func=run_show)
    draw = tsub.add_parser("draw", help="draw the NoP-tree topology to a PNG")
    draw.add_argument("target", metavar="TARGET.toml")
    draw.add_argument("-o", "--output", metavar="wafer.png", required=True)
    draw.set_defaults(func=run_draw)


def run_show(args: argparse.Namespace) -> int:
    """Run ``mozartc target show``."""
    from mozartc.hw import load_target
    from mozartc.hw.summary import render_summary, target_summary

    summary = target_summary(load_target(args.target))
    text = json.dumps(summary, indent=2) + "\n" if args.json else render_summary(summary)
    emit_text(text, args.output)
    return 0


def run_draw(args: argparse.Namespace) -> int:
    """Run ``mozartc target draw``."""
    from mozartc.hw import load_target
    from mozartc.hw.draw import draw_topology

    draw_topology(load_target(args.target), args.output)
    return 0
