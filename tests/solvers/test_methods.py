"""Every registered method: equal sizes, determinism; cpsat+refine beats greedy on structured traces."""

from __future__ import annotations

import numpy as np
import pytest

from mozartc.errors import PassError
from mozartc.frontend import trace_shape
from mozartc.solvers.clustering import ClusterOptions, LayerProblem, cluster_trace, get_method, method_names
from mozartc.solvers.clustering.base import canonical
from mozartc.traces import synthesize, synthesize_model

FAST = ClusterOptions(time_limit=0.1)


@pytest.fixture(scope="module")
def layer() -> LayerProblem:
    trace = synthesize(1, 32, 4, 3000, seed=0)
    return LayerProblem(trace.layer(0), 32, 8)


@pytest.mark.parametrize("name", method_names())
def test_equal_sizes_and_deterministic(name: str, layer: LayerProblem) -> None:
    first = get_method(name)(layer, FAST).assignment
    assert np.bincount(first, minlength=8).tolist() == [4] * 8
    assert np.array_equal(first, get_method(name)(layer, FAST).assignment)


def test_contiguous_layout(layer: LayerProblem) -> None:
    assert get_method("contiguous")(layer, FAST).assignment.tolist() == [e // 4 for e in range(32)]


def test_refine_never_worse_than_greedy(layer: LayerProblem) -> None:
    greedy = layer.c_t(get_method("greedy")(layer, FAST).assignment)
    assert layer.c_t(get_method("refine")(layer, FAST).assignment) <= greedy


def test_cpsat_reports_solver_figures(layer: LayerProblem) -> None:
    info = get_method("cpsat")(layer, FAST).info
    assert info["status"] in ("OPTIMAL", "FEASIBLE")
    assert float(info["bound"]) >= float(info["objective"]) and 0 <= float(info["gap"]) <= 1


def test_unknown_method_and_bad_clusters() -> None:
    with pytest.raises(PassError, match="unknown clustering method 'nope'"):
        get_method("nope")
    with pytest.raises(PassError, match="33 clusters but only 32 experts: there are more clusters than experts"):
        LayerProblem(np.zeros((1, 2), dtype=int), 32, 33)
    with pytest.raises(PassError, match="must be positive, got 0"):
        LayerProblem(np.zeros((1, 2), dtype=int), 32, 0)


def test_canonical_relabels_by_lowest_expert() -> None:
    assert canonical(np.array([2, 0, 2, 1, 0, 1])).tolist() == [0, 1, 0, 2, 1, 2]


@pytest.mark.parametrize("model", ["qwen3-30b-a3b", "olmoe-1b-7b-0924", "deepseek-moe-16b-base"])
def test_cpsat_beats_greedy_on_structured_traces(model: str) -> None:
    """Acceptance: cpsat (+refine) <= greedy on every layer and strictly lower on average."""
    full = synthesize_model(trace_shape(model), 6000, seed=0)
    trace = type(full)(topk=full.topk[:3], num_experts=full.num_experts, top_k=full.top_k,
                       layer_ids=full.layer_ids[:3])
    greedy = cluster_trace(trace, 16, "greedy", FAST)
    cpsat = cluster_trace(trace, 16, "cpsat", FAST)
    assert all(c <= g for c, g in zip(cpsat.per_layer_c_t, greedy.per_layer_c_t, strict=True))
    assert cpsat.c_t < greedy.c_t - 0.02
    contiguous = cluster_trace(trace, 16, "contiguous", FAST)
    assert greedy.c_t < contiguous.c_t


def test_jobs_do_not_change_results() -> None:
    trace = synthesize(2, 32, 4, 2000, seed=1)
    one = cluster_trace(trace, 8, "refine", FAST)
    two = cluster_trace(trace, 8, "refine", FAST, jobs=2)
    assert one.record() == two.record()


def test_record_shape() -> None:
    trace = synthesize_model(trace_shape("tiny-moe"), 500, seed=0)
    record = cluster_trace(trace, 8, "greedy").record()
    assert set(record) >= {"method", "C_T", "per_layer_C_T", "clusters", "shared_experts"}
    clusters = record["clusters"]
    assert isinstance(clusters, list) and len(clusters) == 3
    assert sorted(e for c in clusters[0] for e in c) == list(range(32))
    assert record["shared_experts"] == {"count": 1, "placement": "attention-chiplet"}


@pytest.mark.parametrize("name", ["kl", "greedy", "cpsat"])
def test_clusters_not_a_power_of_two(name: str) -> None:
    trace = synthesize(1, 60, 4, 1500, seed=2)
    problem = LayerProblem(trace.layer(0), 60, 15)
    assert np.bincount(get_method(name)(problem, FAST).assignment).tolist() == [4] * 15
