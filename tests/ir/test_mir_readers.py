"""The two .mir readers agree: the line reader (mir_lines) gives what the grammar reader gives.

``parse_module`` answers with the line reader when it vouches for the text, else with the grammar
reader; for every text both must give the same module (names, attribute values *and their Python
types*, types, every op's and region's line:column) or the same located error. Checked on the
shipped and golden files, every pipeline preset's output on tiny-moe, random modules printed then
written loosely (comments, blank lines, other spacing), and random edits of printed text; the random
round trip of ``test_roundtrip.py`` runs through both readers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.driver import CompileOptions, compile_model
from mozartc.errors import ParseError
from mozartc.ir import Module, Op, Region, print_module
from mozartc.ir.attrs import Attr
from mozartc.ir.mir_lines import read_lines
from mozartc.ir.parser import parse_module, parse_module_lark
from mozartc.passes.presets import PIPELINE_PRESETS
from tests.ir.test_roundtrip import _modules

REPO = Path(__file__).resolve().parents[2]


def typed(value: Attr) -> object:
    """An attribute value with the Python type of every leaf (``Ident("x") == "x"`` otherwise)."""
    if isinstance(value, list):
        return ["list", [typed(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", [(k, typed(v)) for k, v in value.items()]]
    return (type(value).__name__, value)


def structure(module: Module) -> object:
    """Everything a reader decides: names, typed attributes, types, operands, and locations."""

    def item(it: Op | Region) -> object:
        if isinstance(it, Op):
            return ("op", it.name, it.operands, typed(it.attrs), it.result, it.loc)
        return ("region", it.kind, it.index, typed(it.attrs), [item(x) for x in it.body], it.loc)

    return (module.name, typed(module.attrs), [item(x) for x in module.body], module.loc)


def outcome(reader: Callable[[str, str], Module], text: str) -> tuple[object, ...]:
    try:
        return ("ok", structure(reader(text, "f.mir")))
    except ParseError as err:
        return ("error", str(err), err.detail)


def assert_same(text: str, line_reader: bool | None = None) -> tuple[object, ...]:
    """Both readers give the same; ``line_reader`` True/False: the line reader does / does not take ``text``."""
    spec = outcome(parse_module_lark, text)
    assert outcome(parse_module, text) == spec
    if line_reader is not None:
        assert (read_lines(text) is not None) == line_reader
    return spec


def test_shipped_and_golden_files_read_alike() -> None:
    files = sorted(p for d in ("tests", "examples", "docs") for p in (REPO / d).rglob("*.mir"))
    assert files
    for path in files:
        assert_same(path.read_text(encoding="utf-8"), line_reader=True)


@pytest.mark.parametrize("pipeline", sorted(PIPELINE_PRESETS))
def test_compiled_modules_read_alike(pipeline: str) -> None:
    module = compile_model(CompileOptions(model="tiny-moe", pipeline=pipeline, capacity="warn")).module
    kind, parsed = assert_same(print_module(module), line_reader=True)
    assert kind == "ok" and parsed == structure(parse_module_lark(print_module(module)))


@pytest.mark.slow
def test_qwen3_mapped_module_reads_alike() -> None:
    module = compile_model(CompileOptions(model="qwen3-30b-a3b", pipeline="mozart-c", capacity="warn")).module
    assert assert_same(print_module(module), line_reader=True)[0] == "ok"


@st.composite
def loose_texts(draw: st.DrawFn) -> str:
    """A printed module with comment and blank lines, other indentation, CRLF ends, trailing blanks."""
    lines = print_module(draw(_modules)).split("\n")
    out = []
    for line in lines:
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from(["", "  ", "// a comment", "\t// layer 9 {"])))
        if line.strip() and draw(st.booleans()):
            indent, end = draw(st.sampled_from(["", " ", "\t", "      "])), draw(st.sampled_from(["", " ", "\r"]))
            line = indent + line.lstrip(" ") + end
        out.append(line)
    return "\n".join(out)


@settings(max_examples=60, deadline=None)
@given(loose_texts())
def test_loosely_written_modules_read_alike(text: str) -> None:
    assert assert_same(text, line_reader=True)[0] == "ok"


ALPHABET = st.sampled_from([*" %{}()[],=<>:\"\\./\n\t0123456789-abefklnrstux_@",
                            "true", "tensor", "event", "attributes", "//", "e5", "1.5", "x16"])


@st.composite
def edited_texts(draw: st.DrawFn) -> str:
    text = print_module(draw(_modules))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        text = text[:at] + draw(st.one_of(st.just(""), ALPHABET)) + text[at + cut:]
    return text


@settings(max_examples=80, deadline=None)
@given(edited_texts())
def test_edited_texts_read_alike(text: str) -> None:
    assert_same(text)


KEYWORDS = [
    # keywords where the grammar's lexer reads an identifier (op names, region kinds, keys) ...
    ("module @m {\n  %a = tensor() {module = 1, event = true, x = truex} : event\n  attributes 2 {\n"
     "    routing(%a)\n  }\n}\n", True),
    # ... and where it does not: a keyword as a value, an 'attributes' that is not followed by a dict
    ("module @m {\n  %a = f() {x = tensor} : event\n}\n", False),
    ("module @m {\n  layer attributes {\n  }\n}\n", False),
    ("module @m {\n  %a = f() {x = 01, y = -0, z = 1., w = 2e3, v = [01, -0]} : event\n}\n", True),
    ("module @m {\n  %a = f() {x = [1.5, 2]} : tensor<8x16>\n}\n", False),
    ("module @m {\n  %a = f() : routing<8xf16>\n}\n", False),
    ("module @m {\n  %a = f() {k = 1, k = 2} : event\n}\n", False),
    ("module @m {\n  %a = f() // note\n}\n", False),
    ("module @m {\n}\n}\n", False),
]


@pytest.mark.parametrize(("text", "line_reader"), KEYWORDS)
def test_keywords_and_edge_tokens(text: str, line_reader: bool) -> None:
    assert_same(text, line_reader=line_reader)


def test_a_keyword_as_a_value_is_a_located_error() -> None:
    with pytest.raises(ParseError, match=r"^f\.mir:2:17: not a bare identifier: 'tensor'"):
        parse_module("module @m {\n  %a = f() {x = tensor} : event\n}\n", "f.mir")
