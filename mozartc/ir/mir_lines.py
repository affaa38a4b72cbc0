"""The line reader of ``.mir`` text: the form :func:`mozartc.ir.printer.print_module` writes, read fast.

:func:`read_lines` reads a module written one op or region header per line, with the printer's
spacing (``%r = name(%a, %b) {k = v, ...} : type``, ``layer 3 attributes {...} {``, ``}``),
blank and ``//`` comment lines between them, 20-30x faster than the grammar reader
(:mod:`mozartc.ir.parser`, lark LALR over ``grammar.lark``). It answers None, and
:func:`mozartc.ir.parser.parse_module` runs the grammar reader (which gives the result or the
located error), for any line it cannot vouch for: other spacing, a comment after an item, an item
over several lines, a token or rule the grammar rejects. Tokens are the grammar's terminals (same
regular expressions, tried in the lexer's order: ``FLOAT`` before ``INT``; ``true``/``false`` are
keywords only as values); a run of integers in a list is split at once, without a call per element.
"""

from __future__ import annotations

import json
import re

from mozartc.ir.attrs import Attr, Ident
from mozartc.ir.core import Item, Loc, Module, Op, Region, Value
from mozartc.ir.types import DTYPE_BYTES, EventType, RoutingType, TensorType, Type
from mozartc.syntax import paused_gc

_IDENT = r"[A-Za-z_][A-Za-z0-9_.\-]*"  # the grammar's IDENT
_VALUE = r"%[A-Za-z0-9_.$]+"  # VALUE
_WORD = re.compile(_IDENT)
_KEY = re.compile(rf"({_IDENT}) = ")
_NUMBER = re.compile(r"-?(?:[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+)|(-?[0-9]+)")  # FLOAT | INT
_STRING = re.compile(r'"[^"\\\x00-\x1f]*(?:\\.[^"\\\x00-\x1f]*)*"')  # STRING that json.loads takes
_INTS = re.compile(r"-?[0-9]+(?:, -?[0-9]+)*\]")  # the rest of a list of integers
_SHAPE = re.compile(r"([0-9]+x)*[A-Za-z][A-Za-z0-9]*|[0-9]+(x[0-9]+)*")  # SHAPE
_OP = re.compile(rf"(?:%(?P<result>[A-Za-z0-9_.$]+) = )?(?P<name>{_IDENT})"
                 rf"\((?P<operands>{_VALUE}(?:, {_VALUE})*)?\)")
_REGION = re.compile(rf"(?P<kind>{_IDENT})(?: (?P<index>-?[0-9]+))?(?P<attrs> attributes (?=\{{))?")
_MODULE = re.compile(r"module @(?P<name>[A-Za-z_][A-Za-z0-9_.$-]*)(?P<attrs> attributes (?=\{))?")
_BLANK = re.compile(r"[ \t\f\r]*(?://[^\n]*)?")  # the grammar ignores WS and // comments
_TRAIL = " \t\f\r"


class _Decline(Exception):
    """The line is not in a form this reader vouches for."""


def read_lines(text: str) -> Module | None:
    """The module in ``text`` when every line is in the printed form (or blank, or a comment), else None."""
    with paused_gc():
        try:
            return _read(text)
        except (_Decline, ValueError, IndexError):  # ValueError: Ident of a keyword, int() of 5000 digits
            return None


def _read(text: str) -> Module | None:
    module: Module | None = None
    stack: list[Module | Region] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        if _BLANK.fullmatch(raw) is not None:
            continue
        line = raw.rstrip(_TRAIL)
        start = len(line) - len(line.lstrip(" \t"))
        if module is None:
            module = _module(line, start, number)
            stack.append(module)
        elif not stack:
            return None  # something after the module's closing brace
        elif line[start:] == "}":
            stack.pop()
        else:
            item = _item(line, start, number)
            stack[-1].body.append(item)
            if isinstance(item, Region):
                stack.append(item)
    return module if module is not None and not stack else None


