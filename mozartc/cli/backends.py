"""``mozartc backends``: list every backend (built-in and plug-in) with its summary and options."""

from __future__ import annotations

import argparse
import json

from mozartc.backends.registry import available_backends, get_backend_class
from mozartc.errors import BackendError
from mozartc.fileio import emit_text
from mozartc.options import format_option_value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``backends`` command."""
    p = sub.add_parser("backends", help="list backends and their options",
                       description="List every registered backend (built-in and from the mozartc.backends "
                                   "entry-point group) with its summary and options.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def describe_backends() -> dict[str, dict[str, object]]:
    """Every backend's source, summary, suffix and options; a backend that cannot load says why."""
    out: dict[str, dict[str, object]] = {}
    for name, path in sorted(available_backends().items()):
        try:
            cls = get_backend_class(name)
        except BackendError as err:
            out[name] = {"path": path, "error": err.message}
            continue
        out[name] = {
            "path": path, "summary": cls.summary, "suffix": cls.suffix, "produces_stream": cls.produces_stream,
            "options": [{"key": s.key, "kind": s.kind, "choices": list(s.choices), "default": s.default,
                         "help": s.help} for s in cls.option_specs()],
        }
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``mozartc backends``."""
    info = describe_backends()
    if args.json:
        emit_text(json.dumps(info, indent=2, sort_keys=True) + "\n", None)
        return 0
    lines: list[str] = []
    for name, entry in info.items():
        if "error" in entry:
            lines.append(f"{name}: unavailable ({entry['error']})")
            continue
        lines.append(f"{name}: {entry['summary']} [{entry['suffix']}]")
        for opt in entry["options"]:  # type: ignore[attr-defined]
            kind = "|".join(opt["choices"]) if opt["choices"] else opt["kind"]
            lines.append(f"    {opt['key']}=<{kind}>  default {format_option_value(opt['default'])}  "
                         f"{opt['help']}".rstrip())
    emit_text("\n".join(lines) + "\n", None)
    return 0
