"""``mozartc inspect FILE.mir``: model facts of an IR file (layers, experts, parameter totals), and for
a scheduled module its memory footprint (SRAM per chiplet, DRAM per stack) on its target."""

from __future__ import annotations

import argparse
import json
from typing import Any

from mozartc.errors import MozartError
from mozartc.fileio import emit_text
from mozartc.ir.core import Module, Region
from mozartc.ir.parser import parse_file
from mozartc.ir.summary import summarize
from mozartc.ir.verifier import verify


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``inspect`` command."""
    p = sub.add_parser("inspect", help="summarise an IR file", description="Print the model facts of FILE.mir.")
    p.add_argument("file", metavar="FILE.mir")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--target", metavar="TARGET",
                   help="target of a scheduled module's memory footprint (default: the shipped target the "
                        "module names)")
    p.set_defaults(func=run)


def inspect_file(path: str, target: str | None = None) -> dict[str, object]:
    """Parse, verify and summarise ``path``; the dict ``inspect --json`` prints. A scheduled module also
    gets ``memory``: ``sram_bytes`` per chiplet and ``dram_bytes`` per stack (docs/executor.md)."""
    module = parse_file(path)
    verify(module, path)
    facts = summarize(module).to_json()
    if any(isinstance(r, Region) and r.kind == "schedule" for r in module.body):
        facts["memory"] = _memory(module, target)
    return facts


def _memory(module: Module, target: str | None) -> dict[str, object]:
    """The scheduled module's footprint, from the stream the ``mozart`` backend lowers it to."""
    from mozartc.backends.mozart import lower_module
    from mozartc.executor.memory import dram_bytes, sram_bytes
    from mozartc.hw import load_target
    from mozartc.hw.shipped import list_shipped

    if target is None:
        named = str(module.attrs.get("target", ""))
        match = [t.name for t in list_shipped() if t.system == named]
        if not match:
            raise MozartError(f"the module was mapped for target '{named}', which is not a shipped one: "
                              "give its file", where="--target")
        target = match[0]
    attrs = lower_module(module, load_target(target)).attrs
    return {"sram_bytes": sram_bytes(attrs), "dram_bytes": dram_bytes(attrs)}


def run(args: argparse.Namespace) -> int:
    """Run ``mozartc inspect``."""
    facts = inspect_file(args.file, args.target)
    if args.json:
        emit_text(json.dumps(facts, indent=2, sort_keys=True) + "\n", None)
        return 0
    memory = facts.pop("memory", None)
    if memory is not None:
        facts.pop("sram", None)  # the memory section below has it per part
    # facts a module does not have (no mapping yet: no C_T, no groups; no multi-token-prediction
    # modules) are left out of the table
    facts = {k: v for k, v in facts.items() if v is not None and v != [] and v != {}
             and not (k == "mtp_layers" and v == 0)}
    width = max(len(k) for k in facts)
    lines = []
    for key, value in facts.items():
        shown = f"{value:,}" if isinstance(value, int) and value >= 10_000 else str(value)
        lines.append(f"{key.ljust(width)}  {shown}")
    if isinstance(memory, dict):
        lines += _memory_lines(memory)
    emit_text("\n".join(lines) + "\n", None)
    return 0


def _memory_lines(memory: dict[str, Any]) -> list[str]:
    """One line per chiplet (SRAM peak of capacity) and per stack (DRAM in use of capacity)."""
    lines = ["", "SRAM per chiplet (peak of capacity):"]
    lines += [f"  {chip}: {e['peak'] / 1e6:.1f} of {e['capacity'] / 1e6:.1f} MB ({e['share']:.1%}; weights "
              f"{e['weights'] / 1e6:.1f}, buffers {e['buffers'] / 1e6:.1f}, gradients {e['gradients'] / 1e6:.1f}, "
              f"activations {e['activations'] / 1e6:.1f} MB)" for chip, e in memory["sram_bytes"].items()]
    lines += ["DRAM per stack (in use of capacity):"]
    lines += [f"  {stack}: {e['in_use'] / 1e9:.2f} of {e['capacity'] / 1e9:.2f} GB ({e['share']:.1%}; weights "
              f"{e['weights'] / 1e9:.2f}, state {e['state'] / 1e9:.2f}, gradients {e['gradients'] / 1e9:.2f}, "
              f"activations {e['activations'] / 1e9:.2f} GB)" + (f"; {e['spill'] / 1e9:.2f} GB do not fit"
                                                                  if e["spill"] else "")
              for stack, e in memory["dram_bytes"].items()]
    return lines
