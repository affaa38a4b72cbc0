"""Routing statistics of one layer (PAPER.md sections 2-3), vectorised with ``np.bincount``.

For a layer with ``topk`` of shape ``[T, k]`` over ``N_e`` experts:

- workload ``V_i = |{t : i in topk[t]}| / (T k)`` (sums to 1);
- co-activation ``C_ij = |{t : i, j in topk[t]}|`` (``C_ii`` = tokens of expert ``i``);
- load imbalance ``max(V) / mean(V)``; normalised entropy ``H(V) / log N_e`` (1 = uniform);
- ``C_T(a) = (1/T) sum_t |{a[e] : e in topk[t]}|`` for a clustering ``a`` (expert -> cluster):
  the mean number of distinct clusters (chiplets) a token is copied to;
- cluster sizes for ``N_c`` clusters (:func:`cluster_sizes`): ``N_e / N_c`` each when ``N_c``
  divides ``N_e``, else ``N_e mod N_c`` clusters of ``ceil(N_e / N_c)`` and the rest of
  ``floor(N_e / N_c)``; ``1 <= N_c <= N_e`` (:func:`check_cluster_count`).

Co-activation is built from the ``k^2`` index pairs of every token in chunks (memory ``O(chunk k^2)``,
time ``O(T k^2)``), never from a dense ``T x N_e`` one-hot, so 256+ experts and 100k tokens are fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb

import numpy as np

from mozartc.errors import PassError

_CHUNK = 1 << 15


def workload_counts(topk: np.ndarray, num_experts: int) -> np.ndarray:
    """Tokens per expert, ``int64 [N_e]``."""
    return np.bincount(np.asarray(topk).ravel(), minlength=num_experts).astype(np.int64)


def workload(topk: np.ndarray, num_experts: int) -> np.ndarray:
    """Normalised workload vector V (``float64 [N_e]``, sums to 1)."""
    counts = workload_counts(topk, num_experts)
    return counts / max(int(counts.sum()), 1)


def coactivation(topk: np.ndarray, num_experts: int) -> np.ndarray:
    """Co-activation counts C (``int64 [N_e, N_e]``, symmetric, diagonal = tokens per expert)."""
    ids = np.asarray(topk, dtype=np.int64)
    flat = np.zeros(num_experts * num_experts, dtype=np.int64)
    for start in range(0, ids.shape[0], _CHUNK):
        chunk = ids[start:start + _CHUNK]
        pairs = chunk[:, :, None] * num_experts + chunk[:, None, :]
        flat += np.bincount(pairs.ravel(), minlength=num_experts * num_experts)
    return flat.reshape(num_experts, num_experts)


def load_imbalance(values: np.ndarray) -> float:
    """``max / mean`` of a load vector (1.0 = perfectly balanced)."""
    v = np.asarray(values, dtype=np.float64)
    mean = float(v.mean())
    return float(v.max() / mean) if mean > 0 else 1.0


def normalised_entropy(v: np.ndarray) -> float:
    """``-sum V_i log V_i / log N_e`` in [0, 1]; 1 for uniform load."""
    p = np.asarray(v, dtype=np.float64)
    p = p / p.sum()
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum() / np.log(len(p))) if len(p) > 1 else 1.0


def as_assignment(clustering: np.ndarray | Sequence[Sequence[int]], num_experts: int) -> np.ndarray:
    """Expert -> cluster array ``int64 [N_e]`` from an assignment array or a list of clusters."""
    if isinstance(clustering, np.ndarray) and clustering.ndim == 1:
        assignment = clustering.astype(np.int64)
    else:
        assignment = np.full(num_experts, -1, dtype=np.int64)
        for c, members in enumerate(clustering):
            for e in members:
                if not 0 <= int(e) < num_experts or assignment[int(e)] != -1:
                    raise PassError(f"expert {e} is out of range or in two clusters")
                assignment[int(e)] = c
    if assignment.shape != (num_experts,) or (assignment < 0).any():
        raise PassError(f"a clustering must place each of the {num_experts} experts in one cluster")
    return assignment


def distinct_clusters(topk: np.ndarray, assignment: np.ndarray) -> np.ndarray:
    """Per token, the number of distinct clusters among its experts (``int64 [T]``)."""
    labels = np.sort(np.asarray(assignment)[np.asarray(topk)], axis=1)
    return 1 + (labels[:, 1:] != labels[:, :-1]).sum(axis=1)


def c_t(topk: np.ndarray, clustering: np.ndarray | Sequence[Sequence[int]], num_experts: int) -> float:
    """``C_T``: mean over tokens of the number of distinct clusters among the token's k experts."""
    assignment = as_assignment(clustering, num_experts)
    return float(distinct_clusters(topk, assignment).mean())


PASS_CLUSTERS_KNOB = "expert-cluster{clusters=N}"
"""How the ``expert-cluster`` pass is told the number of clusters (the default ``knob``)."""

def check_cluster_count(num_experts: int, num_clusters: int, knob: str = PASS_CLUSTERS_KNOB) -> None:
    """Raise :class:`PassError` unless ``1 <= N_c <= N_e``; ``N_c`` need not divide ``N_e``.

    ``knob`` names the setting the user can change (``expert-cluster{clusters=N}`` from the pass;
    ``mozartc cluster`` passes its flag); the message names no other.
    """
    if num_clusters <= 0:
        raise PassError(
            f"the number of clusters must be positive, got {num_clusters}; "
            f"set {knob} with 1 <= N <= {num_experts} (the number of experts)"
        )
    if num_clusters > num_experts:
        raise PassError(
            f"{num_clusters} clusters but only {num_experts} experts: there are more clusters than experts, "
            f"and a clustering puts whole experts, at least one, in every cluster (it does not split an "
            f"expert across clusters); set {knob} with 1 <= N <= {num_experts}"
        )


