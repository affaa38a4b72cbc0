"""Mapping passes on captured models: traffic identities, placement and schedule invariants."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from mozartc.analysis.routing import TraceSource, routing_for_layers
from mozartc.driver import CompileOptions, compile_model
from mozartc.ir import Module, Op, Region, parse_module, print_module
from mozartc.ir.types import DTYPE_BYTES


def _compile(model: str, pipeline: str, **kw: object) -> Module:
    return compile_model(CompileOptions(model=model, pipeline=pipeline, capacity="warn", **kw)).module  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def tiny_c() -> Module:
    pipeline = "expert-cluster{method=greedy},allocate,a2a-dedup{switch-multicast=true},stream-schedule"
    return _compile("tiny-moe", pipeline)


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
    module = _compile("tiny-moe", "expert-cluster{method=greedy},allocate,stream-schedule")
    steps = [op for op in module.ops() if op.name == "dispatch" and op.attrs["phase"] == "fwd"]
    experts = next(module.ops_named("experts"))
    dim, top_k = experts.attrs["dim"], experts.attrs["top_k"]
    assert isinstance(dim, int) and isinstance(top_k, int)
    for step in steps:
        if step.attrs["layer"] in (1, 2, 3):
            assert step.attrs["bytes"] == pytest.approx(top_k * 2048 * dim * 2, abs=16 * dim)


def test_every_expert_placed_once_and_no_chiplet_over_quota(tiny_c: Module) -> None:
    for op in tiny_c.ops_named("experts"):
        clusters, chiplets = op.attrs["clusters"], op.attrs["chiplets"]
        assert isinstance(clusters, list) and isinstance(chiplets, list)
        flat = sorted(e for c in clusters if isinstance(c, list) for e in c if isinstance(e, int))
        assert flat == list(range(32))
        assert sorted(c for c in chiplets if isinstance(c, int)) == list(range(16))
        assert all(isinstance(c, list) and len(c) == 2 for c in clusters)


def _schedule(module: Module) -> Region:
    return next(r for r in module.body if isinstance(r, Region) and r.kind == "schedule")


def test_schedule_invariants(tiny_c: Module) -> None:
    steps = [op for op in _schedule(tiny_c).body if isinstance(op, Op)]
    position = {op.result_name: i for i, op in enumerate(steps)}
    for i, op in enumerate(steps):
        assert all(position[d] < i for d in op.operands)
    # each micro-batch runs forward then backward
    for m in range(4):
        fwd = [i for i, op in enumerate(steps) if op.attrs["mb"] == m and op.attrs["phase"] == "fwd"]
        bwd = [i for i, op in enumerate(steps) if op.attrs["mb"] == m and op.attrs["phase"] == "bwd"]
        assert fwd and bwd and max(fwd) < min(bwd)
    # every block updated once per step (attention side and expert side of 4 layers, plus the head)
    updates = Counter((op.attrs["layer"], op.attrs["block"]) for op in steps if op.name == "update")
    assert set(updates.values()) == {1}
    assert {layer for layer, _ in updates} == {0, 1, 2, 3, 4}


def test_overlap_off_is_a_total_chain() -> None:
    module = _compile("tiny-moe", "baseline")
    steps = [op for op in _schedule(module).body if isinstance(op, Op)]
    for previous, op in itertools.pairwise(steps):
        assert previous.result_name in op.operands


def test_scheduled_module_round_trips(tiny_c: Module) -> None:
    text = print_module(tiny_c)
    assert print_module(parse_module(text)) == text


def test_ladder_runs_strictly_faster_on_olmoe() -> None:
    times = []
    for pipeline in ("baseline", "mozart-a", "mozart-b", "mozart-c"):
        result = compile_model(CompileOptions(model="olmoe-1b-7b-0924", pipeline=pipeline, run=True))
        assert result.report is not None
        times.append(result.report["step_time_s"])
        total = sum(result.report["breakdown_s"].values())
        assert total == pytest.approx(result.report["step_time_s"], rel=0.01)
        assert result.report["step_time_s"] >= result.report["lower_bound_s"]
    assert times == sorted(times, reverse=True) and len(set(times)) == 4


def test_expert_chiplets_save_their_copies_and_ffn_activations_to_their_group_dram() -> None:
    pipeline = "expert-cluster{method=greedy},allocate,a2a-dedup,stream-schedule"
    result = compile_model(CompileOptions(model="tiny-moe", pipeline=pipeline, capacity="warn", emit="isa"))
    module = result.module
    tokens, dim, ffn, element = 2048, 64, 32, 2
    steps = [op for op in _schedule(module).body if isinstance(op, Op)]
    saves = {(op.attrs["mb"], op.attrs["layer"]): op for op in steps
             if op.name == "save_act" and op.attrs.get("block") == "experts"}
    loads = {(op.attrs["mb"], op.attrs["layer"]): op for op in steps
             if op.name == "load_act" and op.attrs.get("block") == "experts"}
    for region in module.layers():
        experts = next((op for op in region.ops() if op.name == "experts"), None)
        if experts is None:
            continue
        clusters, chiplets, load = experts.attrs["clusters"], experts.attrs["chiplets"], experts.attrs["expert_load"]
        cluster_tokens, trace_tokens = experts.attrs["cluster_tokens"], experts.attrs["trace_tokens"]
        assert isinstance(clusters, list) and isinstance(chiplets, list) and isinstance(load, list)
        assert isinstance(cluster_tokens, list) and isinstance(trace_tokens, int)
        per_chiplet = [0] * 16
        for c, members in enumerate(clusters):  # by hand: received copies + 2 FFN tensors per (token, expert)
            assert isinstance(members, list)
            copies = round(cluster_tokens[c] * tokens / trace_tokens)  # type: ignore[operator]
            pairs = round(sum(load[e] for e in members) * tokens / trace_tokens)  # type: ignore[misc, index]
            per_chiplet[chiplets[c]] = (copies * dim + pairs * ffn * 2) * element  # type: ignore[index]
        for m in range(4):
            save, restore = saves[(m, region.index)], loads[(m, region.index)]
            assert save.attrs["bytes"] == restore.attrs["bytes"] == sum(per_chiplet)
            # backward's expert compute waits for the restore
            work = next(op for op in steps if op.name == "compute" and op.attrs["phase"] == "bwd"
                        and op.attrs["mb"] == m and op.attrs["layer"] == region.index
                        and op.attrs["block"] == "experts")
            assert restore.result_name in work.operands
    assert result.output is not None and result.output.stream is not None
    stores = [i for i in result.output.stream.instrs if i.label.startswith("fwd.m0.l1.save_act_experts.")]
    assert len(stores) == 16
    for i in stores:  # every chiplet writes to its own group's stack
        assert i.src is not None and i.dst == f"dram{int(i.src.removeprefix('expert')) // 4}"
    total = saves[(0, 1)].attrs["bytes"]
    assert isinstance(total, int) and total <= sum(i.bytes for i in stores) <= total + 16
    # layer 0's dense FFN (ffn 128) is split over the 16 chiplets: each saves its whole input and its
    # 8-column slice of the 2 FFN tensors, split evenly
    dense = next(op for op in steps if op.name == "save_act" and op.attrs.get("block") == "dense"
                 and op.attrs["mb"] == 0 and op.attrs["layer"] == 0)
    assert dense.attrs["bytes"] == 16 * (tokens * dim + tokens * (128 // 16) * 2) * element
    dense_stores = [i for i in result.output.stream.instrs if i.label.startswith("fwd.m0.l0.save_act_dense.")]
    assert sorted(i.bytes for i in dense_stores) == [(tokens * dim + tokens * 8 * 2) * element] * 16


def test_without_expert_saves_only_the_attention_chiplet_saves() -> None:
    module = _compile("tiny-moe", "expert-cluster{method=greedy},allocate,stream-schedule{expert-saves=false}")
    steps = [op for op in _schedule(module).body if isinstance(op, Op)]
    assert not [op for op in steps if op.name in ("save_act", "load_act") and "block" in op.attrs]
    assert [op for op in steps if op.name == "save_act"]


def _group_save_bytes(pipeline: str) -> list[int]:
    """Bytes the expert chiplets of each DRAM group write in expert saves over one step (olmoe)."""
    result = compile_model(CompileOptions(model="olmoe-1b-7b-0924", pipeline=pipeline, capacity="warn", emit="isa"))
    assert result.output is not None and result.output.stream is not None
    per_stack = Counter[str]()
    for i in result.output.stream.instrs:
        if ".save_act_experts." in i.label and i.dst is not None:
            per_stack[i.dst] += i.bytes
    return [per_stack[f"dram{g}"] for g in range(4)]


def test_balanced_allocation_evens_out_the_groups_dram_traffic() -> None:
    # PAPER.md section 5: allocation balances the DRAM groups' workload; with expert saves that is
    # their DRAM traffic. Same clustering, round-robin against the BIP allocation.
    common = "expert-cluster{method=greedy},allocate{method=%s},a2a-dedup,stream-schedule"
    round_robin = _group_save_bytes(common % "round-robin")
    balanced = _group_save_bytes(common % "bip")
    assert sum(balanced) == pytest.approx(sum(round_robin), rel=1e-6)  # the same work, placed differently
    assert max(balanced) < max(round_robin)
    assert max(balanced) - min(balanced) < max(round_robin) - min(round_robin)
