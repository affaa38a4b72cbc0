"""Parse errors name file:line:col, what was found and what was expected, and show a caret."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mozartc.errors import ParseError
from mozartc.ir import Module, parse_module
from mozartc.ir.parser import parse_module_lark

CASES = [
    ("module @x {", "f.mir:1:11", "unexpected end of input; expected"),
    ("module @x {\n  %a = foo( : event\n}", "f.mir:2:13", "unexpected ':'"),
    ("module x {}", "f.mir:1:8", "expected a symbol (@name)"),
    ("module @x {\n  %a = foo() {k = 1, k = 2} : event\n}", "f.mir:2:22", "duplicate attribute 'k'"),
    ("module @x {\n  %a = foo() : tensor<8xq7>\n}", "f.mir:2:23", "unknown element type 'q7'"),
    ("module @x {\n  %a = foo()\n}", "f.mir:2:3", "defines %a but has no ': type'"),
    ("module @x {\n}\njunk", "f.mir:3:1", "unexpected 'junk'"),
    ("module @x {\n  %a = foo() {k = $} : event\n}", "f.mir:2:19", "unexpected '$'"),
    ("", "f.mir:1:1", "unexpected end of input; expected 'module'"),
    ("module @x {\n  foo() : event\n}", "f.mir:2:3", "has a type but defines no value"),
    ("module @x {\n  %a = foo() : routing<8xf16>\n}", "f.mir:2:24", "routing type takes tokens x k"),
    ("module @x {\n  %a = foo() {k = event} : event\n}", "f.mir:2:19", "not a bare identifier: 'event'"),
]


@pytest.mark.parametrize("read", [parse_module, parse_module_lark], ids=["parse_module", "lark"])
@pytest.mark.parametrize(("text", "where", "message"), CASES, ids=[c[2][:30] for c in CASES])
def test_parse_error_location_and_message(read: Callable[[str, str], Module], text: str, where: str,
                                          message: str) -> None:
    with pytest.raises(ParseError) as info:
        read(text, "f.mir")
    err = info.value
    assert str(err).startswith(where + ": "), str(err)
    assert message in str(err)
    assert "\n" not in str(err)


def test_caret_points_at_the_column() -> None:
    with pytest.raises(ParseError) as info:
        parse_module("module @x {\n  %a = foo( : event\n}", "f.mir")
    line, caret = (info.value.detail or "").splitlines()
    assert line == "  %a = foo( : event"
    assert caret.index("^") == 12
