"""The clustering method interface: one layer's problem in, an expert -> cluster map out.

A method is a callable ``(problem: LayerProblem, options: ClusterOptions) -> LayerClustering``.
``problem`` holds the layer's routing (``topk [T, k]``), ``N_e``, ``N_c``, the cluster sizes and the
co-activation ``C`` (computed once, on demand); the result's ``assignment[e]`` is expert ``e``'s
cluster, and ``info`` reports what the method knows (objective, bound, gap, status, run time).

Cluster sizes (:func:`mozartc.traces.stats.cluster_sizes`): ``N_e / N_c`` each when ``N_c`` divides
``N_e``; otherwise ``r = N_e mod N_c`` clusters of ``ceil(N_e / N_c)`` and the rest of
``floor(N_e / N_c)``. An assignment is valid when its multiset of cluster sizes is exactly that:
the method decides which clusters are the larger ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from mozartc.errors import PassError
from mozartc.traces.stats import c_t, cluster_sizes, coactivation, workload_counts


@dataclass(frozen=True)
class ClusterOptions:
    """Options shared by all methods (a method ignores the ones it does not use).

    ``time_limit``: CP-SAT deterministic time per layer (about seconds of one core);
    ``workers``: CP-SAT search workers (1 keeps the solve deterministic);
    ``seed``: random seed (``random`` method, CP-SAT);
    ``max_swaps``: cap on accepted local-search swaps per layer;
    ``refine_tokens``: local search measures C_T on at most this many tokens (evenly strided;
    0 = all); the result is always re-measured on all tokens;
    ``max_pairs``: expert pairs the CP-SAT model carries, strongest first (0 = ``4 N_e``);
    ``cpsat_max_experts``: ``cpsat`` runs the CP-SAT solve only on layers of at most this many
    experts (0 = always); larger layers keep the refined greedy layout, because there CP-SAT
    spends its whole budget without improving the hint (docs/clustering.md, "Speed").
    """

    time_limit: float = 0.1
    workers: int = 1
    seed: int = 0
    max_swaps: int = 400
    refine_tokens: int = 32768
    max_pairs: int = 0
    cpsat_max_experts: int = 32

    def __post_init__(self) -> None:
        if self.time_limit <= 0:
            raise PassError(f"time limit must be positive, got {self.time_limit}", where="time-limit")
        for name in ("workers",):
            if getattr(self, name) < 1:
                raise PassError(f"{name} must be >= 1", where=name)
        for name in ("max_swaps", "refine_tokens", "max_pairs", "cpsat_max_experts"):
            if getattr(self, name) < 0:
                raise PassError(f"{name} must be >= 0", where=name)


@dataclass(frozen=True)
class LayerProblem:
    """One layer to cluster: ``topk [T, k]`` over ``num_experts`` experts into ``num_clusters``."""

    topk: np.ndarray
    num_experts: int
    num_clusters: int

    def __post_init__(self) -> None:
        cluster_sizes(self.num_experts, self.num_clusters)  # PassError unless 1 <= N_c <= N_e

    @property
    def sizes(self) -> tuple[int, ...]:
        """Cluster sizes, larger first (:func:`mozartc.traces.stats.cluster_sizes`)."""
        return cluster_sizes(self.num_experts, self.num_clusters)

    @property
    def max_size(self) -> int:
        """The largest cluster size, ``ceil(N_e / N_c)``."""
        return -(-self.num_experts // self.num_clusters)

    @property
    def min_size(self) -> int:
        """The smallest cluster size, ``floor(N_e / N_c)``."""
        return self.num_experts // self.num_clusters

    @property
    def equal(self) -> bool:
        """True when ``N_c`` divides ``N_e`` (every cluster the same size)."""
        return self.num_experts % self.num_clusters == 0

    @cached_property
    def load(self) -> np.ndarray:
        """Tokens routed to each expert (``int64 [N_e]``: the unnormalised workload ``V``)."""
        return workload_counts(self.topk, self.num_experts)

    @cached_property
    def coact(self) -> np.ndarray:
        """Co-activation counts ``C`` (``int64 [N_e, N_e]``)."""
        return coactivation(self.topk, self.num_experts)

    def c_t(self, assignment: np.ndarray) -> float:
        """``C_T`` of ``assignment`` on this layer's tokens."""
        return c_t(self.topk, assignment, self.num_experts)


@dataclass(frozen=True)
class LayerClustering:
    """A method's answer for one layer: ``assignment [N_e]`` and what it reports in ``info``."""

    assignment: np.ndarray
    info: dict[str, float | int | str] = field(default_factory=dict)


def size_multiset(assignment: np.ndarray, num_clusters: int) -> tuple[int, ...]:
    """The cluster sizes of ``assignment``, larger first (comparable with ``problem.sizes``)."""
    counts = np.bincount(np.asarray(assignment, dtype=np.int64), minlength=num_clusters)
    return tuple(sorted((int(x) for x in counts), reverse=True))


def check_assignment(assignment: np.ndarray, problem: LayerProblem) -> np.ndarray:
    """Validate an assignment (every expert in one of ``N_c`` clusters, sizes = ``problem.sizes``
    as a multiset); return it as a read-only ``int64`` array."""
    a = np.asarray(assignment, dtype=np.int64)
    valid = a.shape == (problem.num_experts,) and a.size > 0 and a.min() >= 0 and a.max() < problem.num_clusters
    if not valid or size_multiset(a, problem.num_clusters) != problem.sizes:
        raise AssertionError(f"clustering method returned an assignment whose cluster sizes are not "
                             f"{problem.sizes} (or a malformed one): {a}")
    a = a.copy()
    a.setflags(write=False)
    return a


def canonical(assignment: np.ndarray) -> np.ndarray:
    """Relabel clusters in order of their lowest expert (cluster of expert 0 becomes 0, ...)."""
    a = np.asarray(assignment, dtype=np.int64)
    _, first = np.unique(a, return_index=True)
    order = np.argsort(first, kind="stable")
    relabel = np.empty(len(order), dtype=np.int64)
    relabel[np.unique(a)[order]] = np.arange(len(order))
    return relabel[a]
