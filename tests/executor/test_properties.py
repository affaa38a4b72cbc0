"""Properties of every timeline the engine produces, on random small targets and random valid streams.

Each property is checked from the timeline and its rate log, independently of how the engine computes
them: capacities are never exceeded, bytes are conserved, the rates are max-min fair at every moment,
dependencies and the one-at-a-time arrays are respected, the step is at least every lower bound.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.executor import Timeline, execute, make_report
from mozartc.executor.report import resource_rates
from mozartc.executor.workload import FLOW, SERIAL
from mozartc.hw import Target
from mozartc.hw.topology import Topology
from mozartc.isa.instr import Instr, Stream
from tests.executor.strategies import valid_streams
from tests.executor.targets import small_targets

REL = 1e-9


@st.composite
def timed(draw: st.DrawFn, max_size: int = 30) -> Timeline:
    target = draw(small_targets())
    return execute(draw(valid_streams(target, max_size=max_size)), target)


@settings(max_examples=80, deadline=None)
@given(timed())
def test_no_resource_ever_carries_more_than_its_capacity(tl: Timeline) -> None:
    for r, (_, values) in resource_rates(tl).items():
        assert max(values) <= tl.capacity_Bps[r] * (1 + REL), tl.resources[r]
        assert values[-1] == 0.0


@settings(max_examples=80, deadline=None)
@given(timed())
def test_bytes_are_conserved(tl: Timeline) -> None:
    # every flow moves exactly its bytes (the integral of its rate), and finishes one latency after
    for i in np.flatnonzero(tl.mode == FLOW).tolist():
        pieces = tl.flow_rates(i)
        moved = sum((b - a) * r for a, b, r in pieces)
        assert moved == pytest.approx(tl.amount[i], rel=1e-7)
        assert pieces[0][0] == tl.start[i] and pieces[-1][1] == tl.sent[i]
        latency = tl.lone[i] - tl.amount[i] / min(
            tl.capacity_Bps[r] for r in tl.res_index[tl.res_ptr[i]:tl.res_ptr[i + 1]]
            if tl.topology.resources[r].binding)
        assert tl.finish[i] == pytest.approx(tl.sent[i] + latency, rel=1e-12, abs=1e-15)


@settings(max_examples=80, deadline=None)
@given(timed())
def test_rates_are_max_min_fair_at_every_moment(tl: Timeline) -> None:
    # the bottleneck condition: every moving flow crosses a full resource on which no flow is faster.
    # A class is the flows crossing the same resources (they share one rate); rows (class, t, rate, n)
    state: dict[int, tuple[float, int]] = {}
    shared = [tuple(r for r in resources if tl.topology.resources[r].binding) for resources in tl.class_resources]
    for t, rows in itertools.groupby(tl.class_log.tolist(), key=lambda row: row[1]):
        for c, _, r, n in rows:
            state[int(c)] = (r, int(n))
        load: dict[int, float] = defaultdict(float)
        fastest: dict[int, float] = defaultdict(float)
        for c, (r, n) in state.items():
            for x in shared[c]:
                load[x] += r * n
                fastest[x] = max(fastest[x], r if n else 0.0)
        for c, (r, n) in state.items():
            if n:
                assert r > 0
                assert any(load[x] >= tl.capacity_Bps[x] * (1 - REL) and r >= fastest[x] * (1 - REL)
                           for x in shared[c]), (t, c)
    # and the log agrees with the flows: at every moment a class has as many flows as are moving
    for c in range(len(tl.class_resources)):
        flows = np.flatnonzero(tl.flow_class == c)
        last = {t: n for k, t, _, n in tl.class_log.tolist() if int(k) == c}  # the last row of an instant
        for t, n in last.items():
            moving = int(np.sum((tl.start[flows] <= t) & (tl.sent[flows] > t)))
            assert moving == n


@settings(max_examples=80, deadline=None)
@given(timed())
def test_dependencies_arrays_and_bounds(tl: Timeline) -> None:
    step = tl.step_time
    instrs = tl.stream.instrs
    for i, instr in enumerate(instrs):
        assert all(tl.start[i] >= tl.finish[d] for d in instr.deps)
        # sharing only slows an instruction down (times are absolute: allow their rounding)
        assert tl.duration[i] >= tl.lone[i] * (1 - REL) - 1e-12 * tl.finish[i]
    by_unit: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for i in np.flatnonzero(tl.mode == SERIAL).tolist():
        by_unit[int(tl.res_index[tl.res_ptr[i]])].append((float(tl.start[i]), float(tl.finish[i])))
    for spans in by_unit.values():  # a chiplet's arrays run one instruction at a time
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    report = make_report(tl)
    for family, bound in report["lower_bounds_s"].items():
        assert bound <= report["step_time_s"] * (1 + REL), family
    assert sum(report["breakdown_s"].values()) == pytest.approx(step, rel=1e-9, abs=1e-18)
    assert sum(report["critical_path_s"].values()) == pytest.approx(step, rel=1e-9, abs=1e-18)
    assert report["critical_path_s"]["exposed"] == pytest.approx(0.0, abs=1e-12 * max(step, 1e-9))
    assert all(0.0 <= u <= 1.0 for u in report["utilization"].values())


@settings(max_examples=60, deadline=None)
@given(small_targets(), st.data())
def test_a_lone_flow_takes_its_latency_plus_bytes_over_the_smallest_capacity(target: Target,
                                                                            data: st.DataObject) -> None:
    topo = Topology.of(target)
    nodes = [n for n, role in topo.roles.items() if role != "switch"]
    src, dst = data.draw(st.lists(st.sampled_from(nodes), min_size=2, max_size=2, unique=True))
    if topo.roles[src] == "dram" and topo.roles[dst] == "dram":
        return
    op = "load" if topo.roles[src] == "dram" else "store" if topo.roles[dst] == "dram" else "send"
    nbytes = data.draw(st.integers(1, 1 << 30))
    tl = execute(Stream("t", {}, (Instr(op, "all_to_all", "x", src=src, dst=dst, bytes=nbytes),)), target)
    r = topo.route(src, dst)
    assert tl.step_time == pytest.approx(r.latency_ns * 1e-9 + nbytes / (r.bandwidth_gbps * 1e9), rel=1e-12)


@settings(max_examples=20, deadline=None)
@given(timed(max_size=25))
def test_timing_is_deterministic(tl: Timeline) -> None:
    again = execute(tl.stream, tl.target)
    assert again.start.tolist() == tl.start.tolist() and again.finish.tolist() == tl.finish.tolist()
    assert again.pred.tolist() == tl.pred.tolist() and again.class_log.tolist() == tl.class_log.tolist()
