"""Clusters of unequal size (N_c does not divide N_e): sizes, every method by hand, properties, CLI.

The sizes rule (``cluster_sizes``): ``r = N_e mod N_c`` clusters of ``ceil(N_e / N_c)``, the rest of
``floor(N_e / N_c)``. A method may choose which clusters are the larger ones; ``check_assignment``
compares multisets. Divisible cases are pinned to the assignments and C_T recorded before unequal
sizes existed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from math import ceil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.errors import PassError
from mozartc.frontend import trace_shape
from mozartc.solvers.clustering import ClusterOptions, LayerProblem, cluster_trace, get_method, method_names
from mozartc.solvers.clustering.base import canonical, check_assignment, size_multiset
from mozartc.solvers.clustering.greedy import fill_order_sizes, greedy_clusters
from mozartc.solvers.clustering.refine import _SwapState, local_search
from mozartc.solvers.clustering.simple import balanced_block_sizes
from mozartc.traces import synthesize, synthesize_model
from mozartc.traces.stats import cluster_sizes, workload
from tests.solvers.conftest import save_tiny_trace

FAST = ClusterOptions(time_limit=0.05, cpsat_max_experts=0)  # cpsat_max_experts=0: CP-SAT always runs


def _clusters(assignment: np.ndarray) -> list[list[int]]:
    labels = canonical(assignment)
    return [np.flatnonzero(labels == c).tolist() for c in range(int(labels.max()) + 1)]


# -- the problem and the validity check ---------------------------------------------------------


def test_problem_sizes_and_check_assignment() -> None:
    problem = LayerProblem(np.array([[0, 1]]), 6, 4)
    assert problem.sizes == (2, 2, 1, 1) and not problem.equal
    assert (problem.min_size, problem.max_size) == (1, 2)
    # any clusters may be the larger ones: only the multiset counts
    for a in ([0, 0, 1, 1, 2, 3], [3, 1, 2, 1, 0, 3], [0, 1, 2, 3, 3, 2]):
        assert check_assignment(np.array(a), problem).tolist() == a
    for bad in ([0, 0, 0, 1, 2, 3], [0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 4], [0, 0, 1, 1, 2]):
        with pytest.raises(AssertionError, match=r"not \(2, 2, 1, 1\)"):
            check_assignment(np.array(bad), problem)
    assert size_multiset(np.array([3, 1, 2, 1, 0, 3]), 4) == (2, 2, 1, 1)
    equal = LayerProblem(np.array([[0, 1]]), 8, 4)
    assert equal.sizes == (2, 2, 2, 2) and equal.equal and equal.min_size == equal.max_size == 2


def test_cluster_trace_names_the_pass_option_not_the_cli_flag() -> None:
    trace = synthesize(1, 8, 2, 50, seed=0)
    with pytest.raises(PassError, match="more clusters than experts") as err:
        cluster_trace(trace, 16, "greedy")
    assert "expert-cluster{clusters=N} with 1 <= N <= 8" in str(err.value) and "--clusters" not in str(err.value)
    with pytest.raises(PassError, match="must be positive") as err:
        cluster_trace(trace, 0, "greedy")
    assert "--clusters" not in str(err.value)
    with pytest.raises(PassError, match="set --clusters N"):
        cluster_trace(trace, 9, "greedy", knob="--clusters N")


# -- every method by hand: 6 experts into 4 clusters (sizes 2, 2, 1, 1) --------------------------

# co-activation: (0,5) x10 and (1,4) x10 are strong pairs, (2,3) once; loads 10,10,1,1,10,10
PAIRS = np.array([[0, 5]] * 10 + [[1, 4]] * 10 + [[2, 3]])


def test_contiguous_places_the_larger_blocks_where_the_heaviest_block_is_lightest() -> None:
    problem = LayerProblem(PAIRS, 6, 4)
    # block sizes (2,2,1,1) -> heaviest block {0,1} = 20; (1,2,2,1) -> {0},{1,2},{3,4},{5} = 10,11,11,10
    assert get_method("contiguous")(problem, FAST).assignment.tolist() == [0, 1, 1, 2, 2, 3]
    # uniform load: every pattern ties, the larger blocks come first (the plain layout)
    flat = LayerProblem(np.arange(6)[:, None], 6, 4)
    assert get_method("contiguous")(flat, FAST).assignment.tolist() == [0, 0, 1, 1, 2, 3]
    # heavy experts at the front: (1,1,2,2) gives blocks 5,5,2,2
    assert balanced_block_sizes(np.array([5, 5, 1, 1, 1, 1]), 4) == [1, 1, 2, 2]
    assert balanced_block_sizes(np.array([3, 3, 3, 3]), 2) == [2, 2]


def test_random_has_the_sizes_and_follows_the_seed() -> None:
    problem = LayerProblem(PAIRS, 6, 4)
    first = get_method("random")(problem, ClusterOptions(seed=3)).assignment
    assert size_multiset(first, 4) == (2, 2, 1, 1)
    assert np.array_equal(first, get_method("random")(problem, ClusterOptions(seed=3)).assignment)
    layouts = {tuple(get_method("random")(problem, ClusterOptions(seed=s)).assignment) for s in range(20)}
    assert len(layouts) > 5


def test_greedy_by_hand() -> None:
    # Algorithm 1, sizes in fill order [2, 1, 1, 2]: seed pair (0,5) (ties (0,5)=(1,4)=10: lowest);
    # pulls vs {0,5}: 1,2,3,4 all 0 -> seed 1; + C[1]: e2=0, e3=0, e4=10 -> seed 2; + C[2]: e3=1,
    # e4=10 -> seed 3; cluster 3 = {3} fills to 2 with the last free expert 4.
    problem = LayerProblem(PAIRS, 6, 4)
    assert greedy_clusters(problem.coact, 4) == [[0, 5], [1], [2], [3, 4]]
    assert _clusters(get_method("greedy")(problem, FAST).assignment) == [[0, 5], [1], [2], [3, 4]]


def test_refine_and_cpsat_by_hand() -> None:
    # optimum: {0,5},{1,4},{2},{3}: copies 10 + 10 + 2 = 22 over 21 tokens (greedy: 10 + 20 + 2)
    problem = LayerProblem(PAIRS, 6, 4)
    assert problem.c_t(get_method("greedy")(problem, FAST).assignment) == pytest.approx(32 / 21)
    for name in ("refine", "cpsat"):
        result = get_method(name)(problem, FAST)
        assert _clusters(result.assignment) == [[0, 5], [1, 4], [2], [3]], name
        assert problem.c_t(result.assignment) == pytest.approx(22 / 21)
    info = get_method("cpsat")(problem, FAST).info
    assert info["status"] == "OPTIMAL" and info["objective"] == 20 and info["bound"] == 20


def test_kl_by_hand() -> None:
    # no co-activation (k = 1): every bisection keeps its split by index; the left part takes the
    # larger sizes: [0..5] -> [0..3] (2,2) | [4,5] (1,1) -> {0,1},{2,3},{4},{5}
    problem = LayerProblem(np.arange(6)[:, None], 6, 4)
    assert _clusters(get_method("kl")(problem, FAST).assignment) == [[0, 1], [2, 3], [4], [5]]
    seven = LayerProblem(np.arange(7)[:, None], 7, 3)  # sizes (3,2,2): (3) | (2,2)
    assert _clusters(get_method("kl")(seven, FAST).assignment) == [[0, 1, 2], [3, 4], [5, 6]]
    result = get_method("kl")(LayerProblem(PAIRS, 6, 4), FAST).assignment
    assert size_multiset(result, 4) == (2, 2, 1, 1)


def test_refine_moves_an_expert_from_a_larger_to_a_smaller_cluster() -> None:
    # start {0,1,2} | {3,4}; tokens (0,1), (2,3), (2,4), (3,4): 6 copies. No single swap helps
    # (2<->3 or 2<->4: still 6; 0 or 1 with 3 or 4: 7), the move of 2 to {3,4} gives 4:
    # delta = G[2, B] - S[2] = 0 - 2.
    topk = np.array([[0, 1], [2, 3], [2, 4], [3, 4]])
    problem = LayerProblem(topk, 5, 2)
    start = np.array([0, 0, 0, 1, 1])
    state = _SwapState(topk, start, 2, 5)
    assert state.best_swap()[2] >= 0
    assert state.best_move(3) == (2, 1, -2.0)
    result, steps = local_search(problem, start, FAST)
    assert steps == 1 and _clusters(result) == [[0, 1], [2, 3, 4]] and problem.c_t(result) == 1.0


def test_cpsat_chooses_which_cluster_is_larger() -> None:
    # 7 experts in 3 clusters (3,2,2); a triangle {4,5,6} and pairs {0,1}, {2,3}: the optimum puts
    # the triangle in the cluster of 3 although expert 0's cluster (label 0) comes first.
    topk = np.array([[0, 1]] * 5 + [[2, 3]] * 5 + [[4, 5]] * 5 + [[5, 6]] * 5 + [[4, 6]] * 5)
    problem = LayerProblem(topk, 7, 3)
    result = get_method("cpsat")(problem, FAST)
    assert _clusters(result.assignment) == [[0, 1], [2, 3], [4, 5, 6]]
    assert problem.c_t(result.assignment) == 1.0


# -- Algorithm 1 with unequal sizes, worked by hand ------------------------------------------------


def _sym(n: int, pairs: dict[tuple[int, int], int]) -> np.ndarray:
    c = np.zeros((n, n), dtype=np.int64)
    for (i, j), w in pairs.items():
        c[i, j] = c[j, i] = w
    np.fill_diagonal(c, 100)  # ignored
    return c


def test_fill_order_sizes() -> None:
    assert fill_order_sizes(7, 3) == [2, 2, 3]  # the larger cluster is filled last
    assert fill_order_sizes(60, 16) == [3] * 4 + [4] * 12
    assert fill_order_sizes(6, 4) == [2, 1, 1, 2]  # floor 1: cluster 0 holds the seed pair
    assert fill_order_sizes(5, 4) == [2, 1, 1, 1]
    assert fill_order_sizes(12, 3) == [4, 4, 4] and fill_order_sizes(8, 8) == [1] * 8
    for n in range(1, 40):
        for nc in range(1, n + 1):
            order = fill_order_sizes(n, nc)
            assert sorted(order, reverse=True) == list(cluster_sizes(n, nc))
            assert order[0] >= 2 or max(order) == 1


def test_greedy_unequal_sizes_by_hand() -> None:
    # 7 experts, 3 clusters (3,2,2), fill-order sizes [2, 2, 3].
    # seed pair (0,1)=10; pulls vs {0,1}: e2=3+2=5, e3=0, e4=0, e5=0, e6=1 -> seed 3 (lowest of the 0s);
    # + C[3]: e2=11, e4=1, e5=0, e6=1 -> seed 5. Fill: cluster 0 {0,1} is full (size 2);
    # cluster 1 {3}: C3 = e2:6, e4:1, e6:0 -> 2 (size 2 reached); cluster 2 {5}: C5 = e4:5, e6:2 -> 4,
    # then {5,4}: e6 = 2 + 3 -> 6.
    c = _sym(7, {(0, 1): 10, (0, 2): 3, (1, 2): 2, (2, 3): 6, (3, 4): 1, (4, 5): 5, (5, 6): 2, (4, 6): 3,
                 (1, 6): 1, (2, 6): 1})
    assert greedy_clusters(c, 3) == [[0, 1], [3, 2], [5, 4, 6]]
    # the larger size first instead: cluster 0 takes 2 (sum 5) and the triangle {4,5,6} breaks up
    assert greedy_clusters(c, 3, [3, 2, 2]) == [[0, 1, 2], [3, 4], [5, 6]]


def test_greedy_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="seed pair"):
        greedy_clusters(np.ones((4, 4), dtype=int), 3, [1, 1, 2])
    with pytest.raises(ValueError, match="do not split"):
        greedy_clusters(np.ones((4, 4), dtype=int), 2, [3, 2])


def test_greedy_gives_the_larger_clusters_lighter_experts() -> None:
    """On structured traces the larger clusters (filled last) average lighter experts."""
    trace = synthesize(3, 60, 4, 6000, seed=0)
    for layer in range(3):
        problem = LayerProblem(trace.layer(layer), 60, 16)
        a = get_method("greedy")(problem, FAST).assignment
        v = workload(problem.topk, 60)
        sizes = np.bincount(a, minlength=16)
        per_expert = np.bincount(a, weights=v, minlength=16) / sizes
        assert per_expert[sizes == 4].mean() < per_expert[sizes == 3].mean()


# -- properties ---------------------------------------------------------------------------------


@st.composite
def layers(draw: st.DrawFn) -> tuple[np.ndarray, int, int]:
    experts = draw(st.integers(1, 12))
    clusters = draw(st.integers(1, experts))
    k = draw(st.integers(1, min(4, experts)))
    tokens = draw(st.integers(1, 25))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    topk = np.stack([rng.choice(experts, k, replace=False) for _ in range(tokens)])
    return topk, experts, clusters


@settings(max_examples=40, deadline=None)
@given(layers())
def test_every_method_returns_the_sizes_and_a_bounded_c_t(case: tuple[np.ndarray, int, int]) -> None:
    topk, experts, clusters = case
    k = topk.shape[1]
    problem = LayerProblem(topk, experts, clusters)
    sizes = cluster_sizes(experts, clusters)
    assert sum(sizes) == experts and max(sizes) - min(sizes) <= 1 and list(sizes) == sorted(sizes, reverse=True)
    values = {}
    for name in method_names():
        a = check_assignment(get_method(name)(problem, FAST).assignment, problem)
        assert size_multiset(a, clusters) == sizes, name
        assert sorted(e for c in _clusters(a) for e in c) == list(range(experts))  # every expert once
        assert np.array_equal(a, get_method(name)(problem, FAST).assignment), name  # deterministic
        values[name] = problem.c_t(a)
        # a token needs at least ceil(k / largest size) clusters and meets at most min(k, N_c)
        assert ceil(k / max(sizes)) - 1e-12 <= values[name] <= min(k, clusters) + 1e-12, name
    assert values["refine"] <= values["greedy"] and values["cpsat"] <= values["greedy"]


@pytest.mark.parametrize(("experts", "clusters"), [(60, 16), (40, 16), (72, 16), (20, 8), (10, 4)])
def test_every_method_on_real_model_shapes(experts: int, clusters: int) -> None:
    trace = synthesize(2, experts, 4, 1500, seed=1)
    expected = cluster_sizes(experts, clusters)
    for name in method_names():
        result = cluster_trace(trace, clusters, name, ClusterOptions(time_limit=0.05))
        for a in result.assignments:
            assert size_multiset(a, clusters) == expected, name
        loads = result.cluster_loads()
        assert all(sum(layer) == pytest.approx(1.0) and len(layer) == clusters for layer in loads)
        assert result.record() == cluster_trace(trace, clusters, name, ClusterOptions(time_limit=0.05)).record()


def test_record_loads_follow_the_clusters_order() -> None:
    trace = synthesize(1, 10, 2, 400, seed=4)
    record = cluster_trace(trace, 4, "greedy").record()
    v = workload(trace.layer(0), 10)
    clusters = record["clusters"]
    loads = record["cluster_loads"]
    assert isinstance(clusters, list) and isinstance(loads, list)
    assert sorted(len(c) for c in clusters[0]) == [2, 2, 3, 3]
    assert loads[0] == pytest.approx([float(v[c].sum()) for c in clusters[0]])
    imbalance = record["per_layer_load_imbalance"]
    assert isinstance(imbalance, list) and imbalance[0] == pytest.approx(max(loads[0]) / np.mean(loads[0]))


# -- divisible cases are unchanged -----------------------------------------------------------------

# (C_T per layer, sha256[:16] of the int64 assignments) on tiny-moe, 800 tokens, seed 0, 8 clusters,
# time limit 0.1: recorded with the code before unequal sizes existed.
PINNED = {
    "contiguous": ([3.57875, 3.395, 3.38], "a60709dbf3cc5c6d"),
    "random": ([3.4525, 3.525, 3.4875], "50bf41f1d01d6b8e"),
    "greedy": ([2.83625, 2.73125, 2.77875], "46e162c8b0e39e39"),
    "refine": ([2.74, 2.67125, 2.64125], "aa41d15285c09d23"),
    "kl": ([2.725, 2.68875, 2.6975], "a60e20ae2dcc5dd0"),
    "cpsat": ([2.74, 2.67125, 2.64125], "a07782331ce4c8e6"),
}


@pytest.mark.parametrize("name", list(PINNED))
def test_divisible_results_are_unchanged(name: str) -> None:
    trace = synthesize_model(trace_shape("tiny-moe"), 800, seed=0)
    result = cluster_trace(trace, 8, name, ClusterOptions(time_limit=0.1))
    values, digest = PINNED[name]
    assert list(result.per_layer_c_t) == values
    assert hashlib.sha256(np.array(result.assignments, dtype=np.int64).tobytes()).hexdigest()[:16] == digest


def test_divisible_greedy_sizes_are_the_papers() -> None:
    c = synthesize(1, 32, 4, 500, seed=0)
    problem = LayerProblem(c.layer(0), 32, 8)
    assert greedy_clusters(problem.coact, 8) == greedy_clusters(problem.coact, 8, [4] * 8)


# -- the command ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny-moe's shape, 1000 tokens a layer (the conftest's fixture has 1500)."""
    return save_tiny_trace(tmp_path_factory.mktemp("t"), 1000)


