"""The pass manager: the pipeline's order checked first, verification after each pass, printing, dumps, timings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from mozartc.errors import PassError
from mozartc.ir import Module, Op, parse_file, parse_module, print_module
from mozartc.passes import Instrumentation, Pass, PassContext, build_pipeline, format_timings, run_pipeline
from mozartc.passes.base import CLUSTERS, PLACEMENT, TARGET
from mozartc.passes.manager import check_order, module_facts
from mozartc.passes.presets import PIPELINE_PRESETS
from tests.conftest import CliResult


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


# ---- pipeline order: requirements checked before anything runs ------------------------------------


def test_pass_before_its_requirement_is_rejected_naming_it() -> None:
    passes = build_pipeline("allocate,expert-cluster")
    with pytest.raises(PassError) as err:
        check_order(passes, frozenset({TARGET}))
    message = err.value.message
    assert message.startswith("pass 'allocate' needs")
    assert "('clusters')" in message and "run 'expert-cluster' before 'allocate'" in message


def test_every_preset_is_in_a_possible_order() -> None:
    for preset in PIPELINE_PRESETS:
        check_order(build_pipeline(preset), frozenset({TARGET}))


def test_each_fact_is_named_with_its_provider() -> None:
    with pytest.raises(PassError, match=r"needs every expert cluster placed on a chiplet \('placement'\).*'allocate'"):
        check_order(build_pipeline("expert-cluster,stream-schedule"), frozenset({TARGET}))
    with pytest.raises(PassError, match=r"needs a hardware target \('target'\)"):
        check_order(build_pipeline("expert-cluster"), frozenset())


def test_a_mapped_module_already_has_its_facts(small_mir: Path) -> None:
    module = parse_file(small_mir)
    assert module_facts(module, PassContext()) == frozenset()
    module.attrs["clustering"] = {}
    module.attrs["allocation"] = {}
    assert module_facts(module, PassContext()) == {CLUSTERS, PLACEMENT}


def test_cli_rejects_an_impossible_order_before_capturing(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    # the model does not exist: the order error comes first, so nothing was captured or run
    dump = tmp_path / "d"
    result = cli("compile", tmp_path / "missing.json", "--pipeline", "allocate,expert-cluster", "--dump-dir", dump)
    assert result.code == 2 and "Traceback" not in result.err
    assert "pass 'allocate' needs a clustering" in result.err
    assert not dump.exists()


def test_opt_runs_allocate_on_a_clustered_module(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    golden = Path(__file__).parent / "golden"
    out = tmp_path / "a.mir"
    assert cli("opt", golden / "tiny.clustered.mir", "--passes", "allocate{method=bip}", "-o", out).code == 0
    assert "chiplets = [" in out.read_text()
    result = cli("opt", golden / "tiny.mir", "--passes", "allocate")
    assert result.code == 2 and "run 'expert-cluster' before 'allocate'" in result.err
