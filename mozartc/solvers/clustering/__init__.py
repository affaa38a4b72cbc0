"""Expert clustering: one registry of methods (contiguous, random, greedy = Algorithm 1, refine,
kl, cpsat) and the drivers that cluster every layer of a trace and compare methods.

OR-Tools and networkx are imported only when their method runs.
"""

from mozartc.solvers.clustering.api import SHARED_EXPERT_POLICY, TraceClustering, cluster_trace, compare, quality
from mozartc.solvers.clustering.base import ClusterOptions, LayerClustering, LayerProblem
from mozartc.solvers.clustering.registry import DESCRIPTIONS, METHODS, get_method, method_names

__all__ = [
    "DESCRIPTIONS",
    "METHODS",
    "SHARED_EXPERT_POLICY",
    "ClusterOptions",
    "LayerClustering",
    "LayerProblem",
    "TraceClustering",
    "cluster_trace",
    "compare",
    "get_method",
    "method_names",
    "quality",
]
