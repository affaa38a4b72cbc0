"""Cluster every layer of a trace with a registered method, and compare methods.

Shared-expert policy (DeepSeek-MoE): always-active shared experts are not clustered; they run on
the attention chiplet next to the router, so they receive no all-to-all copy and ``C_T`` counts
routed experts only (this matches PAPER.md's 64-expert top-6 figures for deepseek-moe-16b-base).
The policy is recorded in every result as ``shared_experts``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from mozartc.solvers.clustering.base import ClusterOptions, LayerProblem, canonical, check_assignment
from mozartc.solvers.clustering.registry import get_method, method_names
from mozartc.traces.format import RoutingTrace
from mozartc.traces.stats import (
    PASS_CLUSTERS_KNOB,
    c_t,
    check_cluster_count,
    cluster_loads,
    coactivation,
    intra_share,
    load_imbalance,
    workload,
)

if TYPE_CHECKING:
    from mozartc.cache import ResultCache

SHARED_EXPERT_POLICY = "attention-chiplet"


@dataclass(frozen=True, eq=False)
class TraceClustering:
    """Per-layer clusterings of a trace and their quality on it.

    ``per_layer_loads[l][c]``: the share of layer ``l``'s token-expert pairs routed to cluster ``c``
    (summed workload ``V``; ``c`` in the method's labels, see :meth:`cluster_loads` for the order of
    :meth:`clusters`). ``cached_layers``: how many layers were read from the cache, not solved.
    """

    method: str
    num_clusters: int
    assignments: tuple[np.ndarray, ...]
    per_layer_c_t: tuple[float, ...]
    per_layer_info: tuple[dict[str, float | int | str], ...]
    layer_ids: tuple[int, ...]
    num_shared_experts: int
    runtime_s: float
    per_layer_loads: tuple[np.ndarray, ...] = ()
    cached_layers: int = 0

    @property
    def c_t(self) -> float:
        """Mean C_T over layers."""
        return float(np.mean(self.per_layer_c_t))

    def clusters(self) -> list[list[list[int]]]:
        """Per layer, the clusters as sorted expert-id lists, ordered by their lowest expert."""
        out = []
        for a in self.assignments:
            labels = canonical(a)
            out.append([sorted(np.flatnonzero(labels == c).tolist()) for c in range(self.num_clusters)])
        return out

    def cluster_loads(self) -> list[list[float]]:
        """Per layer, each cluster's share of the routed load, in the order of :meth:`clusters`."""
        out = []
        for a, loads in zip(self.assignments, self.per_layer_loads, strict=True):
            _, first = np.unique(canonical(a), return_index=True)
            out.append([float(loads[a[e]]) for e in first])
        return out

    def record(self) -> dict[str, object]:
        """The DESIGN.md record (deterministic: no wall-clock fields).

        Besides ``method``, ``C_T``, ``per_layer_C_T`` and ``clusters``: ``cluster_loads`` (per layer,
        each cluster's share of the routed load, same order as ``clusters``) and
        ``per_layer_load_imbalance`` (max / mean of those shares).
        """
        infos = [{k: v for k, v in info.items() if not k.endswith("_s")} for info in self.per_layer_info]
        loads = self.cluster_loads()
        return {
            "method": self.method, "num_clusters": self.num_clusters, "C_T": self.c_t,
            "per_layer_C_T": list(self.per_layer_c_t), "clusters": self.clusters(),
            "cluster_loads": loads,
            "per_layer_load_imbalance": [load_imbalance(np.array(v)) for v in loads],
            "layer_ids": list(self.layer_ids), "per_layer_info": infos,
            "shared_experts": {"count": self.num_shared_experts, "placement": SHARED_EXPERT_POLICY},
        }

    def evaluate(self, trace: RoutingTrace) -> list[float]:
        """Per-layer C_T of these clusterings on another trace of the same layers (held-out tokens)."""
        return [c_t(trace.layer(i), a, trace.num_experts) for i, a in enumerate(self.assignments)]


_LayerResult = tuple[np.ndarray, float, dict[str, float | int | str], np.ndarray]


def _solve_layer(
    topk: np.ndarray, num_experts: int, num_clusters: int, method: str, options: ClusterOptions
) -> tuple[np.ndarray, dict[str, float | int | str]]:
    """One layer: the method's checked assignment and its info (with ``runtime_s``)."""
    began = time.perf_counter()
    problem = LayerProblem(topk, num_experts, num_clusters)
    result = get_method(method)(problem, options)
    assignment = check_assignment(result.assignment, problem)
    info = dict(result.info)
    info["runtime_s"] = time.perf_counter() - began
    return assignment, info


def _measure(topk: np.ndarray, num_experts: int, num_clusters: int, assignment: np.ndarray,
             info: dict[str, float | int | str]) -> _LayerResult:
    """A layer's result: the assignment, its C_T on ``topk``, info and cluster loads."""
    loads = cluster_loads(workload(topk, num_experts), assignment, num_clusters)
    return assignment, c_t(topk, assignment, num_experts), info, loads


