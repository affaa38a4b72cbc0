"""Mapping passes on captured models: traffic identities, placement and schedule invariants."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from mozartc.driver import CompileOptions, compile_model
from mozartc.ir import Module, Op, Region, parse_module, print_module
from mozartc.ir.types import DTYPE_BYTES
from mozartc.mapping.routing import TraceSource, routing_for_layers


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



def test_switch_multicast_uplink_carries_one_copy_per_token_and_group(tiny_c: Module) -> None:
    clustering = tiny_c.attrs["clustering"]
    assert isinstance(clustering, dict)
    experts = list(tiny_c.ops_named("experts"))
    ids = tuple(r.index for r in tiny_c.layers() if r.index is not None and any(o.name == "experts" for o in r.ops()))
    trace = routing_for_layers(TraceSource.from_attr(clustering["trace_source"]), ids, 32, 4)
    for position, op in enumerate(experts):
        clusters, chiplets = op.attrs["clusters"], op.attrs["chiplets"]
        assert isinstance(clusters, list) and isinstance(chiplets, list)
        group = {e: chiplets[c] // 4 for c, members in enumerate(clusters) if isinstance(members, list)
                 for e in members}  # type: ignore[operator]
        per_group = [0, 0, 0, 0]
        for token in trace.layer(position).tolist():  # count by hand: distinct groups of each token
            for g in {group[e] for e in token}:
                per_group[g] += 1
        scale = 2048 / trace.topk.shape[1]
        assert op.attrs["uplink_bytes"] == [round(n * scale) * 64 * 2 for n in per_group]


def test_without_switch_multicast_the_uplink_carries_its_chiplets_copies() -> None:
    module = _compile("tiny-moe", "expert-cluster{method=greedy},allocate,a2a-dedup{switch-multicast=false}")
    for op in module.ops_named("experts"):
        dispatch, uplink = op.attrs["dispatch_bytes"], op.attrs["uplink_bytes"]
        assert isinstance(dispatch, list) and isinstance(uplink, list)
        assert uplink == [sum(dispatch[g * 4:(g + 1) * 4]) for g in range(4)]  # type: ignore[arg-type]


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
