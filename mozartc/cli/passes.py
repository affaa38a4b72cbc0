"""``mozartc passes``: list every pass (built-in and plug-in) with its options, and the presets."""

from __future__ import annotations

import argparse
import json

from mozartc.fileio import emit_text
from mozartc.options import format_option_value
from mozartc.passes.presets import PIPELINE_PRESETS
from mozartc.passes.registry import available_passes, get_pass_class


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``passes`` command."""
    p = sub.add_parser("passes", help="list passes, their options and the pipeline presets",
                       description="List every registered pass with its options, then the pipeline presets.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def describe_passes() -> dict[str, object]:
    """Every pass's summary and options, and every preset's pipeline, as plain data."""
    passes: dict[str, object] = {}
    for name in sorted(available_passes()):
        cls = get_pass_class(name)
        passes[name] = {
            "summary": cls.summary,
            "requires": sorted(cls.requires),
            "provides": sorted(cls.provides),
            "options": [{"key": s.key, "kind": s.kind, "choices": list(s.choices),
                         "default": s.default, "help": s.help} for s in cls.option_specs()],
        }
    return {"passes": passes, "presets": dict(PIPELINE_PRESETS)}


def run(args: argparse.Namespace) -> int:
    """Run ``mozartc passes``."""
    info = describe_passes()
    if args.json:
        emit_text(json.dumps(info, indent=2, sort_keys=True) + "\n", None)
        return 0
    lines: list[str] = []
    for name in sorted(available_passes()):
        cls = get_pass_class(name)
        lines.append(f"{name}: {cls.summary}")
        needs = [f"{what} {', '.join(sorted(facts))}" for what, facts in (("requires", cls.requires),
                                                                          ("provides", cls.provides)) if facts]
        if needs:
            lines.append(f"    ({'; '.join(needs)})")
        for spec in cls.option_specs():
            kind = "|".join(spec.choices) if spec.choices else spec.kind
            lines.append(f"    {spec.key}=<{kind}>  default {format_option_value(spec.default)}  {spec.help}".rstrip())
    lines.append("")
    lines.append("presets:")
    lines.extend(f"    {name} = {text}" for name, text in PIPELINE_PRESETS.items())
    emit_text("\n".join(lines) + "\n", None)
    return 0
