"""Statistics against hand-counted small traces, the closed form, and properties (hypothesis)."""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.cli.cluster import CLI_CLUSTERS_KNOB
from mozartc.errors import PassError
from mozartc.traces.stats import (
    as_assignment,
    c_t,
    check_cluster_count,
    cluster_loads,
    cluster_sizes,
    coactivation,
    contiguous_assignment,
    distinct_clusters,
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
    with pytest.raises(PassError, match="more clusters than experts"):
        contiguous_assignment(4, 5)
    with pytest.raises(PassError, match="must be positive"):
        contiguous_assignment(4, 0)
    with pytest.raises(PassError):
        as_assignment([[0, 1], [1, 2]], 4)


def test_cluster_sizes() -> None:
    assert cluster_sizes(60, 16) == (4,) * 12 + (3,) * 4
    assert cluster_sizes(6, 4) == (2, 2, 1, 1)
    assert cluster_sizes(10, 4) == (3, 3, 2, 2)
    assert cluster_sizes(160, 16) == (10,) * 16 and cluster_sizes(72, 16) == (5,) * 8 + (4,) * 8
    assert cluster_sizes(8, 8) == (1,) * 8 and cluster_sizes(7, 1) == (7,)
    for experts in range(1, 30):
        for clusters in range(1, experts + 1):
            sizes = cluster_sizes(experts, clusters)
            assert sum(sizes) == experts and len(sizes) == clusters
            assert sizes.count(-(-experts // clusters)) == experts % clusters or experts % clusters == 0
            assert list(sizes) == sorted(sizes, reverse=True) and sizes[0] - sizes[-1] <= 1


def test_cluster_count_errors_name_the_knob() -> None:
    with pytest.raises(PassError, match="20 clusters but only 16 experts: there are more clusters than experts") as err:
        check_cluster_count(16, 20)
    assert "expert-cluster{clusters=N} with 1 <= N <= 16" in str(err.value) and "--clusters" not in str(err.value)
    with pytest.raises(PassError, match=r"set --clusters N with 1 <= N <= 16") as err:
        cluster_sizes(16, 20, CLI_CLUSTERS_KNOB)
    assert "expert-cluster" not in str(err.value)
    for bad in (0, -3):
        with pytest.raises(PassError, match=f"must be positive, got {bad}"):
            cluster_sizes(16, bad)
    check_cluster_count(16, 16)
    check_cluster_count(16, 5)


def test_contiguous_unequal() -> None:
    assert contiguous_assignment(6, 4).tolist() == [0, 0, 1, 1, 2, 3]
    assert contiguous_assignment(12, 4).tolist() == [e // 3 for e in range(12)]
    assert np.bincount(contiguous_assignment(60, 16)).tolist() == [4] * 12 + [3] * 4


def _old_closed_form(experts: int, k: int, clusters: int) -> float:
    """The equal-cluster formula as it was before unequal sizes (must stay bit-identical)."""
    size = experts // clusters
    return clusters * (1.0 - comb(experts - size, k) / comb(experts, k))


def test_closed_form_divisible_unchanged() -> None:
    for experts, k, clusters in [(128, 8, 16), (64, 8, 16), (64, 6, 16), (60, 4, 15), (8, 2, 4), (32, 4, 8),
                                 (16, 1, 16), (12, 3, 1)]:
        assert uniform_c_t(experts, k, clusters) == _old_closed_form(experts, k, clusters)


def test_closed_form_unequal_by_enumeration() -> None:
    # 10 experts in 4 clusters of 3, 3, 2, 2, top-2: all 45 pairs, each as likely under uniform routing
    pairs = np.array(list(combinations(range(10), 2)))
    assert len(pairs) == 45
    assignment = contiguous_assignment(10, 4)
    assert np.bincount(assignment).tolist() == [3, 3, 2, 2]
    # same-cluster pairs: 3 + 3 + 1 + 1 = 8 give 1 cluster, the other 37 give 2: (8 + 74) / 45
    assert c_t(pairs, assignment, 10) == pytest.approx(82 / 45)
    assert uniform_c_t(10, 2, 4) == pytest.approx(82 / 45)
    # by hand from the formula: 2 (1 - C(7,2)/45) + 2 (1 - C(8,2)/45) = 2 (24/45) + 2 (17/45) = 82/45
    assert 2 * (1 - comb(7, 2) / 45) + 2 * (1 - comb(8, 2) / 45) == pytest.approx(82 / 45)


@pytest.mark.parametrize(("experts", "k", "clusters"), [(6, 2, 4), (7, 3, 3), (9, 4, 5), (11, 3, 4), (8, 5, 3)])
def test_closed_form_matches_enumeration(experts: int, k: int, clusters: int) -> None:
    """Exact: mean distinct clusters over every k-subset (any layout with these sizes gives the same)."""
    subsets = np.array(list(combinations(range(experts), k)))
    rng = np.random.default_rng(experts * 100 + k)
    assignment = contiguous_assignment(experts, clusters)[rng.permutation(experts)]
    exact = float(distinct_clusters(subsets, assignment).mean())
    assert uniform_c_t(experts, k, clusters) == pytest.approx(exact, abs=1e-12)


def test_closed_form_matches_monte_carlo() -> None:
    """60 experts (Qwen1.5-MoE) on 16 chiplets (12 of 4, 4 of 3), top-4: 40k uniform tokens."""
    rng = np.random.default_rng(0)
    topk = np.argsort(rng.random((40000, 60)), axis=1)[:, :4]
    estimate = c_t(topk, contiguous_assignment(60, 16), 60)
    # sd of one token's count is below 1, so the standard error is below 0.005
    assert estimate == pytest.approx(uniform_c_t(60, 4, 16), abs=0.02)


def test_cluster_loads_unequal() -> None:
    v = workload(TOPK, 4)
    loads = cluster_loads(v, np.array([0, 0, 0, 1]), 2)
    assert loads.tolist() == [0.75, 0.25] and load_imbalance(loads) == 1.5


@st.composite
def routed(draw: st.DrawFn) -> tuple[np.ndarray, int, int]:
    experts = draw(st.integers(1, 12))
    clusters = draw(st.integers(1, experts))
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
