"""The clustering cache: a cached layer is the solved one; keys follow every input; bad entries are re-solved."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mozartc.cache import ResultCache
from mozartc.solvers.clustering import ClusterOptions, LayerProblem, cluster_trace
from mozartc.solvers.clustering.api import TraceClustering
from mozartc.solvers.clustering.cached import NAMESPACE, decode_layer, layer_key, solver_fingerprint
from mozartc.traces import synthesize
from mozartc.traces.format import RoutingTrace
from mozartc.version import __version__

FAST = ClusterOptions(time_limit=0.1)


@pytest.fixture(scope="module")
def trace() -> RoutingTrace:
    return synthesize(3, 16, 2, 800, seed=1)


def _same(a: TraceClustering, b: TraceClustering) -> None:
    """Every field but wall times equal (``runtime_s`` of a cached layer is its original solve's)."""
    assert a.record() == b.record()
    assert all(np.array_equal(x, y) for x, y in zip(a.assignments, b.assignments, strict=True))
    assert all(np.array_equal(x, y) for x, y in zip(a.per_layer_loads, b.per_layer_loads, strict=True))
    assert a.per_layer_c_t == b.per_layer_c_t


@pytest.mark.parametrize("method", ["greedy", "cpsat", "kl"])
def test_cached_equals_solved(trace: RoutingTrace, tmp_path: Path, method: str) -> None:
    solved = cluster_trace(trace, 4, method, FAST)
    cache = ResultCache(tmp_path)
    first = cluster_trace(trace, 4, method, FAST, cache=cache)
    assert (first.cached_layers, cache.stats.writes, cache.stats.hits) == (0, 3, 0)
    second = cluster_trace(trace, 4, method, FAST, cache=cache)
    assert (second.cached_layers, cache.stats.writes, cache.stats.hits) == (3, 3, 3)
    _same(solved, first)
    _same(solved, second)
    assert second.per_layer_info == first.per_layer_info  # runtime_s included: the stored solve's


def test_layers_are_cached_one_by_one(trace: RoutingTrace, tmp_path: Path) -> None:
    """A trace sharing a layer with an earlier one reuses that layer (content-addressed, not per trace)."""
    cache = ResultCache(tmp_path)
    cluster_trace(RoutingTrace(trace.topk[:1], 16, 2), 4, "greedy", FAST, cache=cache)
    mixed = RoutingTrace(trace.topk[[2, 0]], 16, 2, layer_ids=(7, 9))
    result = cluster_trace(mixed, 4, "greedy", FAST, cache=cache)
    assert result.cached_layers == 1 and result.layer_ids == (7, 9)
    _same(result, cluster_trace(mixed, 4, "greedy", FAST))


def test_key_follows_every_input(trace: RoutingTrace) -> None:
    topk = trace.layer(0)
    base = layer_key(topk, 16, 4, "cpsat", FAST)
    assert layer_key(topk.astype(np.int32), 16, 4, "cpsat", FAST) == base  # integer width does not matter
    other = topk.copy()
    other[0, 0], other[0, 1] = other[0, 1], other[0, 0]
    changed = [
        layer_key(other, 16, 4, "cpsat", FAST),
        layer_key(topk[:-1], 16, 4, "cpsat", FAST),
        layer_key(topk, 17, 4, "cpsat", FAST),
        layer_key(topk, 16, 8, "cpsat", FAST),
        layer_key(topk, 16, 4, "greedy", FAST),
        layer_key(topk, 16, 4, "cpsat", replace(FAST, time_limit=0.2)),
        layer_key(topk, 16, 4, "cpsat", replace(FAST, seed=1)),
        layer_key(topk, 16, 4, "cpsat", replace(FAST, cpsat_max_experts=8)),
    ]
    assert len({base, *changed}) == len(changed) + 1
    assert solver_fingerprint()["mozartc"] == __version__
    assert len(solver_fingerprint()["code"]) == 64


def test_decode_rejects_what_is_not_a_clustering_of_the_layer() -> None:
    problem = LayerProblem(np.array([[0, 1], [2, 3]]), 4, 2)
    good = {"format": 1, "assignment": [0, 0, 1, 1], "info": [["status", "OPTIMAL"], ["runtime_s", 0.5]]}
    assignment, info = decode_layer(good, problem) or (None, None)
    assert assignment is not None and assignment.tolist() == [0, 0, 1, 1]
    assert list(info or {}) == ["status", "runtime_s"]  # order kept
    for bad in ({**good, "format": 2}, {**good, "assignment": [0, 0, 1]}, {**good, "assignment": [0, 0, 0, 1]},
                {**good, "assignment": [0, 0, 1, 2]}, {**good, "assignment": [0, 0, 1, -1]},
                {**good, "assignment": [0, 0, 1, 1.0]}, {**good, "assignment": [0, 0, 1, True]},
                {**good, "info": [["status"]]}, {**good, "info": {"status": "x"}}, {"assignment": [0, 0, 1, 1]}):
        assert decode_layer(bad, problem) is None, bad


@pytest.mark.parametrize("damage", ["garbage", "wrong sizes", "truncated"])
def test_damaged_entry_is_solved_again_and_rewritten(trace: RoutingTrace, tmp_path: Path, damage: str) -> None:
    cache = ResultCache(tmp_path)
    clean = cluster_trace(trace, 4, "greedy", FAST, cache=cache)
    path = cache.path(NAMESPACE, layer_key(trace.layer(1), 16, 4, "greedy", FAST))
    entry = json.loads(path.read_text())
    stored = list(entry["value"]["assignment"])
    if damage == "garbage":
        path.write_bytes(b"\x00\xff not json")
    elif damage == "wrong sizes":
        entry["value"]["assignment"] = [0] * 16
        path.write_text(json.dumps(entry))
    else:
        path.write_text(path.read_text()[:20])
    again = ResultCache(tmp_path)
    result = cluster_trace(trace, 4, "greedy", FAST, cache=again)
    assert (result.cached_layers, again.stats.corrupt, again.stats.writes) == (2, 1, 1)
    _same(result, clean)
    assert json.loads(path.read_text())["value"]["assignment"] == stored  # rewritten whole


def test_parallel_layers_fill_the_cache_the_same(trace: RoutingTrace, tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    parallel = cluster_trace(trace, 4, "greedy", FAST, jobs=2, cache=cache)
    assert cache.stats.writes == 3
    _same(parallel, cluster_trace(trace, 4, "greedy", FAST))
    warm = cluster_trace(trace, 4, "greedy", FAST, jobs=2, cache=cache)
    assert warm.cached_layers == 3
    _same(warm, parallel)
