"""``mozartc inspect FILE.mir``: model facts of an IR file (layers, experts, parameter totals)."""

from __future__ import annotations

import argparse
import json

from mozartc.fileio import emit_text
from mozartc.ir.parser import parse_file
from mozartc.ir.summary import summarize
from mozartc.ir.verifier import verify


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``inspect`` command."""
    p = sub.add_parser("inspect", help="summarise an IR file", description="Print the model facts of FILE.mir.")
    p.add_argument("file", metavar="FILE.mir")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def inspect_file(path: str) -> dict[str, object]:
    """Parse, verify and summarise ``path``; the dict ``inspect --json`` prints."""
    module = parse_file(path)
    verify(module, path)
    return summarize(module).to_json()


def run(args: argparse.Namespace) -> int:
    """Run ``mozartc inspect``."""
    facts = inspect_file(args.file)
    if args.json:
        emit_text(json.dumps(facts, indent=2, sort_keys=True) + "\n", None)
        return 0
    width = max(len(k) for k in facts)
    lines = []
    for key, value in facts.items():
        shown = f"{value:,}" if isinstance(value, int) and value >= 10_000 else str(value)
        lines.append(f"{key.ljust(width)}  {shown}")
    emit_text("\n".join(lines) + "\n", None)
    return 0
