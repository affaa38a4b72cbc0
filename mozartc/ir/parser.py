"""The IR parser: ``.mir`` text to a :class:`~mozartc.ir.core.Module`.

Two readers give the same module: the line reader (:mod:`mozartc.ir.mir_lines`) for text in the
printed form, and the grammar reader here (lark LALR over ``grammar.lark``, the specification) for
anything else. Syntax errors come from the grammar reader: :class:`~mozartc.errors.ParseError`
naming ``file:line:col``, what was found and what was expected, with the offending line and a caret
in ``detail``. Every op and region keeps its (line, column) in ``loc`` so the verifier can point at it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedInput, VisitError

from mozartc.errors import ParseError
from mozartc.ir.attrs import Attr, Ident
from mozartc.ir.core import Item, Module, Op, Region, Value
from mozartc.ir.mir_lines import read_lines
from mozartc.ir.types import DTYPE_BYTES, EventType, RoutingType, TensorType, Type
from mozartc.syntax import caret_line, error_position, expected_text, found_text

# Human names for the grammar's terminals, used in "expected ..." messages.
_TERMINAL_NAMES: dict[str, str] = {
    "VALUE": "a value (%name)", "IDENT": "an identifier", "INT": "an integer", "FLOAT": "a float",
    "STRING": "a string", "SYMBOL": "a symbol (@name)", "SHAPE": "a shape (e.g. 8x256xf16)",
    "LBRACE": "'{'", "RBRACE": "'}'", "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'",
    "LESSTHAN": "'<'", "MORETHAN": "'>'", "COMMA": "','", "EQUAL": "'='", "COLON": "':'",
    "MODULE": "'module'", "ATTRIBUTES": "'attributes'", "TENSOR": "'tensor'", "ROUTING": "'routing'",
    "EVENT": "'event'", "TRUE": "'true'", "FALSE": "'false'", "$END": "end of input",
}


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("mozartc.ir").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


class _SemanticError(Exception):
    """A well-formed token with a bad meaning (unknown dtype, duplicate key) at (line, col)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _pos(meta_or_token: object) -> tuple[int, int]:
    line = getattr(meta_or_token, "line", 0) or 0
    column = getattr(meta_or_token, "column", 0) or 0
    return int(line), int(column)


def _shape(token: Token, with_dtype: bool) -> tuple[tuple[int, ...], str | None]:
    parts = str(token).split("x")
    dtype: str | None = None
    if with_dtype:
        dtype = parts.pop()
        if dtype not in DTYPE_BYTES:
            raise _SemanticError(
                f"unknown element type '{dtype}'; expected one of: {', '.join(DTYPE_BYTES)}", *_pos(token)
            )
    elif parts and not parts[-1].isdigit():
        raise _SemanticError(f"routing type takes tokens x k, got '{token}'", *_pos(token))
    dims = tuple(int(p) for p in parts)
    return dims, dtype


