"""Baseline methods: ``contiguous`` (standard expert parallelism) and ``random``."""

from __future__ import annotations

import numpy as np

from mozartc.clustering.base import ClusterOptions, LayerClustering, LayerProblem
from mozartc.traces.stats import contiguous_assignment


def contiguous(problem: LayerProblem, options: ClusterOptions) -> LayerClustering:
    """Expert ``e`` on cluster ``e // (N_e / N_c)`` (the layout-unaware baseline)."""
    return LayerClustering(contiguous_assignment(problem.num_experts, problem.num_clusters))


def random(problem: LayerProblem, options: ClusterOptions) -> LayerClustering:
    """A uniformly random equal-size layout (``np.random.default_rng(seed)``)."""
    rng = np.random.default_rng(options.seed)
    base = contiguous_assignment(problem.num_experts, problem.num_clusters)
    return LayerClustering(base[rng.permutation(problem.num_experts)])
