"""What the clustering cache stores for one layer, and under which key (docs/clustering.md, "Cache").

The key (:func:`layer_key`) is the sha256 of every input that can change a layer's clustering: the
layer's routing (``topk [T, k]``: shape and bytes as little-endian ``int64``, so the integer width a
trace file chose does not matter), the number of experts and clusters, the method, every
:class:`ClusterOptions` field, and :func:`solver_fingerprint`: the mozartc version, a digest of the
clustering code's source files (an edited checkout never reads results of older code) and the
versions of numpy, OR-Tools and networkx, whose solvers the methods call.

The value is the method's assignment and its ``info`` (order kept); C_T and cluster loads are
measured again on the trace, by the same code as after a solve, so a cached layer is identical to a
solved one. A value that does not describe a valid clustering of the layer is ignored.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from mozartc.cache import code_fingerprint, content_key
from mozartc.solvers.clustering.base import ClusterOptions, LayerProblem, size_multiset

#: the cache namespace of per-layer clusterings
NAMESPACE = "clustering"
#: bump when the stored value's layout changes
FORMAT = 1
_LIBRARIES = ("numpy", "ortools", "networkx")

Info = dict[str, float | int | str]


@lru_cache(maxsize=1)
def solver_fingerprint() -> dict[str, str]:
    """The mozartc version, the sha256 of the clustering sources and the solver libraries' versions
    (:func:`mozartc.cache.code_fingerprint`), once per process."""
    from mozartc.traces import stats

    return code_fingerprint([*sorted(Path(__file__).resolve().parent.glob("*.py")), Path(stats.__file__)],
                            _LIBRARIES)


def layer_key(topk: np.ndarray, num_experts: int, num_clusters: int, method: str, options: ClusterOptions) -> str:
    """The cache key of clustering one layer (module docstring)."""
    header = {"kind": NAMESPACE, "format": FORMAT, "versions": solver_fingerprint(), "method": method,
              "num_experts": num_experts, "num_clusters": num_clusters, "options": asdict(options)}
    return content_key(header, np.asarray(topk, dtype="<i8"))


def encode_layer(assignment: np.ndarray, info: Info) -> dict[str, Any]:
    """The stored value: the assignment as a list and ``info`` as ordered pairs."""
    return {"format": FORMAT, "assignment": [int(x) for x in assignment],
            "info": [[k, v] for k, v in info.items()]}


def decode_layer(value: dict[str, Any], problem: LayerProblem) -> tuple[np.ndarray, Info] | None:
    """The (read-only ``int64`` assignment, info) of a stored value, or None when it does not describe
    a valid clustering of ``problem`` (every expert in one of ``N_c`` clusters of the right sizes)."""
    raw, pairs = value.get("assignment"), value.get("info")
    if value.get("format") != FORMAT or not isinstance(raw, list) or not isinstance(pairs, list):
        return None
    if len(raw) != problem.num_experts or not all(type(x) is int for x in raw):
        return None
    if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str)
               and isinstance(p[1], int | float | str) for p in pairs):
        return None
    assignment = np.array(raw, dtype=np.int64)
    if assignment.min() < 0 or assignment.max() >= problem.num_clusters:
        return None
    if size_multiset(assignment, problem.num_clusters) != problem.sizes:
        return None
    assignment.setflags(write=False)
    return assignment, {str(k): v for k, v in pairs}
