"""Synthetic generator: determinism, the uniform setting against the closed form, calibration."""

from __future__ import annotations

import numpy as np
import pytest

from mozartc.traces import (
    SYNTH_PRESETS,
    load_imbalance,
    synth_params,
    synthesize,
    synthesize_model,
    top_pair_ratio,
    trace_to_bytes,
    workload,
)
from mozartc.traces.stats import c_t, contiguous_assignment, uniform_c_t


def test_same_seed_same_bytes() -> None:
    a = trace_to_bytes(synthesize_model("tiny-moe", 500, seed=3))
    assert a == trace_to_bytes(synthesize_model("tiny-moe", 500, seed=3))
    assert a != trace_to_bytes(synthesize_model("tiny-moe", 500, seed=4))


def test_model_shape_and_shared_experts() -> None:
    trace = synthesize_model("deepseek-moe-16b-base", 10, seed=0)
    assert trace.topk.shape == (27, 10, 6) and trace.layer_ids[0] == 1
    assert trace.num_shared_experts == 2 and trace.num_experts == 64


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
