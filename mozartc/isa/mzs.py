"""The ``.mzs`` text form of an instruction stream: printer and parser (lark, LALR).

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
operand, dependency and attribute) so the verifier can point at the offending token.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from mozartc.errors import BackendError, ParseError
from mozartc.ir.attrs import format_attr
from mozartc.isa.instr import Instr, Stream
from mozartc.syntax import caret_line, error_position, expected_text, found_text

INDENT = "  "
#: integer fields in print order, with their defaults
SIZE_FIELDS: tuple[tuple[str, int], ...] = (
    ("bytes", 0), ("inputs", 0), ("m", 0), ("k", 0), ("n", 0), ("count", 1), ("flops", 0),
)
#: size fields each op needs (always printed for that op)
OP_FIELDS: dict[str, tuple[str, ...]] = {
    "load": ("bytes",), "store": ("bytes",), "send": ("bytes",),
    "gemm": ("m", "k", "n", "count"), "compute": ("flops",), "reduce": ("bytes", "inputs"), "barrier": (),
}
#: ops whose operands are ``src -> dst`` (the others take one ``unit``, barrier none)
TRANSFER_OPS: frozenset[str] = frozenset({"load", "store", "send"})

_TERMINAL_NAMES: dict[str, str] = {
    "INDEX": "an instruction index (%N)", "IDENT": "an identifier", "INT": "an integer", "FLOAT": "a float",
    "STRING": "a string", "SYMBOL": "a symbol (@name)", "ARROW": "'->'", "LBRACE": "'{'", "RBRACE": "'}'",
    "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "EQUAL": "'='", "STREAM": "'stream'",
    "ATTRIBUTES": "'attributes'", "AFTER": "'after'", "TRUE": "'true'", "FALSE": "'false'", "$END": "end of input",
}

Loc = tuple[int, int]


@dataclass(frozen=True)
class InstrLoc:
    """Where one parsed instruction came from: its line/column and those of its parts.

    ``fields`` maps ``src``/``dst``/``unit``/``op`` and attribute keys to their position; ``deps``
    holds one position per dependency, in order.
    """

    loc: Loc
    fields: dict[str, Loc] = field(default_factory=dict)
    deps: tuple[Loc, ...] = ()


@dataclass(frozen=True)
class SourceMap:
    """Positions of a parsed stream's instructions, for error messages (``file:line:col``)."""

    filename: str
    instrs: tuple[InstrLoc, ...]

    def where(self, index: int, part: str | None = None, dep: int | None = None) -> str:
        """``file:line:col`` of instruction ``index`` (or of its field ``part`` / dependency ``dep``)."""
        entry = self.instrs[index]
        line, col = entry.loc
        if dep is not None and dep < len(entry.deps):
            line, col = entry.deps[dep]
        elif part is not None and part in entry.fields:
            line, col = entry.fields[part]
        return f"{self.filename}:{line}:{col}"


@dataclass(frozen=True)
class ParsedStream:
    """A parsed ``.mzs`` text: the stream and where each instruction came from."""

    stream: Stream
    source: SourceMap


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
    parts = [f"{name} = {getattr(instr, name)}" for name, default in SIZE_FIELDS
             if name in needed or getattr(instr, name) != default]
    parts.append(f"kind = {instr.kind}")
    parts.append(f"label = {json.dumps(instr.label, ensure_ascii=False)}")
    text += " {" + ", ".join(parts) + "}"
    if instr.deps:
        text += " after(" + ", ".join(f"%{d}" for d in instr.deps) + ")"
    return text


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


