"""The one registry of clustering methods: name -> ``"module:function"``, imported on first use.

Every method has the signature of :mod:`mozartc.solvers.clustering.base`. Importing this module imports
neither OR-Tools nor networkx.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from mozartc.errors import PassError
from mozartc.solvers.clustering.base import ClusterOptions, LayerClustering, LayerProblem

Method = Callable[[LayerProblem, ClusterOptions], LayerClustering]

METHODS: dict[str, str] = {
    "contiguous": "mozartc.solvers.clustering.simple:contiguous",
    "random": "mozartc.solvers.clustering.simple:random",
    "greedy": "mozartc.solvers.clustering.greedy:greedy",
    "refine": "mozartc.solvers.clustering.refine:refine",
    "kl": "mozartc.solvers.clustering.graph:kl",
    "cpsat": "mozartc.solvers.clustering.cpsat:cpsat",
}

DESCRIPTIONS: dict[str, str] = {
    "contiguous": "standard expert parallelism: consecutive experts, e // (N_e/N_c) when N_c divides N_e",
    "random": "seeded uniformly random layout with the cluster sizes",
    "greedy": "the paper's Algorithm 1 (farthest-point seeds, average-co-activation fill)",
    "refine": "Algorithm 1 then best-improvement swaps (and larger-to-smaller moves) on the trace's C_T",
    "kl": "recursive Kernighan-Lin bisection of the co-activation graph (networkx)",
    "cpsat": "OR-Tools CP-SAT max intra-cluster co-activation, greedy hint, then C_T swaps",
}


def method_names() -> list[str]:
    """Registered method names in registry order."""
    return list(METHODS)


def get_method(name: str) -> Method:
    """The method called ``name`` (imported now); :class:`PassError` listing the names otherwise."""
    try:
        target = METHODS[name]
    except KeyError:
        raise PassError(f"unknown clustering method '{name}'; expected one of: {', '.join(METHODS)}",
                        where="method") from None
    module, _, attr = target.partition(":")
    method: Method = getattr(importlib.import_module(module), attr)
    return method
