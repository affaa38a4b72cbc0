"""Synthetic generator: determinism, the shape, the uniform setting against the closed form, calibration."""

from __future__ import annotations

import numpy as np
import pytest

from mozartc.errors import MozartError, TraceError
from mozartc.traces import (
    SYNTH_PRESETS,
    TraceShape,
    load_imbalance,
    synth_params,
    synthesize,
    synthesize_model,
    top_pair_ratio,
    trace_to_bytes,
    workload,
)
from mozartc.traces.stats import c_t, contiguous_assignment, uniform_c_t

TINY = TraceShape(layer_ids=(1, 2, 3), num_experts=32, top_k=4, num_shared_experts=1, model="tiny")


def test_same_seed_same_bytes() -> None:
    a = trace_to_bytes(synthesize_model(TINY, 500, seed=3))
    assert a == trace_to_bytes(synthesize_model(TINY, 500, seed=3))
    assert a != trace_to_bytes(synthesize_model(TINY, 500, seed=4))


def test_bytes_do_not_depend_on_jobs() -> None:
    shape = TraceShape(layer_ids=(0, 2), num_experts=33, top_k=5)  # odd experts, two chunks a layer
    one = trace_to_bytes(synthesize_model(shape, 20000, seed=7, jobs=1))
    assert one == trace_to_bytes(synthesize_model(shape, 20000, seed=7, jobs=2))
    assert one == trace_to_bytes(synthesize_model(shape, 20000, seed=7, jobs=5))


def test_shape_goes_into_the_trace() -> None:
    trace = synthesize_model(TINY, 10, seed=0)
    assert trace.topk.shape == (3, 10, 4) and trace.layer_ids == (1, 2, 3)
    assert (trace.num_experts, trace.num_shared_experts, trace.model) == (32, 1, "tiny")


@pytest.mark.parametrize(("layer_ids", "top_k", "shared", "message"), [
    ((), 4, 0, "at least one MoE layer"),
    ((1, 1), 4, 0, "distinct"),
    ((0,), 40, 0, r"top_k 40 must lie in 1\.\.num_experts \(32\)"),
    ((0,), 4, -1, "num_shared_experts must be >= 0"),
])
def test_bad_shape(layer_ids: tuple[int, ...], top_k: int, shared: int, message: str) -> None:
    with pytest.raises(TraceError, match=message):
        TraceShape(layer_ids=layer_ids, num_experts=32, top_k=top_k, num_shared_experts=shared)


def test_weights_beyond_float32_exp_are_refused() -> None:
    with pytest.raises(MozartError, match="float32 exp range"):
        synthesize(1, 128, 8, 10, params=synth_params(structure=80.0))


@pytest.mark.parametrize(("experts", "k", "expected"), [(128, 8, 6.60), (64, 8, 6.75), (64, 6, 5.32)])
def test_uniform_contiguous_matches_closed_form(experts: int, k: int, expected: float) -> None:
    trace = synthesize(2, experts, k, 20000, seed=1, params=SYNTH_PRESETS["uniform"])
    value = float(np.mean([c_t(trace.layer(i), contiguous_assignment(experts, 16), experts) for i in range(2)]))
    closed = uniform_c_t(experts, k, 16)
    assert closed == pytest.approx(expected, abs=0.005)
    assert abs(value - closed) / closed < 0.01


def test_uniform_setting_is_uniform() -> None:
    trace = synthesize(1, 16, 4, 40000, seed=0, params=synth_params("uniform"))
    assert load_imbalance(workload(trace.layer(0), 16)) < 1.05
    assert 0.9 < top_pair_ratio(trace.layer(0), 16) < 1.1


@pytest.mark.parametrize(("experts", "k"), [(128, 8), (64, 8), (64, 6)])
def test_mixed_text_calibration(experts: int, k: int) -> None:
    """Default preset within the real traces' ranges: load 1.2-1.6 max/mean, top-5% pairs 2.4-3.2x."""
    trace = synthesize(2, experts, k, 20000, seed=0)
    loads = [load_imbalance(workload(trace.layer(i), experts)) for i in range(2)]
    ratios = [top_pair_ratio(trace.layer(i), experts) for i in range(2)]
    assert 1.2 <= np.mean(loads) <= 1.6
    assert 2.3 <= np.mean(ratios) <= 3.3