# ------------------------------------------------------------------------------------------ parser


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("mozartc.isa").joinpath("mzs_grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


class _Semantic(Exception):
    def __init__(self, message: str, loc: Loc) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc


def _tok_loc(tok: Token) -> Loc:
    return int(tok.line or 0), int(tok.column or 0)


def _value(node: Tree[Token]) -> tuple[object, Token]:
    tok = node.children[0] if node.children else None
    kind = node.data
    if kind in ("true_value", "false_value"):
        assert isinstance(tok, Token) or tok is None
        return kind == "true_value", tok if tok is not None else Token("TRUE", "true")
    assert isinstance(tok, Token)
    if kind == "int_value":
        return int(str(tok)), tok
    if kind == "float_value":
        return float(str(tok)), tok
    if kind == "string_value":
        try:
            return str(json.loads(str(tok))), tok
        except json.JSONDecodeError:
            raise _Semantic(f"bad string literal {tok}", _tok_loc(tok)) from None
    return str(tok), tok  # ident_value


def _attr_entries(node: Tree[Token] | None) -> list[tuple[Token, object, Token, str]]:
    """(key token, value, value token, value kind) of an attr_dict, duplicates rejected."""
    if node is None:
        return []
    out: list[tuple[Token, object, Token, str]] = []
    seen: set[str] = set()
    for entry in node.children:
        if entry is None:
            continue
        assert isinstance(entry, Tree)
        key, value_node = entry.children
        assert isinstance(key, Token) and isinstance(value_node, Tree)
        if str(key) in seen:
            raise _Semantic(f"duplicate attribute '{key}'", _tok_loc(key))
        seen.add(str(key))
        value, vtok = _value(value_node)
        out.append((key, value, vtok, str(value_node.data)))
    return out


def _stream_attrs(node: Tree[Token] | None) -> dict[str, str | int | float | bool]:
    if node is None:
        return {}
    inner = node.children[0]
    assert isinstance(inner, Tree)
    return {str(k): v for k, v, _, _ in _attr_entries(inner)}  # type: ignore[misc]


_INT_KEYS = {name for name, _ in SIZE_FIELDS}
_ALL_KEYS = ", ".join([*(name for name, _ in SIZE_FIELDS), "kind", "label"])


def _instr(node: Tree[Token], position: int) -> tuple[Instr, InstrLoc]:
    index_tok, op_tok, operands, attrs, after = node.children
    assert isinstance(index_tok, Token) and isinstance(op_tok, Token)
    loc = _tok_loc(index_tok)
    if int(str(index_tok)[1:]) != position:
        raise _Semantic(f"instruction index {index_tok} must equal its position %{position}", loc)
    fields: dict[str, Loc] = {"op": _tok_loc(op_tok)}
    values: dict[str, object] = {}
    if isinstance(operands, Tree):
        first, _arrow, second = operands.children
        assert isinstance(first, Token)
        if second is None:
            values["unit"] = str(first)
            fields["unit"] = _tok_loc(first)
        else:
            assert isinstance(second, Token)
            values["src"], values["dst"] = str(first), str(second)
            fields["src"], fields["dst"] = _tok_loc(first), _tok_loc(second)
    for key_tok, value, vtok, vkind in _attr_entries(attrs if isinstance(attrs, Tree) else None):
        key = str(key_tok)
        fields[key] = _tok_loc(key_tok)
        if key in _INT_KEYS:
            if vkind != "int_value":
                raise _Semantic(f"attribute '{key}' must be an integer, got {vtok}", _tok_loc(vtok))
        elif key == "kind":
            if vkind != "ident_value":
                raise _Semantic(f"attribute 'kind' must be an identifier (e.g. compute), got {vtok}", _tok_loc(vtok))
        elif key == "label":
            if vkind != "string_value":
                raise _Semantic(f"attribute 'label' must be a string, got {vtok}", _tok_loc(vtok))
        else:
            raise _Semantic(f"unknown instruction attribute '{key}'; expected one of: {_ALL_KEYS}", _tok_loc(key_tok))
        values[key] = value
    if "kind" not in values:
        raise _Semantic(f"instruction %{position} has no 'kind' attribute", loc)
    deps: list[int] = []
    dep_locs: list[Loc] = []
    if isinstance(after, Tree):
        for tok in after.children:
            if tok is None:
                continue
            assert isinstance(tok, Token)
            deps.append(int(str(tok)[1:]))
            dep_locs.append(_tok_loc(tok))
    instr = Instr(op=str(op_tok), kind=str(values.pop("kind")), label=str(values.pop("label", "")),
                  deps=tuple(deps), **values)  # type: ignore[arg-type]
    return instr, InstrLoc(loc, fields, tuple(dep_locs))


def parse_stream(text: str, filename: str = "<input>") -> ParsedStream:
    """Parse ``.mzs`` text; :class:`ParseError` names ``filename:line:col``, what was found and expected."""
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        line, column = error_position(err, text)
        raise ParseError(f"unexpected {found_text(err, text)}; expected {expected_text(err, _TERMINAL_NAMES)}",
                         where=f"{filename}:{line}:{column}", detail=caret_line(text, line, column)) from None
    try:
        return _build(tree, filename)
    except _Semantic as err:
        line, column = err.loc
        raise ParseError(err.message, where=f"{filename}:{line}:{column}",
                         detail=caret_line(text, line, column)) from None


def _build(tree: Tree[Token], filename: str) -> ParsedStream:
    stream_node = tree.children[0]
    assert isinstance(stream_node, Tree)
    symbol, attrs, *body = stream_node.children
    instrs: list[Instr] = []
    locs: list[InstrLoc] = []
    for node in body:
        assert isinstance(node, Tree)
        instr, loc = _instr(node, len(instrs))
        instrs.append(instr)
        locs.append(loc)
    stream = Stream(name=str(symbol)[1:], attrs=_stream_attrs(attrs if isinstance(attrs, Tree) else None),
                    instrs=tuple(instrs))
    return ParsedStream(stream, SourceMap(filename, tuple(locs)))


def parse_stream_file(path: str | Path) -> ParsedStream:
    """Read and parse a ``.mzs`` file; an unreadable file is a :class:`ParseError` too."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else str(err)
        raise ParseError(f"cannot read instruction stream: {reason}", where=str(p)) from None
    return parse_stream(text, filename=str(p))
