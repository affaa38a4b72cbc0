"""The paper's Algorithm 1 (PAPER.md section 4): greedy farthest-point expert clustering.

With ``C`` the co-activation counts (diagonal ignored), ``s_c`` the size of cluster ``c`` (below)
and ties always broken towards the lowest expert index:

1. seed pair: cluster 0 starts with ``argmax_{i<j} C_ij``;
2. seeds: for clusters ``1..N_c-1`` in order, the unassigned expert minimising
   ``sum_{a assigned} C_ea`` (assigned = the seed pair and the seeds chosen before it);
3. fill: clusters ``0..N_c-1`` in order, each until it holds ``s_c`` experts, adding the unassigned
   expert of highest average co-activation with the cluster's current members
   ``(1/|S|) sum_{s in S} C_es`` (equivalently the highest sum: all candidates share ``|S|``).

All seeds are placed before any cluster is filled (the paper's order: seed, then fill). When
every cluster holds one expert no cluster can hold the seed pair; every expert is its own cluster.

Sizes. When ``N_c`` divides ``N_e`` every ``s_c = N_e / N_c`` (the paper). Otherwise ``r = N_e mod
N_c`` clusters hold ``ceil(N_e / N_c)`` and the others ``floor(N_e / N_c)``
(:func:`mozartc.traces.stats.cluster_sizes`), and the larger sizes go to the **last** ``r``
clusters of the seed/fill order: those are filled last, from the experts no earlier cluster took,
which are mostly the lightly loaded ones (co-activation counts grow with load, so every fill step
prefers heavy experts). The larger clusters so get the lighter experts: on synthetic traces this
cut the cluster load max/mean by 0.06-0.16 against giving the larger sizes to the first ``r``
clusters, for a C_T at most 1.5% higher (docs/clustering.md, "Unequal clusters"). One exception:
when ``floor(N_e / N_c) = 1``, cluster 0 must hold the seed pair, so it is one of the larger
clusters, with the last ``r - 1``. A size-1 cluster is its seed alone (it is never filled).
"""

from __future__ import annotations

import numpy as np

from mozartc.solvers.clustering.base import ClusterOptions, LayerClustering, LayerProblem
from mozartc.traces.stats import cluster_sizes


def fill_order_sizes(num_experts: int, num_clusters: int) -> list[int]:
    """Target size of each cluster in Algorithm 1's seed/fill order (module docstring).

    The larger sizes go to the last ``r`` clusters, except that cluster 0 (the seed pair) is a
    larger one when the smaller size is 1. Equal sizes when ``N_c`` divides ``N_e``.
    """
    sizes = cluster_sizes(num_experts, num_clusters)
    small, extra = sizes[-1], sizes.count(sizes[0]) if sizes[0] != sizes[-1] else 0
    order = [small] * (num_clusters - extra) + [small + 1] * extra
    if extra and small == 1 and num_clusters > 1:
        order = [small + 1] + [small] * (num_clusters - extra) + [small + 1] * (extra - 1)
    return order


def greedy_clusters(coact: np.ndarray, num_clusters: int, sizes: list[int] | None = None) -> list[list[int]]:
    """Algorithm 1 on ``coact``; returns the clusters as expert lists in insertion order.

    ``sizes[c]``: the size of the ``c``-th cluster in seed/fill order (default
    :func:`fill_order_sizes`; ``sizes[0] >= 2`` unless every size is 1).
    """
    c = np.array(coact, dtype=np.int64)
    n = c.shape[0]
    target = fill_order_sizes(n, num_clusters) if sizes is None else list(sizes)
    if len(target) != num_clusters or sum(target) != n or min(target) < 1:
        raise ValueError(f"sizes {target} do not split {n} experts into {num_clusters} clusters")
    if max(target) == 1:
        return [[e] for e in range(n)]
    if target[0] < 2:
        raise ValueError(f"cluster 0 holds the seed pair: sizes[0] must be >= 2, got {target}")
    np.fill_diagonal(c, 0)
    upper = np.where(np.triu(np.ones((n, n), dtype=bool), 1), c, -1)
    i, j = divmod(int(np.argmax(upper)), n)
    clusters: list[list[int]] = [[i, j]]
    free = np.ones(n, dtype=bool)
    free[[i, j]] = False
    pull = c[i] + c[j]  # co-activation of every expert with all experts assigned so far
    for _ in range(1, num_clusters):
        seed = int(np.argmin(np.where(free, pull, np.iinfo(np.int64).max)))
        clusters.append([seed])
        free[seed] = False
        pull = pull + c[seed]
    for members, size in zip(clusters, target, strict=True):
        total = c[members].sum(axis=0)
        while len(members) < size:
            best = int(np.argmax(np.where(free, total, -1)))
            members.append(best)
            free[best] = False
            total = total + c[best]
    return clusters


def greedy(problem: LayerProblem, options: ClusterOptions) -> LayerClustering:
    """Algorithm 1 on the layer's co-activation matrix."""
    assignment = np.empty(problem.num_experts, dtype=np.int64)
    for index, members in enumerate(greedy_clusters(problem.coact, problem.num_clusters)):
        assignment[members] = index
    return LayerClustering(assignment)
