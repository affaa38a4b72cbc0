"""Baseline methods: ``contiguous`` (standard expert parallelism) and ``random``.

Unequal sizes (``N_c`` not dividing ``N_e``): ``contiguous`` keeps consecutive blocks of experts and
chooses which ``r = N_e mod N_c`` blocks hold the extra expert so that the heaviest block (tokens
routed to its experts in the layer) is as light as possible; among the choices that reach that
optimum it takes the one with the larger blocks earliest (with uniform load: the first ``r``
blocks, :func:`mozartc.traces.stats.contiguous_assignment`). ``random`` shuffles that plain layout
(larger blocks first), so it is uniformly random over the layouts with the right size multiset and
ignores load.
"""

from __future__ import annotations

import numpy as np

from mozartc.solvers.clustering.base import ClusterOptions, LayerClustering, LayerProblem
from mozartc.traces.stats import contiguous_assignment


def balanced_block_sizes(load: np.ndarray, num_clusters: int) -> list[int]:
    """Sizes of ``N_c`` consecutive blocks over experts ``0..N_e-1`` (``r`` of ``m + 1``, the rest
    of ``m``) minimising the largest block load; ties: larger blocks as early as possible.

    Dynamic programme over (block, larger blocks so far): ``rest[c][j]`` is the least possible
    heaviest block among blocks ``c..`` when ``j`` of the blocks before ``c`` are larger (their start
    is then ``c m + j``). Loads are integers, so the comparison with the optimum is exact.
    """
    n = len(load)
    m, extra = divmod(n, num_clusters)
    if extra == 0:
        return [m] * num_clusters
    prefix = np.concatenate([[0], np.cumsum(np.asarray(load, dtype=np.int64))]).tolist()

    def block(c: int, j: int, size: int) -> int:
        start = c * m + j
        return int(prefix[start + size] - prefix[start])

    infinite = float("inf")
    rest = [[infinite] * (extra + 1) for _ in range(num_clusters + 1)]
    rest[num_clusters][extra] = 0
    for c in range(num_clusters - 1, -1, -1):
        for j in range(min(c, extra) + 1):
            best = max(block(c, j, m), rest[c + 1][j])
            if j < extra:
                best = min(best, max(block(c, j, m + 1), rest[c + 1][j + 1]))
            rest[c][j] = best
    optimum, sizes, j = rest[0][0], [], 0
    for c in range(num_clusters):
        large = j < extra and max(block(c, j, m + 1), rest[c + 1][j + 1]) <= optimum
        sizes.append(m + 1 if large else m)
        j += large
    return sizes


def contiguous(problem: LayerProblem, options: ClusterOptions) -> LayerClustering:
    """Consecutive experts per cluster: expert ``e`` on cluster ``e // (N_e / N_c)`` when ``N_c``
    divides ``N_e``; otherwise the larger blocks placed by :func:`balanced_block_sizes`."""
    if problem.equal:
        return LayerClustering(contiguous_assignment(problem.num_experts, problem.num_clusters))
    sizes = balanced_block_sizes(problem.load, problem.num_clusters)
    return LayerClustering(np.repeat(np.arange(problem.num_clusters, dtype=np.int64), sizes))


def random(problem: LayerProblem, options: ClusterOptions) -> LayerClustering:
    """A uniformly random layout with the problem's cluster sizes (``np.random.default_rng(seed)``)."""
    rng = np.random.default_rng(options.seed)
    base = contiguous_assignment(problem.num_experts, problem.num_clusters)
    return LayerClustering(base[rng.permutation(problem.num_experts)])
