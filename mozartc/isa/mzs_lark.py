"""The grammar reader of ``.mzs`` text: lark LALR over ``mzs_grammar.lark``, the specification.

It accepts exactly the language of the grammar and reports every syntax error as
``file:line:col: unexpected X; expected Y``. :func:`mozartc.isa.mzs.parse_stream` reads the common
(printed) form with the faster line reader (:mod:`mozartc.isa.mzs_lines`) and comes here for any
text that reader does not vouch for, so errors always come from this module.

The line reader also borrows two pieces: :func:`read_instr_line` (the grammar's ``instr`` rule on
one line, for a line in a form the printer does not write) and :func:`read_quietly` (a whole text,
``None`` instead of an error; used on the stream header).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from mozartc.errors import ParseError
from mozartc.isa.instr import Instr, Stream
from mozartc.isa.mzs_form import SIZE_FIELDS, InstrLoc, Loc, ParsedStream, SourceMap
from mozartc.syntax import caret_line, error_position, expected_text, found_text

_TERMINAL_NAMES: dict[str, str] = {
    "INDEX": "an instruction index (%N)", "IDENT": "an identifier", "INT": "an integer", "FLOAT": "a float",
    "STRING": "a string", "SYMBOL": "a symbol (@name)", "ARROW": "'->'", "LBRACE": "'{'", "RBRACE": "'}'",
    "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "EQUAL": "'='", "STREAM": "'stream'",
    "ATTRIBUTES": "'attributes'", "AFTER": "'after'", "TRUE": "'true'", "FALSE": "'false'", "$END": "end of input",
}


def _token(child: object) -> Token:
    """A parse-tree child the grammar makes a token (anything else is a bug in the grammar)."""
    if not isinstance(child, Token):
        raise TypeError(f"mzs grammar: expected a token, got {child!r}")
    return child


def _tree(child: object) -> Tree[Token]:
    """A parse-tree child the grammar makes a subtree (anything else is a bug in the grammar)."""
    if not isinstance(child, Tree):
        raise TypeError(f"mzs grammar: expected a subtree, got {child!r}")
    return child


@cache
def _lark(start: str = "start") -> Lark:
    """The LALR parser of the grammar from rule ``start`` (``instr``: one instruction alone).

    Positions come from the tokens, so the tree carries none (``propagate_positions`` off).
    """
    grammar = resources.files("mozartc.isa").joinpath("mzs_grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", start=start, maybe_placeholders=True)


class _Semantic(Exception):
    def __init__(self, message: str, loc: Loc) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc


def _tok_loc(tok: Token) -> Loc:
    return int(tok.line or 0), int(tok.column or 0)


def _int(tok: Token, skip: int = 0) -> int:
    """The integer of ``tok`` (after ``skip`` leading characters); too many digits is a located error."""
    try:
        return int(str(tok)[skip:])
    except ValueError:  # longer than sys.get_int_max_str_digits()
        raise _Semantic(f"integer {str(tok)[:24]}... has too many digits", _tok_loc(tok)) from None


def _value(node: Tree[Token]) -> tuple[object, Token]:
    tok = node.children[0]
    kind = node.data
    tok = _token(tok)
    if kind in ("true_value", "false_value"):
        return kind == "true_value", tok
    if kind == "int_value":
        return _int(tok), tok
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
        key, value_node = _tree(entry).children
        key, value_node = _token(key), _tree(value_node)
        if str(key) in seen:
            raise _Semantic(f"duplicate attribute '{key}'", _tok_loc(key))
        seen.add(str(key))
        value, vtok = _value(value_node)
        out.append((key, value, vtok, str(value_node.data)))
    return out


def _stream_attrs(node: Tree[Token] | None) -> dict[str, str | int | float | bool]:
    if node is None:
        return {}
    inner = _tree(node.children[0])
    return {str(k): v for k, v, _, _ in _attr_entries(inner)}  # type: ignore[misc]


_INT_KEYS = {name for name, _ in SIZE_FIELDS}
_ALL_KEYS = ", ".join([*(name for name, _ in SIZE_FIELDS), "kind", "label"])


def _instr(node: Tree[Token], position: int) -> tuple[Instr, InstrLoc]:
    index_tok, op_tok, operands, attrs, after = node.children
    index_tok, op_tok = _token(index_tok), _token(op_tok)
    loc = _tok_loc(index_tok)
    if _int(index_tok, 1) != position:
        raise _Semantic(f"instruction index {index_tok} must equal its position %{position}", loc)
    fields: dict[str, Loc] = {"op": _tok_loc(op_tok)}
    values: dict[str, object] = {}
    if isinstance(operands, Tree):
        first, _arrow, second = operands.children
        first = _token(first)
        if second is None:
            values["unit"] = str(first)
            fields["unit"] = _tok_loc(first)
        else:
            second = _token(second)
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
            dep = _token(tok)
            deps.append(_int(dep, 1))
            dep_locs.append(_tok_loc(dep))
    instr = Instr(op=str(op_tok), kind=str(values.pop("kind")), label=str(values.pop("label", "")),
                  deps=tuple(deps), **values)  # type: ignore[arg-type]
    return instr, InstrLoc(loc, fields, tuple(dep_locs))


def parse_stream_lark(text: str, filename: str = "<input>") -> ParsedStream:
    """Parse ``.mzs`` text by the grammar; :class:`ParseError` names ``filename:line:col``, found and expected."""
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
    stream_node = _tree(tree.children[0])
    symbol, attrs, *body = stream_node.children
    instrs: list[Instr] = []
    locs: list[InstrLoc] = []
    for node in body:
        instr, loc = _instr(_tree(node), len(instrs))
        instrs.append(instr)
        locs.append(loc)
    stream = Stream(name=str(symbol)[1:], attrs=_stream_attrs(attrs if isinstance(attrs, Tree) else None),
                    instrs=tuple(instrs))
    return ParsedStream(stream, SourceMap(filename, tuple(locs)))


def read_quietly(text: str, filename: str = "<input>") -> ParsedStream | None:
    """:func:`parse_stream_lark` of ``text``, or None where it would raise a :class:`ParseError`."""
    try:
        return _build(_lark().parse(text), filename)
    except (LarkError, _Semantic):
        return None


def read_instr_line(line: str, position: int) -> tuple[Instr, InstrLoc] | None:
    """One line holding exactly one whole instruction (by the grammar's ``instr`` rule) at ``position``.

    Locations are on line 1; None when the line is not such an instruction or breaks a rule.
    """
    try:
        return _instr(_lark("instr").parse(line), position)
    except (LarkError, _Semantic):
        return None
