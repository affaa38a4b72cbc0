"""The paper's Algorithm 1 (PAPER.md section 4): greedy farthest-point expert clustering.

With ``C`` the co-activation counts (diagonal ignored), ``m = N_e / N_c`` and ties always broken
towards the lowest expert index:

1. seed pair: cluster 0 starts with ``argmax_{i<j} C_ij``;
2. seeds: for clusters ``1..N_c-1`` in order, the unassigned expert minimising
   ``sum_{a assigned} C_ea`` (assigned = the seed pair and the seeds chosen before it);
3. fill: clusters ``0..N_c-1`` in order, each until it holds ``m`` experts, adding the unassigned
   expert of highest average co-activation with the cluster's current members
   ``(1/|S|) sum_{s in S} C_es`` (equivalently the highest sum: all candidates share ``|S|``).

All seeds are placed before any cluster is filled (the paper's order: seed, then fill). When
``m = 1`` no cluster can hold the seed pair; every expert is its own cluster.
"""

from __future__ import annotations

import numpy as np

from mozartc.clustering.base import ClusterOptions, LayerClustering, LayerProblem


def greedy_clusters(coact: np.ndarray, num_clusters: int) -> list[list[int]]:
    """Algorithm 1 on ``coact``; returns the clusters as expert lists in insertion order."""
    c = np.array(coact, dtype=np.int64)
    n = c.shape[0]
    size = n // num_clusters
    if size == 1:
        return [[e] for e in range(n)]
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
    for members in clusters:
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