def cluster_sizes(num_experts: int, num_clusters: int, knob: str = PASS_CLUSTERS_KNOB) -> tuple[int, ...]:
    """The cluster sizes for ``N_e`` experts in ``N_c`` clusters, larger first.

    ``r = N_e mod N_c`` clusters of ``ceil(N_e / N_c)`` and ``N_c - r`` of ``floor(N_e / N_c)``
    (all equal when ``N_c`` divides ``N_e``). :class:`PassError` (naming ``knob``) unless
    ``1 <= N_c <= N_e``.
    """
    check_cluster_count(num_experts, num_clusters, knob)
    small, extra = divmod(num_experts, num_clusters)
    return (small + 1,) * extra + (small,) * (num_clusters - extra)


def contiguous_assignment(num_experts: int, num_clusters: int) -> np.ndarray:
    """Standard expert parallelism: consecutive experts in clusters of :func:`cluster_sizes`.

    Cluster ``c`` holds the next ``cluster_sizes(N_e, N_c)[c]`` experts (larger clusters first), so
    with ``N_c`` dividing ``N_e`` expert ``e`` is on cluster ``e // (N_e / N_c)``.
    """
    sizes = cluster_sizes(num_experts, num_clusters)
    return np.repeat(np.arange(num_clusters, dtype=np.int64), sizes)


def uniform_c_t(num_experts: int, top_k: int, num_clusters: int) -> float:
    """Closed form of ``C_T`` under uniform random top-k routing (PAPER.md s3), any cluster sizes.

    ``sum_c (1 - C(N_e - s_c, k) / C(N_e, k))`` over the sizes ``s_c`` of :func:`cluster_sizes`:
    cluster ``c`` is hit unless all k picks miss it. With equal clusters this is
    ``N_c (1 - C(N_e - N_e/N_c, k) / C(N_e, k))``.
    """
    sizes = cluster_sizes(num_experts, num_clusters)
    total = comb(num_experts, top_k)
    value = 0.0
    for size in sorted(set(sizes), reverse=True):  # one term per distinct size: equal sizes give N_c * term
        value += sizes.count(size) * (1.0 - comb(num_experts - size, top_k) / total)
    return value


def intra_share(coact: np.ndarray, assignment: np.ndarray) -> float:
    """Share of off-diagonal co-activation ``sum_{i != j} C_ij`` that stays inside clusters."""
    c = np.asarray(coact, dtype=np.float64)
    off = c.sum() - np.trace(c)
    same = assignment[:, None] == assignment[None, :]
    intra = (c * same).sum() - np.trace(c)
    return float(intra / off) if off > 0 else 1.0


def cluster_loads(v: np.ndarray, assignment: np.ndarray, num_clusters: int) -> np.ndarray:
    """Summed workload of each cluster (``float64 [N_c]``, any cluster sizes: a cluster's load is
    what its chiplet processes, however many experts it holds)."""
    return np.bincount(assignment, weights=np.asarray(v, dtype=np.float64), minlength=num_clusters)


def top_pair_share(coact: np.ndarray, fraction: float = 0.05) -> float:
    """Share of the pair co-activation ``sum_{i<j} C_ij`` carried by the top ``fraction`` of pairs."""
    c = np.asarray(coact, dtype=np.float64)
    obs = c[np.triu_indices(c.shape[0], 1)]
    if obs.sum() <= 0:
        return 0.0
    count = max(1, int(np.ceil(fraction * len(obs))))
    return float(np.sort(obs)[::-1][:count].sum() / obs.sum())


def load_matched_random(topk: np.ndarray, num_experts: int, seed: int = 0) -> np.ndarray:
    """A random router with the same loads and token count: per token, k experts drawn without
    replacement with probability ∝ V (Gumbel-top-k on ``log V``; fixed ``seed``)."""
    tokens, k = np.asarray(topk).shape
    logv = np.log(np.maximum(workload(topk, num_experts), 1e-12))
    rng = np.random.default_rng(seed)
    out = np.empty((tokens, k), dtype=np.int64)
    for start in range(0, tokens, _CHUNK):
        n = min(_CHUNK, tokens - start)
        scores = logv[None, :] + rng.gumbel(size=(n, num_experts))
        out[start:start + n] = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return out


def top_pair_ratio(topk: np.ndarray, num_experts: int, fraction: float = 0.05, seed: int = 0) -> float:
    """Top-``fraction`` pair co-activation share relative to a load-matched random router.

    ``top_pair_share(C) / top_pair_share(C_rand)`` where ``C_rand`` is the co-activation of
    :func:`load_matched_random` (same loads, same token count, so the sampling noise that makes
    random pairs uneven cancels). 1.0 = no structure; real routers give 2.4-3.2 on mixed text.
    """
    rand = coactivation(load_matched_random(topk, num_experts, seed), num_experts)
    base = top_pair_share(rand, fraction)
    return top_pair_share(coactivation(topk, num_experts), fraction) / base if base > 0 else 1.0
