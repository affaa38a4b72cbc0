"""a2a-dedup: one copy per destination chiplet, the switch multicast and reduction, their causality."""

from __future__ import annotations

import pytest

from mozartc.analysis.routing import TraceSource, routing_for_layers
from mozartc.driver import CompileOptions, compile_model
from mozartc.ir import Module
from mozartc.ir.types import DTYPE_BYTES
from tests.passes.mapping import compile_with


def test_dedup_dispatch_traffic_is_c_t_times_tokens_times_hidden(tiny_c: Module) -> None:
    tokens = 256 * 8
    element = DTYPE_BYTES["f16"]
    for op in tiny_c.ops_named("experts"):
        dim, trace_tokens = op.attrs["dim"], op.attrs["trace_tokens"]
        assert isinstance(dim, int) and isinstance(trace_tokens, int)
        cluster_tokens = op.attrs["cluster_tokens"]
        assert isinstance(cluster_tokens, list)
        c_t = sum(x for x in cluster_tokens if isinstance(x, int)) / trace_tokens
        assert c_t == pytest.approx(op.attrs["C_T"], abs=1e-5)
        dispatch = op.attrs["dispatch_bytes"]
        assert isinstance(dispatch, list)
        total = sum(x for x in dispatch if isinstance(x, int))
        # each chiplet's copies are rounded to whole tokens: at most half a token per chiplet off
        assert abs(total - c_t * tokens * dim * element) <= len(dispatch) * dim * element / 2



def _tokens_per_group_by_hand(module: Module) -> list[list[int]]:
    """Per MoE layer and group, the micro-batch's tokens that select one of the group's experts, counted
    token by token on the module's routing trace."""
    clustering = module.attrs["clustering"]
    assert isinstance(clustering, dict)
    ids = tuple(r.index for r in module.layers() if r.index is not None and any(o.name == "experts" for o in r.ops()))
    trace = routing_for_layers(TraceSource.from_attr(clustering["trace_source"]), ids, 32, 4)
    out = []
    for position, op in enumerate(module.ops_named("experts")):
        clusters, chiplets = op.attrs["clusters"], op.attrs["chiplets"]
        assert isinstance(clusters, list) and isinstance(chiplets, list)
        group = {e: chiplets[c] // 4 for c, members in enumerate(clusters) if isinstance(members, list)
                 for e in members}  # type: ignore[operator]
        per_group = [0, 0, 0, 0]
        for token in trace.layer(position).tolist():
            for g in {group[e] for e in token}:
                per_group[g] += 1
        scale = 2048 / trace.topk.shape[1]
        out.append([round(n * scale) * 64 * 2 for n in per_group])
    return out


def test_switch_multicast_uplink_carries_one_copy_per_token_and_group(tiny_c: Module) -> None:
    by_hand = _tokens_per_group_by_hand(tiny_c)
    for op, expected in zip(tiny_c.ops_named("experts"), by_hand, strict=True):
        assert op.attrs["uplink_bytes"] == expected
        assert op.attrs["group_bytes"] == expected


def test_switch_reduce_alone_routes_the_dispatch_and_reduces_the_combine() -> None:
    pipeline = ("expert-cluster{method=greedy},allocate,a2a-dedup{switch-multicast=false,switch-reduce=true,"
                "relay-chunks=3},stream-schedule")
    result = compile_model(CompileOptions(model="tiny-moe", pipeline=pipeline, capacity="warn", emit="isa"))
    module = result.module
    by_hand = _tokens_per_group_by_hand(module)
    layers = []
    for op, expected in zip(module.ops_named("experts"), by_hand, strict=True):
        dispatch = op.attrs["dispatch_bytes"]
        assert isinstance(dispatch, list)
        assert "switch_multicast" not in op.attrs and op.attrs["switch_reduce"] is True
        assert op.attrs["relay_chunks"] == 3
        assert op.attrs["uplink_bytes"] == [sum(dispatch[g * 4:(g + 1) * 4]) for g in range(4)]  # type: ignore[arg-type]
        assert op.attrs["group_bytes"] == expected
        layers.append((dispatch, expected))
    assert result.output is not None and result.output.stream is not None
    instrs = result.output.stream.instrs
    # forward of micro-batch 0, layer 1: the dispatch is one routed send per chiplet (the paper's), the
    # combine is reduced in each switch in 3 pieces and one vector per token and group goes up
    dispatch_sends = [i for i in instrs if i.label.startswith("fwd.m0.l1.dispatch.")]
    assert all(i.op == "send" and i.src == "attention0" for i in dispatch_sends)
    assert [i.bytes for i in dispatch_sends] == [n for n in layers[0][0] if n]
    combine = {i: x for i, x in enumerate(instrs) if x.label.startswith("fwd.m0.l1.combine.")}
    reduces = {i: x for i, x in combine.items() if x.op == "reduce"}
    ups = {i: x for i, x in combine.items() if x.op == "send" and x.dst == "attention0"}
    assert len(reduces) == 4 * 3 and len(ups) == 4 * 3
    for g in range(4):
        assert sum(x.bytes for x in ups.values() if x.src == f"switch{g}") == layers[0][1][g]
    for x in ups.values():  # each piece goes up after its reduction ...
        assert any(d in reduces and reduces[d].unit == x.src for d in x.deps)
    for x in reduces.values():  # ... which comes after the chiplets' sends of that piece into the switch
        legs = [d for d in x.deps if instrs[d].op == "send" and instrs[d].dst == x.unit]
        assert len(legs) == x.inputs and x.bytes * x.inputs >= sum(instrs[d].bytes for d in legs)


def test_switch_multicast_dispatch_leaves_the_switch_after_it_entered(tiny_c: Module) -> None:
    result = compile_model(CompileOptions(model="tiny-moe", pipeline="mozart-c+mc", capacity="warn", emit="isa"))
    assert result.output is not None and result.output.stream is not None
    instrs = result.output.stream.instrs
    out_of_switch = [x for x in instrs if x.op == "send" and x.src is not None and x.src.startswith("switch")]
    assert out_of_switch
    for x in out_of_switch:
        feeds = [instrs[d] for d in x.deps if instrs[d].dst == x.src or
                 (instrs[d].op == "reduce" and instrs[d].unit == x.src)]
        assert feeds, x


def test_without_dedup_the_schedule_sends_k_copies_per_token() -> None:
    module = compile_with("tiny-moe", "expert-cluster{method=greedy},allocate,stream-schedule")
    steps = [op for op in module.ops() if op.name == "dispatch" and op.attrs["phase"] == "fwd"]
    experts = next(module.ops_named("experts"))
    dim, top_k = experts.attrs["dim"], experts.attrs["top_k"]
    assert isinstance(dim, int) and isinstance(top_k, int)
    for step in steps:
        if step.attrs["layer"] in (1, 2, 3):
            assert step.attrs["bytes"] == pytest.approx(top_k * 2048 * dim * 2, abs=16 * dim)