def _module(line: str, start: int, number: int) -> Module:
    m = _MODULE.match(line, start)
    if m is None:
        raise _Decline
    attrs, end = _dict(line, m.end()) if m["attrs"] else ({}, m.end())
    if line[end:] != " {":
        raise _Decline
    return Module(name=m["name"], attrs=attrs, body=[], loc=(number, start + 1))


def _item(line: str, start: int, number: int) -> Item:
    """The op or the region header (its body still empty) on ``line``."""
    loc: Loc = (number, start + 1)
    m = _OP.match(line, start)
    if m is not None:
        end = m.end()
        attrs: dict[str, Attr] = {}
        if line.startswith(" {", end):
            attrs, end = _dict(line, end + 1)
        result_type: Type | None = None
        if line.startswith(" : ", end):
            result_type, end = _type(line, end + 3)
        if end != len(line) or (m["result"] is None) != (result_type is None):
            raise _Decline  # trailing text, a value without a type or a type without a value
        operands = [name[1:] for name in m["operands"].split(", ")] if m["operands"] else []
        result = Value(m["result"], result_type) if m["result"] is not None and result_type is not None else None
        return Op(name=m["name"], operands=operands, attrs=attrs, result=result, loc=loc)
    m = _REGION.match(line, start)
    if m is None:
        raise _Decline
    attrs, end = _dict(line, m.end()) if m["attrs"] else ({}, m.end())
    if line[end:] != " {":
        raise _Decline
    index = int(m["index"]) if m["index"] is not None else None
    return Region(kind=m["kind"], index=index, attrs=attrs, body=[], loc=loc)


def _type(line: str, at: int) -> tuple[Type, int]:
    if line.startswith("event", at):
        return EventType(), at + 5
    for word, is_tensor in (("tensor<", True), ("routing<", False)):
        if line.startswith(word, at):
            m = _SHAPE.match(line, at + len(word))
            if m is None or not line.startswith(">", m.end()):
                raise _Decline
            *dims, last = m.group().split("x")
            if is_tensor and last in DTYPE_BYTES:
                return TensorType(tuple(map(int, dims)), last), m.end() + 1
            if not is_tensor and len(dims) == 1 and last.isdigit():
                return RoutingType(int(dims[0]), int(last)), m.end() + 1
            raise _Decline  # unknown element type, a routing type that is not tokens x k
    raise _Decline


def _value(line: str, at: int) -> tuple[Attr, int]:
    first = line[at]
    if first == "[":
        return _list(line, at)
    if first == "{":
        return _dict(line, at)
    if first == '"':
        m = _STRING.match(line, at)
        if m is None:
            raise _Decline
        quoted = m.group()
        return (str(json.loads(quoted)) if "\\" in quoted else quoted[1:-1]), m.end()
    m = _NUMBER.match(line, at)
    if m is not None:
        return (int(m.group()) if m[1] is not None else float(m.group())), m.end()
    m = _WORD.match(line, at)
    if m is None:
        raise _Decline
    word = m.group()
    if word in ("true", "false"):  # the lexer's TRUE / FALSE (a longer word stays an IDENT)
        return word == "true", m.end()
    return Ident(word), m.end()


def _list(line: str, at: int) -> tuple[list[Attr], int]:
    ints = _INTS.match(line, at + 1)
    if ints is not None:
        return [int(x) for x in line[at + 1:ints.end() - 1].split(", ")], ints.end()
    out: list[Attr] = []
    at += 1
    if line[at] == "]":
        return out, at + 1
    while True:
        value, at = _value(line, at)
        out.append(value)
        if line.startswith(", ", at):
            at += 2
        elif line[at] == "]":
            return out, at + 1
        else:
            raise _Decline


def _dict(line: str, at: int) -> tuple[dict[str, Attr], int]:
    if line[at] != "{":
        raise _Decline
    out: dict[str, Attr] = {}
    at += 1
    if line[at] == "}":
        return out, at + 1
    while True:
        m = _KEY.match(line, at)
        if m is None or m[1] in out:  # a duplicate key is the grammar reader's error to report
            raise _Decline
        out[m[1]], at = _value(line, m.end())
        if line.startswith(", ", at):
            at += 2
        elif line[at] == "}":
            return out, at + 1
        else:
            raise _Decline
