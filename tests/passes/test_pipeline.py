"""Pipeline strings, pass options and the registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import pytest

from mozartc.errors import PassError
from mozartc.ir import Module
from mozartc.option_syntax import parse_pipeline
from mozartc.passes import Pass, PassContext, build_pipeline, get_pass_class, pipeline_text
from mozartc.passes.presets import expand_presets


def test_parse_pipeline_elements_and_options() -> None:
    elements = parse_pipeline(" a , b{key=value, k2 = v2},c{} ")
    assert [(e.name, e.options) for e in elements] == [
        ("a", {}), ("b", {"key": "value", "k2": "v2"}), ("c", {})
    ]
    assert [e.column for e in elements] == [2, 6, 28]
    assert parse_pipeline("") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,,b", "column 3: expected a pass name"),
        ("a{k}", "expected '='"),
        ("a{k=}", "expected an option value"),
        ("a{k=1", "expected ',' or '}'"),
        ("a b", "expected ',' or the end of the pipeline"),
        ("a{k=1,k=2}", "option 'k' given twice"),
    ],
)
def test_bad_pipeline_strings(text: str, message: str) -> None:
    with pytest.raises(PassError, match=message):
        parse_pipeline(text)


@dataclass(frozen=True)
class _Demo(Pass):
    name: ClassVar[str] = "demo"
    count: int = field(default=3, metadata={"help": "how many"})
    ratio: float = 0.5
    fast: bool = False
    mode: Literal["x", "y"] = "x"
    label: str = "hi"

    def run(self, module: Module, ctx: PassContext) -> Module:
        return module


def test_options_are_typed_from_dataclass_fields() -> None:
    p = _Demo.from_options({"count": "7", "ratio": "2.5", "fast": "on", "mode": "y", "label": "z"})
    assert p == _Demo(count=7, ratio=2.5, fast=True, mode="y", label="z")
    assert p.options_text() == "demo{count=7,ratio=2.5,fast=true,mode=y,label=z}"
    assert [s.key for s in _Demo.option_specs()] == ["count", "ratio", "fast", "mode", "label"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"count": "x"}, "option 'count' must be an integer, got 'x'"),
        ({"ratio": "fast"}, "option 'ratio' must be a number"),
        ({"fast": "maybe"}, "option 'fast' must be true/false"),
        ({"mode": "z"}, "option 'mode' must be one of x, y, got 'z'"),
        ({"colour": "red"}, "has no option 'colour'; valid options: count=<int> \\(default 3\\)"),
    ],
)
def test_bad_option_values_name_the_option(options: dict[str, str], message: str) -> None:
    with pytest.raises(PassError, match=message):
        _Demo.from_options(options)


def test_registry_lists_valid_names_for_unknown_pass() -> None:
    message = r"unknown pass 'sumarize' \(did you mean 'summarize'\?\); valid passes: .*verify"
    with pytest.raises(PassError, match=message):
        get_pass_class("sumarize")


def test_presets_expand_inside_larger_pipelines() -> None:
    assert expand_presets("capture,summarize") == "verify,summarize"
    assert pipeline_text(build_pipeline("capture")) == "verify"
