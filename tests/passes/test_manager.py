"""The pass manager: verification after each pass, printing, dumps, timings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from mozartc.errors import PassError
from mozartc.ir import Module, Op, parse_file, parse_module, print_module
from mozartc.passes import Instrumentation, Pass, PassContext, build_pipeline, format_timings, run_pipeline


@dataclass(frozen=True)
class _Breaker(Pass):
    name: ClassVar[str] = "breaker"

    def run(self, module: Module, ctx: PassContext) -> Module:
        module.body.append(Op("bogus"))
        return module


def test_summarize_records_hand_computed_totals(small_mir: Path) -> None:
    module = run_pipeline(parse_file(small_mir), build_pipeline("summarize"), PassContext())
    # 128 embed + 592 dense layer + 624 MoE layer + 8 final norm + 128 head
    assert module.attrs["params_total"] == 1480
    # all but routed experts (1480 - 384) + top_k 2 x 96 per expert
    assert module.attrs["params_active"] == 1288


def test_verification_after_each_pass_names_the_pass(small_mir: Path) -> None:
    with pytest.raises(PassError, match="IR invalid after pass 'breaker': <printed IR>:24:3: unknown op 'bogus'"):
        run_pipeline(parse_file(small_mir), [_Breaker()], PassContext())


def test_dump_dir_writes_one_numbered_file_per_pass_that_parses_back(small_mir: Path, tmp_path: Path) -> None:
    printed: list[str] = []
    inst = Instrumentation(print_ir=lambda header, text: printed.append(header), dump_dir=tmp_path)
    run_pipeline(parse_file(small_mir), build_pipeline("verify,summarize"), PassContext(), inst)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["00-input.mir", "01-verify.mir", "02-summarize.mir"]
    for path in tmp_path.iterdir():
        text = path.read_text()
        assert print_module(parse_module(text)) == text
    assert printed == [
        "// ----- IR after input -----",
        "// ----- IR after pass 'verify' (1/2) -----",
        "// ----- IR after pass 'summarize' (2/2) -----",
    ]
    assert [t.name for t in inst.timings] == ["verify", "summarize"]
    report = format_timings(inst.timings)
    assert "summarize" in report and "total" in report
