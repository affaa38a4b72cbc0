"""Statistics against hand-counted small traces, the closed form, and properties (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.errors import PassError
from mozartc.traces.stats import (
    as_assignment,
    c_t,
    coactivation,
    contiguous_assignment,
    intra_share,
    load_imbalance,
    normalised_entropy,
    uniform_c_t,
    workload,
)

TOPK = np.array([[0, 1], [0, 2], [1, 3], [2, 3]])


def test_workload_and_coactivation_by_hand() -> None:
    assert workload(TOPK, 4).tolist() == [0.25, 0.25, 0.25, 0.25]
    c = coactivation(TOPK, 4)
    assert c.tolist() == [[2, 1, 1, 0], [1, 2, 0, 1], [1, 0, 2, 1], [0, 1, 1, 2]]
    assert load_imbalance(np.array([1, 1, 2, 0])) == 2.0
    assert normalised_entropy(np.ones(4)) == pytest.approx(1.0)


def test_c_t_by_hand() -> None:
    # clusters {0,1},{2,3}: tokens see 1, 2, 2, 1 clusters
    assert c_t(TOPK, [[0, 1], [2, 3]], 4) == 1.5
    # clusters {0,3},{1,2}: 2, 2, 2, 2
    assert c_t(TOPK, np.array([0, 1, 1, 0]), 4) == 2.0
    top3 = np.array([[0, 1, 2], [3, 4, 5], [0, 3, 5]])
    # clusters {0,1},{2,3},{4,5}: 2, 2, 3 -> 7/3
    assert c_t(top3, contiguous_assignment(6, 3), 6) == pytest.approx(7 / 3)
    assert intra_share(coactivation(TOPK, 4), np.array([0, 0, 1, 1])) == pytest.approx(0.5)


def test_closed_form_values() -> None:
    assert uniform_c_t(128, 8, 16) == pytest.approx(6.60, abs=0.005)
    assert uniform_c_t(64, 8, 16) == pytest.approx(6.75, abs=0.005)
    assert uniform_c_t(64, 6, 16) == pytest.approx(5.32, abs=0.005)


def test_bad_clusterings() -> None:
    with pytest.raises(PassError, match="cannot form 5 equal clusters"):
        contiguous_assignment(32, 5)
    with pytest.raises(PassError):
        as_assignment([[0, 1], [1, 2]], 4)


@st.composite
def routed(draw: st.DrawFn) -> tuple[np.ndarray, int, int]:
    clusters = draw(st.sampled_from([1, 2, 4]))
    experts = clusters * draw(st.integers(1, 4))
    k = draw(st.integers(1, experts))
    tokens = draw(st.integers(1, 20))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    topk = np.stack([rng.choice(experts, k, replace=False) for _ in range(tokens)])
    return topk, experts, clusters


@settings(max_examples=60, deadline=None)
@given(routed(), st.integers(0, 2**16))
def test_c_t_properties(case: tuple[np.ndarray, int, int], seed: int) -> None:
    topk, experts, clusters = case
    k = topk.shape[1]
    rng = np.random.default_rng(seed)
    assignment = contiguous_assignment(experts, clusters)[rng.permutation(experts)]
    value = c_t(topk, assignment, experts)
    assert 1.0 <= value <= min(k, clusters)
    relabel = rng.permutation(clusters)
    assert c_t(topk, relabel[assignment], experts) == value
    assert c_t(topk, contiguous_assignment(experts, experts), experts) == k
    c = coactivation(topk, experts)
    assert (c == c.T).all() and np.diag(c).sum() == topk.size