def test_cli_non_divisor(cli: Callable[..., Any], tiny: Path) -> None:
    r = cli("cluster", "--trace", tiny, "--clusters", "6", "--method", "refine", "--json")
    assert r.code == 0, r.err
    record = json.loads(r.out)
    assert {"method", "C_T", "per_layer_C_T", "clusters"} <= set(record)
    assert record["method"] == "refine" and len(record["clusters"]) == 3
    for layer in record["clusters"]:
        assert sorted(len(c) for c in layer) == [5, 5, 5, 5, 6, 6]
        assert sorted(e for c in layer for e in c) == list(range(32))
    assert record["C_T"] == pytest.approx(np.mean(record["per_layer_C_T"]))
    rows = json.loads(cli("cluster", "--trace", tiny, "--clusters", "6", "--compare", "--json").out)
    assert [row["method"] for row in rows] == method_names()
    assert all(1.0 <= row["C_T"] <= 4.0 for row in rows)
    table = cli("cluster", "--trace", tiny, "--clusters", "6", "--compare", "--methods", "contiguous,greedy")
    assert table.code == 0 and "6 clusters (2 of 6, 4 of 5)" in table.out


@pytest.mark.parametrize(("clusters", "fragment"), [
    ("33", "33 clusters but only 32 experts: there are more clusters than experts"),
    ("0", "the number of clusters must be positive, got 0"),
    ("-2", "the number of clusters must be positive, got -2"),
])
def test_cli_bad_cluster_counts(cli: Callable[..., Any], tiny: Path, clusters: str, fragment: str) -> None:
    r = cli("cluster", "--trace", tiny, "--clusters", clusters, "--method", "greedy")
    assert r.code == 2 and fragment in r.err and "--clusters N with 1 <= N <= 32" in r.err
    assert "expert-cluster" not in r.err and len(r.err.strip().splitlines()) == 1
