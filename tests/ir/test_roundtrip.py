"""Printer/parser round trip: hand-written text, attribute kinds, and random modules (hypothesis)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.ir import (
    Ident,
    Module,
    Op,
    Region,
    RoutingType,
    TensorType,
    Value,
    parse_module,
    print_module,
    verify,
)
from mozartc.ir.attrs import Attr
from mozartc.ir.mir_lines import read_lines
from mozartc.ir.parser import parse_module_lark
from mozartc.ir.types import DTYPE_BYTES, EventType


def test_small_module_round_trips_exactly(small_mir: Path) -> None:
    text = small_mir.read_text()
    module = parse_module(text, str(small_mir))
    verify(module, str(small_mir))
    assert print_module(module) == text


def test_attribute_kinds_keep_their_python_types() -> None:
    text = (
        'module @m attributes {a = 1, b = -2, c = 0.5, d = 1e-06, e = "s \\"q\\" \\n", f = true, '
        "g = false, h = swiglu, i = [[1, 2], []], j = {k = [1.5, x]}} {\n}\n"
    )
    module = parse_module(text)
    attrs = module.attrs
    assert attrs["a"] == 1 and type(attrs["a"]) is int
    assert attrs["c"] == 0.5 and type(attrs["c"]) is float
    assert attrs["d"] == 1e-06
    assert attrs["e"] == 's "q" \n' and not isinstance(attrs["e"], Ident)
    assert attrs["f"] is True and attrs["g"] is False
    assert isinstance(attrs["h"], Ident) and attrs["h"] == "swiglu"
    assert attrs["i"] == [[1, 2], []]
    assert attrs["j"] == {"k": [1.5, Ident("x")]}
    assert print_module(module) == text


def test_float_that_looks_integral_stays_float() -> None:
    module = Module("m", attrs={"x": 2.0, "y": 1e20})
    again = parse_module(print_module(module))
    assert type(again.attrs["x"]) is float and again.attrs["x"] == 2.0
    assert again.attrs["y"] == 1e20


def test_parsed_ops_remember_line_and_column(small_mir: Path) -> None:
    module = parse_module(small_mir.read_text())
    experts = next(module.ops_named("experts"))
    assert experts.loc == (18, 5)
    assert module.layers()[1].loc == (12, 3)


# ---- random modules -------------------------------------------------------------------------

_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}(\.[a-z0-9_]{1,4})?", fullmatch=True).filter(
    lambda s: s not in {"true", "false", "module", "attributes", "tensor", "routing", "event"}
)
_value_names = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.]{0,8}", fullmatch=True)
_scalars: st.SearchStrategy[Attr] = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
    _names.map(Ident),
)
_attrs_values: st.SearchStrategy[Attr] = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(_names, inner, max_size=3),
    ),
    max_leaves=8,
)
_attr_dicts = st.dictionaries(_names, _attrs_values, max_size=4)
_types = st.one_of(
    st.builds(TensorType, st.lists(st.integers(1, 4096), max_size=4).map(tuple), st.sampled_from(list(DTYPE_BYTES))),
    st.builds(RoutingType, st.integers(1, 10**6), st.integers(1, 16)),
    st.just(EventType()),
)


@st.composite
def _ops(draw: st.DrawFn) -> Op:
    result = draw(st.one_of(st.none(), st.builds(Value, _value_names, _types)))
    return Op(
        name=draw(_names),
        operands=draw(st.lists(_value_names, max_size=3)),
        attrs=draw(_attr_dicts),
        result=result,
    )


_items = st.recursive(
    _ops(),
    lambda inner: st.builds(
        Region, _names, st.one_of(st.none(), st.integers(0, 999)), _attr_dicts, st.lists(inner, max_size=3)
    ),
    max_leaves=10,
)
_modules = st.builds(Module, _names, _attr_dicts, st.lists(_items, max_size=5))


def _shape(module: Module) -> object:
    """A comparable structure of a module (locations left out)."""

    def item(it: Op | Region) -> object:
        if isinstance(it, Op):
            return ("op", it.name, it.operands, it.attrs, it.result)
        return ("region", it.kind, it.index, it.attrs, [item(x) for x in it.body])

    return (module.name, module.attrs, [item(x) for x in module.body])


@settings(max_examples=100, deadline=None)
@given(_modules)
def test_random_modules_round_trip(module: Module) -> None:
    text = print_module(module)
    assert read_lines(text) is not None  # parse_module takes printed text by the line reader
    for read in (parse_module, parse_module_lark):  # and the grammar reader gives the same
        parsed = read(text, "<input>")
        assert print_module(parsed) == text
        assert _shape(parsed) == _shape(module)
