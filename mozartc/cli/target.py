"""``mozartc target list|show|draw``: the shipped targets, and what one target holds."""

from __future__ import annotations

import argparse
import json

from mozartc.fileio import emit_text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``target`` command with its ``show`` and ``draw`` sub-commands."""
    p = sub.add_parser("target", help="list the shipped targets, or inspect one",
                       description="List the shipped hardware targets, or validate, summarise or draw one "
                                   "(a shipped name or a TOML file).")
    tsub = p.add_subparsers(dest="target_command", metavar="SUBCOMMAND", required=True)
    listing = tsub.add_parser("list", help="the shipped targets, one line each")
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    listing.set_defaults(func=run_list)
    show = tsub.add_parser("show", help="print a summary (chiplets, peak FLOP/s, SRAM, DRAM, links)")
    show.add_argument("target", metavar="TARGET", help="a shipped name (target list) or a TOML file")
    show.add_argument("--json", action="store_true", help="print the summary as JSON")
    show.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout)")
    show.set_defaults(func=run_show)
    draw = tsub.add_parser("draw", help="draw the NoP-tree topology to a PNG")
    draw.add_argument("target", metavar="TARGET", help="a shipped name (target list) or a TOML file")
    draw.add_argument("-o", "--output", metavar="wafer.png", required=True)
    draw.set_defaults(func=run_draw)


def run_list(args: argparse.Namespace) -> int:
    """Run ``mozartc target list``."""
    from mozartc.hw.shipped import DEFAULT_TARGET, list_shipped

    shipped = list_shipped()
    if args.json:
        rows = [{"name": t.name, "system": t.system, "description": t.description, "default": t.name == DEFAULT_TARGET,
                 "path": str(t.path)} for t in shipped]
        emit_text(json.dumps(rows, indent=2) + "\n", None)
        return 0
    width = max(len(t.name) for t in shipped) + 2
    lines = [f"{(t.name + ('*' if t.name == DEFAULT_TARGET else '')).ljust(width)}{t.description}" for t in shipped]
    lines.append("(* the default; use a name with --target, or give a path to your own TOML file)")
    emit_text("\n".join(lines) + "\n", None)
    return 0


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
