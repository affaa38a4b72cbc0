"""Properties of every schedule the engine produces, on random valid streams."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.executor import execute, make_report
from mozartc.executor.resources import ExecOptions
from mozartc.hw import Target, default_target_path, load_target
from mozartc.isa.instr import Stream
from tests.executor.strategies import streams

WAFER: Target = load_target(default_target_path())


@settings(max_examples=60, deadline=None)
@given(streams(max_size=40), st.booleans())
def test_schedule_is_valid_and_report_is_consistent(stream: Stream, blocking: bool) -> None:
    # both switch models: the shipped crossbar, and blocking switches (whose lower bound is the summed
    # time of everything holding them)
    tl = execute(stream, WAFER, ExecOptions(switch_exclusive=blocking))
    step = tl.step_time
    start, finish, dur = tl.start, tl.finish, tl.duration
    assert np.allclose(finish - start, dur, rtol=0, atol=1e-18)
    chain = [0.0] * len(stream.instrs)
    for i, instr in enumerate(stream.instrs):
        # dependencies respected; every chain's sum of durations <= the step time
        assert all(start[i] >= finish[d] for d in instr.deps)
        chain[i] = dur[i] + max((chain[d] for d in instr.deps), default=0.0)
        assert chain[i] <= step * (1 + 1e-12)
    # one instruction at a time per resource
    by_res: dict[int, list[tuple[float, float]]] = {}
    for i in range(len(stream.instrs)):
        for r in tl.res_index[tl.res_ptr[i]:tl.res_ptr[i + 1]]:
            by_res.setdefault(int(r), []).append((float(start[i]), float(finish[i])))
    for spans in by_res.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    report = make_report(tl)
    assert sum(report["breakdown_s"].values()) == pytest.approx(report["step_time_s"], rel=1e-9, abs=1e-18)
    assert sum(report["critical_path_s"].values()) == pytest.approx(report["step_time_s"], rel=1e-9, abs=1e-18)
    assert report["lower_bound_s"] <= report["step_time_s"] * (1 + 1e-9)
    assert all(0.0 <= u <= 1.0 for u in report["utilization"].values())


@settings(max_examples=20, deadline=None)
@given(streams(max_size=25))
def test_timing_is_deterministic(stream: Stream) -> None:
    a, b = execute(stream, WAFER), execute(stream, WAFER)
    assert a.start.tolist() == b.start.tolist() and a.pred.tolist() == b.pred.tolist()
