"""The ``mozart`` backend: every preset's stream verifies on every shipped target, relays are causal, and the
lowering rules give hand-computed instructions on a small scheduled module."""

from __future__ import annotations

from pathlib import Path

import pytest

from mozartc.backends.mozart import STEP_RULES, lower_module
from mozartc.driver import CompileOptions, compile_model
from mozartc.errors import BackendError
from mozartc.hw import load_target
from mozartc.ir import Module, Op, Region, parse_file
from mozartc.ir.ops import SCHEDULE_SPECS
from mozartc.isa.instr import Instr, Stream
from mozartc.isa.verify import verify_stream
from mozartc.passes.presets import PIPELINE_PRESETS

TARGETS = sorted((Path(__file__).resolve().parents[2] / "mozartc" / "hw" / "targets").glob("*.toml"))
PRESETS = [p for p in PIPELINE_PRESETS if p != "capture"]


def _stream(model: str, pipeline: str, target: Path) -> Stream:
    result = compile_model(CompileOptions(model=model, pipeline=pipeline, target=str(target), capacity="warn",
                                          emit="isa", micro_batches=2))
    assert result.output is not None and result.output.stream is not None
    return result.output.stream


@pytest.mark.parametrize("target", TARGETS, ids=[t.stem for t in TARGETS])
@pytest.mark.parametrize("pipeline", PRESETS)
def test_every_preset_verifies_on_every_shipped_target(pipeline: str, target: Path) -> None:
    stream = _stream("tiny-moe", pipeline, target)
    verify_stream(stream, load_target(target))  # raises on the first violation
    assert stream.attrs["target"] == load_target(target).name


@pytest.mark.slow
@pytest.mark.parametrize("model", ["olmoe-1b-7b-0924", "deepseek-moe-16b-base", "qwen3-30b-a3b"])
@pytest.mark.parametrize("pipeline", PRESETS)
def test_every_preset_verifies_for_every_paper_model(pipeline: str, model: str) -> None:
    target = next(t for t in TARGETS if t.stem == model)
    verify_stream(_stream(model, pipeline, target), load_target(target))


def test_paper_all_to_all_sends_one_copy_per_destination_chiplet() -> None:
    # mozart-c (the paper's): every dispatch copy goes attention0 -> expertE routed through its switch;
    # nothing is relayed, so no instruction starts or ends at a switch
    stream = _stream("tiny-moe", "mozart-c", TARGETS[0])
    a2a = [i for i in stream.instrs if i.kind == "all_to_all"]
    assert a2a and all(i.op == "send" for i in a2a)
    assert all("switch" not in (i.src or "") and "switch" not in (i.dst or "") for i in a2a)
    assert {i.src for i in a2a if ".dispatch." in i.label} == {"attention0"}


# ---- lowering rules, checked by hand on the golden scheduled tiny module ---------------------------
# tiny.scheduled.mir: tiny-moe at seq_len 16 x micro-batch 2 (T = 32 tokens), D = 64, f16 (2 bytes),
# 16 expert chiplets in 4 groups of 4, one HBM2 stack per group switch, two on the attention chiplet.

GOLDEN_IR = Path(__file__).resolve().parents[1] / "passes" / "golden"


@pytest.fixture(scope="module")
def scheduled() -> tuple[Module, Stream]:
    module = parse_file(GOLDEN_IR / "tiny.scheduled.mir")
    return module, lower_module(module, load_target(TARGETS[-1].with_name("wafer.toml")))


def _instrs(stream: Stream, label_prefix: str) -> list[Instr]:
    return [i for i in stream.instrs if i.label.startswith(label_prefix + ".")]


def test_every_schedule_op_has_a_rule() -> None:
    assert {spec.name for spec in SCHEDULE_SPECS} == set(STEP_RULES)


def test_dispatch_sends_each_chiplet_its_deduplicated_copies(scheduled: tuple[Module, Stream]) -> None:
    module, stream = scheduled
    op = next(module.ops_named("experts"))  # layer 1's experts
    clusters, chiplets = op.attrs["clusters"], op.attrs["chiplets"]
    tokens, trace = op.attrs["cluster_tokens"], op.attrs["trace_tokens"]
    assert isinstance(clusters, list) and isinstance(chiplets, list) and isinstance(tokens, list)
    # copies of cluster c = round(cluster_tokens[c] x 32 / trace_tokens); bytes = copies x 64 x 2
    expected = {f"expert{chiplets[c]}": round(int(tokens[c]) * 32 / int(trace)) * 64 * 2
                for c in range(len(clusters))}
    sends = _instrs(stream, "fwd.m0.l1.dispatch")
    assert {i.dst: i.bytes for i in sends} == {k: v for k, v in expected.items() if v}
    assert all(i.src == "attention0" and i.op == "send" and i.kind == "all_to_all" for i in sends)


def test_attention_weights_split_over_the_attention_chiplets_stacks(scheduled: tuple[Module, Stream]) -> None:
    _, stream = scheduled
    loads = _instrs(stream, "fwd.m0.l0.load_attention")
    # 24832 bytes over the attention chiplet's 2 stacks: 12416 each, both into attention0
    assert sorted((i.src, i.dst, i.bytes) for i in loads) == [("dram4", "attention0", 12416),
                                                             ("dram5", "attention0", 12416)]


def test_dense_weights_are_sliced_evenly_over_the_expert_chiplets(scheduled: tuple[Module, Stream]) -> None:
    _, stream = scheduled
    loads = _instrs(stream, "fwd.m0.l0.load_dense")
    # 49152 bytes / 16 chiplets = 3072 each, from each chiplet's group stack
    assert len(loads) == 16 and {i.bytes for i in loads} == {3072}
    assert {i.dst for i in loads} == {f"expert{c}" for c in range(16)}


def test_compute_waits_for_its_own_chiplets_load_not_the_group(scheduled: tuple[Module, Stream]) -> None:
    _, stream = scheduled
    index = {id(i): n for n, i in enumerate(stream.instrs)}
    loads = {i.dst: index[id(i)] for i in _instrs(stream, "fwd.m0.l0.load_dense")}
    for gemm in _instrs(stream, "fwd.m0.l0.dense"):
        own = loads[gemm.unit or ""]
        assert own in gemm.deps and not (set(loads.values()) - {own}) & set(gemm.deps)


def test_an_unknown_schedule_op_is_named() -> None:
    module = parse_file(GOLDEN_IR / "tiny.scheduled.mir")
    schedule = next(r for r in module.body if isinstance(r, Region) and r.kind == "schedule")
    first = schedule.body[0]
    assert isinstance(first, Op)
    first.name = "teleport"
    with pytest.raises(BackendError, match="cannot lower schedule op 'teleport'"):
        lower_module(module, load_target(TARGETS[-1].with_name("wafer.toml")))
