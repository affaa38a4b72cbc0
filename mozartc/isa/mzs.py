"""The ``.mzs`` text form of an instruction stream: printer and reader.

One instruction per line; ``%N`` is the instruction's position in the stream (the parser checks it)::

    stream @olmoe_1b_7b_0924 attributes {model = "olmoe-1b-7b-0924", target = "mozart-wafer"} {
      %0 = load dram0 -> expert0 {bytes = 50331648, kind = dram_load, label = "m0.l3.fwd.w.expert0"}
      %1 = gemm expert0 {m = 256, k = 2048, n = 1024, count = 3, kind = compute, label = "m0.l3.fwd.ffn"} after(%0)
      %2 = barrier {kind = sync, label = "m0.l3.fwd.end"} after(%1)
    }

Operands: ``src -> dst`` for load/store/send, one ``unit`` for gemm/compute/reduce, none for a
barrier. Attributes print in a fixed order (``bytes, inputs, m, k, n, count, flops, kind, label``),
each size field only when the op needs it or it is not its default; stream attributes print sorted
by key. ``print_stream(parse_stream(t)) == t`` for every text the printer emits, and
``parse_stream(print_stream(s)).stream == s`` for every stream.

Parsing returns the stream with a :class:`SourceMap` (line, column of every instruction and of each
operand, dependency and attribute) so the verifier can point at the offending token. Two readers give
the same result: the line reader (:mod:`~mozartc.isa.mzs_lines`) for text in the printed form, the
grammar reader (:mod:`~mozartc.isa.mzs_lark`, lark LALR over ``mzs_grammar.lark``, the specification
and the error reporter) for anything else.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from mozartc.errors import BackendError, ParseError
from mozartc.ir.attrs import format_attr
from mozartc.isa.instr import Instr, Stream
from mozartc.isa.mzs_form import (
    INDENT,
    OP_FIELDS,
    SIZE_FIELDS,
    TRANSFER_OPS,
    InstrLoc,
    Loc,
    ParsedStream,
    SourceMap,
)
from mozartc.isa.mzs_lark import parse_stream_lark
from mozartc.isa.mzs_lines import read_lines

__all__ = [
    "INDENT", "OP_FIELDS", "SIZE_FIELDS", "TRANSFER_OPS", "InstrLoc", "Loc", "ParsedStream", "SourceMap",
    "format_instr", "parse_stream", "parse_stream_file", "parse_stream_lark", "print_stream", "stream_header",
]

# ----------------------------------------------------------------------------------------- printer


def format_instr(index: int, instr: Instr) -> str:
    """One instruction without indentation: ``%N = op operands {attrs} after(%a, %b)``."""
    text = f"%{index} = {instr.op}"
    if instr.unit is not None:
        if instr.src is not None or instr.dst is not None:
            raise BackendError(f"instruction %{index} ({instr.op}) has both a unit and src/dst; cannot print it")
        text += f" {instr.unit}"
    elif instr.src is not None or instr.dst is not None:
        if instr.src is None or instr.dst is None:
            raise BackendError(f"instruction %{index} ({instr.op}) needs both src and dst to print")
        text += f" {instr.src} -> {instr.dst}"
    needed = OP_FIELDS.get(instr.op, ())
    parts = []
    for name, default in SIZE_FIELDS:
        value = getattr(instr, name)
        if value != default or name in needed:
            parts.append(f"{name} = {value}")
    parts.append(f"kind = {instr.kind}")
    parts.append(f"label = {quote_label(instr.label)}")
    text += " {" + ", ".join(parts) + "}"
    if instr.deps:
        text += " after(" + ", ".join(f"%{d}" for d in instr.deps) + ")"
    return text


def quote_label(label: str) -> str:
    """``label`` as a JSON string (non-ASCII kept); labels of printable ASCII without quotes or
    backslashes, which are all the backend writes, need no escapes and skip the encoder."""
    if label.isascii() and label.isprintable() and '"' not in label and "\\" not in label:
        return f'"{label}"'
    return json.dumps(label, ensure_ascii=False)


def stream_header(stream: Stream) -> str:
    """``stream @name attributes {k = v, ...} {`` (attributes sorted by key, omitted when empty)."""
    text = f"stream @{stream.name}"
    if stream.attrs:
        for key, value in stream.attrs.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise BackendError(f"stream attribute '{key}' must be finite, got {value!r}")
        text += " attributes {" + ", ".join(f"{k} = {format_attr(stream.attrs[k])}" for k in sorted(stream.attrs))
        text += "}"
    return text + " {"


def print_stream(stream: Stream) -> str:
    """The canonical ``.mzs`` text of ``stream`` (trailing newline included)."""
    lines = [stream_header(stream)]
    lines.extend(INDENT + format_instr(i, instr) for i, instr in enumerate(stream.instrs))
    lines.append("}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ reader


def parse_stream(text: str, filename: str = "<input>") -> ParsedStream:
    """Parse ``.mzs`` text; :class:`ParseError` names ``filename:line:col``, what was found and expected.

    The line reader (:func:`~mozartc.isa.mzs_lines.read_lines`) takes the printed form; any text it
    does not vouch for goes to the grammar reader (:func:`~mozartc.isa.mzs_lark.parse_stream_lark`),
    which gives the same result or the located error.
    """
    parsed = read_lines(text, filename)
    return parsed if parsed is not None else parse_stream_lark(text, filename)


def parse_stream_file(path: str | Path) -> ParsedStream:
    """Read and parse a ``.mzs`` file; an unreadable file is a :class:`ParseError` too."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else str(err)
        raise ParseError(f"cannot read instruction stream: {reason}", where=str(p)) from None
    return parse_stream(text, filename=str(p))