@v_args(meta=True)
class _ToIR(Transformer[Token, Module]):
    """Builds IR objects bottom-up from the lark tree."""

    def start(self, meta: object, children: list[Module]) -> Module:
        return children[0]

    def module(self, meta: object, children: list[object]) -> Module:
        symbol, attrs, *body = children
        items = [c for c in body if isinstance(c, Op | Region)]
        attrs_dict = attrs if isinstance(attrs, dict) else {}
        return Module(name=str(symbol)[1:], attrs=attrs_dict, body=items, loc=_pos(meta))

    def op(self, meta: object, children: list[object]) -> Op:
        result_tok, name_tok, *rest = children
        operands: list[str] = []
        attrs: dict[str, Attr] = {}
        result_type: Type | None = None
        for child in rest:
            if isinstance(child, Token) and child.type == "VALUE":
                operands.append(str(child)[1:])
            elif isinstance(child, dict):
                attrs = child
            elif isinstance(child, TensorType | RoutingType | EventType):
                result_type = child
        line, column = _pos(meta)
        if result_tok is not None and result_type is None:
            raise _SemanticError(f"op '{name_tok}' defines %{str(result_tok)[1:]} but has no ': type'", line, column)
        if result_tok is None and result_type is not None:
            raise _SemanticError(f"op '{name_tok}' has a type but defines no value", line, column)
        result = Value(str(result_tok)[1:], result_type) if result_tok is not None and result_type else None
        return Op(name=str(name_tok), operands=operands, attrs=attrs, result=result, loc=(line, column))

    def region(self, meta: object, children: list[object]) -> Region:
        kind, index, attrs, *body = children
        items: list[Item] = [c for c in body if isinstance(c, Op | Region)]
        return Region(
            kind=str(kind),
            index=int(str(index)) if index is not None else None,
            attrs=attrs if isinstance(attrs, dict) else {},
            body=items,
            loc=_pos(meta),
        )

    def attributes(self, meta: object, children: list[dict[str, Attr]]) -> dict[str, Attr]:
        return children[0]

    def attr_dict(self, meta: object, children: list[tuple[Token, Attr] | None]) -> dict[str, Attr]:
        out: dict[str, Attr] = {}
        for entry in children:
            if entry is None:
                continue
            key, value = entry
            if str(key) in out:
                raise _SemanticError(f"duplicate attribute '{key}'", *_pos(key))
            out[str(key)] = value
        return out

    def attr_entry(self, meta: object, children: list[object]) -> tuple[object, object]:
        return children[0], children[1]

    def int_value(self, meta: object, children: list[Token]) -> int:
        return int(str(children[0]))

    def float_value(self, meta: object, children: list[Token]) -> float:
        return float(str(children[0]))

    def string_value(self, meta: object, children: list[Token]) -> str:
        text = str(children[0])
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise _SemanticError(f"bad string literal {text}", *_pos(children[0])) from None
        return str(value)

    def true_value(self, meta: object, children: list[Token]) -> bool:
        return True

    def false_value(self, meta: object, children: list[Token]) -> bool:
        return False

    def ident_value(self, meta: object, children: list[Token]) -> Ident:
        try:
            return Ident(str(children[0]))
        except ValueError as err:  # a keyword such as 'tensor' where a value goes
            raise _SemanticError(f"{err}", *_pos(children[0])) from None

    def list_value(self, meta: object, children: list[Attr | None]) -> list[Attr]:
        return [c for c in children if c is not None]

    def tensor_type(self, meta: object, children: list[Token]) -> TensorType:
        dims, dtype = _shape(children[0], with_dtype=True)
        assert dtype is not None
        return TensorType(dims, dtype)

    def routing_type(self, meta: object, children: list[Token]) -> RoutingType:
        dims, _ = _shape(children[0], with_dtype=False)
        if len(dims) != 2:
            raise _SemanticError(f"routing type takes tokens x k, got {len(dims)} dims", *_pos(children[0]))
        return RoutingType(dims[0], dims[1])

    def event_type(self, meta: object, children: list[Token]) -> EventType:
        return EventType()


def parse_module(text: str, filename: str = "<input>") -> Module:
    """Parse ``.mir`` text into a module; :class:`ParseError` names ``filename:line:col`` otherwise.

    The line reader takes the printed form; the grammar reader (:func:`parse_module_lark`) anything else.
    """
    module = read_lines(text)
    return module if module is not None else parse_module_lark(text, filename)


def parse_module_lark(text: str, filename: str = "<input>") -> Module:
    """:func:`parse_module` by the grammar alone (the specification and the error reporter)."""
    try:
        tree: Tree[Token] = _lark().parse(text)
    except UnexpectedInput as err:
        line, column = error_position(err, text)
        raise ParseError(
            f"unexpected {found_text(err, text)}; expected {expected_text(err, _TERMINAL_NAMES)}",
            where=f"{filename}:{line}:{column}",
            detail=caret_line(text, line, column),
        ) from None
    try:
        return _ToIR().transform(tree)
    except VisitError as err:
        orig = err.orig_exc
        if isinstance(orig, _SemanticError):
            raise ParseError(
                orig.message, where=f"{filename}:{orig.line}:{orig.column}",
                detail=caret_line(text, orig.line, orig.column),
            ) from None
        raise


def parse_file(path: str | Path) -> Module:
    """Read and parse a ``.mir`` file; unreadable files are a :class:`ParseError` too."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ParseError(f"cannot read IR file: {err.strerror if isinstance(err, OSError) else err}",
                         where=str(p)) from None
    return parse_module(text, filename=str(p))