def cluster_trace(
    trace: RoutingTrace,
    num_clusters: int,
    method: str,
    options: ClusterOptions | None = None,
    *,
    jobs: int = 1,
    on_layer: Callable[[int], None] | None = None,
    knob: str = PASS_CLUSTERS_KNOB,
    cache: ResultCache | None = None,
) -> TraceClustering:
    """Cluster each layer of ``trace`` into ``num_clusters`` clusters with ``method``.

    Cluster sizes follow :func:`mozartc.traces.stats.cluster_sizes` (equal when ``num_clusters``
    divides the number of experts). ``num_clusters`` outside ``1..N_e`` is a :class:`PassError`
    naming ``knob`` (default: the ``expert-cluster`` pass option). ``jobs > 1`` clusters layers in
    that many worker processes; layers are independent and every method is deterministic, so the
    result does not depend on ``jobs``. With a ``cache``, each layer is looked up first
    (:mod:`mozartc.solvers.clustering.cached`) and the layers solved now are stored; a cached layer is
    identical to a solved one except for its ``runtime_s``, which is that of the solve that stored it.
    """
    check_cluster_count(trace.num_experts, num_clusters, knob)
    get_method(method)
    opts = options or ClusterOptions()
    began = time.perf_counter()
    layers = [trace.layer(i) for i in range(trace.num_layers)]
    found: dict[int, tuple[np.ndarray, dict[str, float | int | str]]] = {}
    keys: list[str] = []
    if cache is not None:
        from mozartc.solvers.clustering.cached import NAMESPACE, decode_layer, layer_key

        keys = [layer_key(topk, trace.num_experts, num_clusters, method, opts) for topk in layers]
        for index, (topk, key) in enumerate(zip(layers, keys, strict=True)):
            problem = LayerProblem(topk, trace.num_experts, num_clusters)
            decoded = cache.get(NAMESPACE, key, partial(decode_layer, problem=problem))
            if decoded is not None:
                found[index] = decoded
    todo = [i for i in range(trace.num_layers) if i not in found]
    args = [(layers[i], trace.num_experts, num_clusters, method, opts) for i in todo]
    if jobs > 1 and len(todo) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=context) as pool:
            solved = pool.map(_solve_layer, *zip(*args, strict=True))
            _gather(solved, todo, found, on_layer)
    else:
        _gather((_solve_layer(*a) for a in args), todo, found, on_layer)
    if cache is not None:
        from mozartc.solvers.clustering.cached import NAMESPACE, encode_layer

        for index in todo:
            cache.put(NAMESPACE, keys[index], encode_layer(*found[index]))
    results = [_measure(layers[i], trace.num_experts, num_clusters, *found[i]) for i in range(trace.num_layers)]
    return TraceClustering(
        method=method, num_clusters=num_clusters, assignments=tuple(r[0] for r in results),
        per_layer_c_t=tuple(r[1] for r in results), per_layer_info=tuple(r[2] for r in results),
        layer_ids=trace.layer_ids, num_shared_experts=trace.num_shared_experts,
        runtime_s=time.perf_counter() - began, per_layer_loads=tuple(r[3] for r in results),
        cached_layers=trace.num_layers - len(todo),
    )


def _gather(solved: Iterable[tuple[np.ndarray, dict[str, float | int | str]]], todo: list[int],
            found: dict[int, tuple[np.ndarray, dict[str, float | int | str]]],
            on_layer: Callable[[int], None] | None) -> None:
    """Put the solved layers ``todo`` into ``found``, reporting progress per layer (cached ones first)."""
    if on_layer is not None:
        for index in sorted(found):
            on_layer(index)
    for index, result in zip(todo, solved, strict=True):
        found[index] = result
        if on_layer is not None:
            on_layer(index)


def quality(trace: RoutingTrace, clustering: TraceClustering) -> dict[str, float]:
    """Mean over layers of the intra-cluster co-activation share and the cluster load imbalance."""
    shares, imbalances = [], []
    for index, a in enumerate(clustering.assignments):
        topk = trace.layer(index)
        shares.append(intra_share(coactivation(topk, trace.num_experts), a))
        loads = cluster_loads(workload(topk, trace.num_experts), a, clustering.num_clusters)
        imbalances.append(load_imbalance(loads))
    return {"intra_share": float(np.mean(shares)), "cluster_load_imbalance": float(np.mean(imbalances))}


def compare(
    trace: RoutingTrace,
    num_clusters: int,
    methods: list[str] | None = None,
    options: ClusterOptions | None = None,
    *,
    jobs: int = 1,
    on_layer: Callable[[int], None] | None = None,
    knob: str = PASS_CLUSTERS_KNOB,
    cache: ResultCache | None = None,
) -> list[dict[str, object]]:
    """Every method (default: all registered) on ``trace``: C_T, intra share, load imbalance, time
    (``runtime_s``: wall time of this call; ``cached_layers`` says how many layers came from ``cache``)."""
    rows: list[dict[str, object]] = []
    for name in methods or method_names():
        result = cluster_trace(trace, num_clusters, name, options, jobs=jobs, on_layer=on_layer, knob=knob,
                               cache=cache)
        row: dict[str, object] = {"method": name, "C_T": result.c_t,
                                  "per_layer_C_T": list(result.per_layer_c_t)}
        row.update(quality(trace, result))
        row["runtime_s"] = result.runtime_s
        row["cached_layers"] = result.cached_layers
        rows.append(row)
    return rows
