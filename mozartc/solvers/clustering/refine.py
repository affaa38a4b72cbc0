"""Local search on C_T: swap two experts of different clusters (or, with unequal cluster sizes,
move one expert from a larger to a smaller cluster) while the trace's C_T drops.

For a layer with per-token cluster counts ``n_tc = |{e in topk[t] : a[e] = c}|`` the total copy
count is ``D = sum_t |{c : n_tc > 0}|`` (``C_T = D / T``). Swapping ``a`` (cluster ``A``) with
``b`` (cluster ``B``) changes ``D`` by

    delta(a, b) = G[a, B] - S[a] + P[a, b] + G[b, A] - S[b] + P[b, a]

with ``G[e, c]`` = tokens with ``e`` and no expert in ``c``; ``S[e]`` = tokens where ``e`` is
alone in its cluster; ``P[e, f]`` = tokens with ``e`` and ``f`` where ``e`` is alone in its
cluster. ``G, S, P`` are sums over tokens, so after a swap only the tokens holding ``a`` or ``b``
are re-counted. Each step takes the most negative ``delta`` (ties: lowest ``(a, b)``); the search
stops when no swap improves or after ``max_swaps``. Deterministic.

Unequal sizes (``N_c`` not dividing ``N_e``: clusters of ``m + 1`` and ``m`` experts). Swaps keep
every cluster's size. A *move* of ``e`` from a cluster ``A`` of ``m + 1`` to a cluster ``B`` of
``m`` leaves ``A`` with ``m`` and ``B`` with ``m + 1``, so the size multiset is kept too; it changes
``D`` by ``G[e, B] - S[e]``. Each step takes the best swap or move (a move only when strictly
better than the best swap; ties among moves: lowest ``(e, B)``). With equal sizes there are no
moves and the search is the swap search above. Neither kind of step looks at load.
"""

from __future__ import annotations

import time

import numpy as np

from mozartc.solvers.clustering.base import ClusterOptions, LayerClustering, LayerProblem
from mozartc.solvers.clustering.greedy import greedy


class _SwapState:
    """``n_tc``, ``G``, ``S``, ``P`` of the current assignment, updated incrementally.

    A swap of ``a`` (cluster ``A``) and ``b`` (cluster ``B``) changes ``n_tc`` only in columns
    ``A`` and ``B`` of the tokens holding ``a`` or ``b``; so only ``G[:, A]``, ``G[:, B]`` and the
    ``S``/``P`` rows of experts whose "alone in its cluster" status flips on those tokens are
    updated (all sums stay exact integers in float64, so the order of additions does not matter).
    ``P`` is kept as the symmetric ``Q = P + P^T``, the only form :meth:`best_swap` reads.
    """

    def __init__(self, topk: np.ndarray, assignment: np.ndarray, num_clusters: int, num_experts: int):
        self.topk = np.asarray(topk, dtype=np.int64)
        self.a = np.array(assignment, dtype=np.int64)
        self.nc, self.ne = num_clusters, num_experts
        tokens, k = self.topk.shape
        flat = self.topk.ravel().astype(np.int16 if num_experts <= np.iinfo(np.int16).max else np.int64)
        order = np.argsort(flat, kind="stable")  # 16-bit keys: numpy's radix sort
        bounds = np.searchsorted(flat[order], np.arange(num_experts + 1))
        owner = order // k
        self.tokens_of = [owner[bounds[e]:bounds[e + 1]] for e in range(num_experts)]
        self.mask = np.zeros(tokens, dtype=bool)
        self.count = self._counts(self.topk)
        self.g = np.zeros((self.ne, self.nc))
        self.s = np.zeros(self.ne)
        self.q = np.zeros((self.ne, self.ne))  # P + P^T
        self._not_upper = ~np.triu(np.ones((self.ne, self.ne), dtype=bool), 1)  # the pairs a >= b
        # best_swap's work arrays, reused: an N_e x N_e step allocates (and page-faults) nothing
        self._delta = np.empty((self.ne, self.ne))
        self._term = np.empty((self.ne, self.ne))
        self._blocked = np.empty((self.ne, self.ne), dtype=bool)
        self._accumulate(self.topk, self.count)

    def _counts(self, ids: np.ndarray) -> np.ndarray:
        rows = np.arange(ids.shape[0])[:, None] * self.nc + self.a[ids]
        return np.bincount(rows.ravel(), minlength=ids.shape[0] * self.nc).reshape(-1, self.nc)

    def _alone(self, ids: np.ndarray, count: np.ndarray) -> np.ndarray:
        """``[n, k]``: is the expert in each slot the only one of its cluster in its token?"""
        rows = np.arange(ids.shape[0])[:, None] * self.nc + self.a[ids]
        return count.ravel()[rows] == 1

    def _accumulate(self, ids: np.ndarray, count: np.ndarray) -> None:
        """Add the tokens ``ids`` with counts ``count`` to G, S, P.

        Per token: ``G[e, c] += [n_tc = 0]`` and, for ``e`` alone in its cluster, ``S[e] += 1`` and
        ``P[e, f] += 1`` for every expert ``f`` of the token. Counted with ``np.bincount`` over index
        pairs: ``P`` over the slots of experts alone, and ``G[e, c]`` as the tokens holding ``e``
        less those holding ``e`` and an expert of ``c`` (pairs of a slot and an occupied cluster).
        """
        ne, nc = self.ne, self.nc
        alone = self._alone(ids, count)
        token, slot = np.nonzero(alone)
        single = ids[token, slot]
        self.s += np.bincount(single, minlength=ne)
        square = np.bincount((single[:, None] * ne + ids[token]).ravel(), minlength=ne * ne).reshape(ne, ne)
        occupied_token, occupied = np.nonzero(count)
        met = np.bincount((ids[occupied_token] * nc + occupied[:, None]).ravel(), minlength=ne * nc)
        self.g += np.bincount(ids.ravel(), minlength=ne)[:, None] - met.reshape(ne, nc)
        self.q += square
        self.q += square.T

    def best_swap(self) -> tuple[int, int, float]:
        """The swap with the most negative ``delta`` (``(a, b, delta)``, ``a < b``)."""
        # G[a, B] + G[b, A]: both terms gathered row-major (G^T[A(a), b] is the transpose of G[b, A(a)])
        delta, term, blocked = self._delta, self._term, self._blocked
        np.take(self.g, self.a, axis=1, out=delta)
        np.take(np.ascontiguousarray(self.g.T), self.a, axis=0, out=term)
        delta += term
        delta -= self.s[:, None]
        delta -= self.s[None, :]
        delta += self.q
        np.equal(self.a[:, None], self.a[None, :], out=blocked)  # same cluster, or not a < b
        np.logical_or(blocked, self._not_upper, out=blocked)
        np.putmask(delta, blocked, np.inf)
        flat = int(np.argmin(delta))
        a, b = divmod(flat, self.ne)
        return a, b, float(delta[a, b])

    def best_move(self, large: int) -> tuple[int, int, float]:
        """The move of one expert from a cluster of ``large`` experts to a cluster of ``large - 1``
        with the most negative ``delta = G[e, B] - S[e]`` (``(e, B, delta)``; ties: lowest ``(e, B)``).

        Such a move only exchanges which cluster is the larger one, so the size multiset is kept.
        """
        sizes = np.bincount(self.a, minlength=self.nc)
        delta = self.g - self.s[:, None]
        delta[sizes[self.a] != large, :] = np.inf
        delta[:, sizes != large - 1] = np.inf
        flat = int(np.argmin(delta))
        e, target = divmod(flat, self.nc)
        return e, target, float(delta[e, target])

    def swap(self, a: int, b: int) -> None:
        """Exchange the clusters of experts ``a`` and ``b`` and update the tokens they touch."""
        self._relabel({a: int(self.a[b]), b: int(self.a[a])})

    def move(self, e: int, target: int) -> None:
        """Put expert ``e`` in cluster ``target`` and update the tokens it touches."""
        self._relabel({e: target})

    def _relabel(self, changes: dict[int, int]) -> None:
        """Give each expert of ``changes`` its new cluster; re-count the tokens holding them.

        Only the columns of the clusters the experts leave or join change.
        """
        for e in changes:
            self.mask[self.tokens_of[e]] = True
        touched = np.flatnonzero(self.mask)
        self.mask[touched] = False
        ids = self.topk[touched]
        k = ids.shape[1]
        old = self.count[touched]
        old_alone = self._alone(ids, old)
        columns = sorted({int(self.a[e]) for e in changes} | set(changes.values()))
        for e, c in changes.items():
            self.a[e] = c
        new = old.copy()
        labels = self.a[ids]
        for c in columns:
            new[:, c] = (labels == c).sum(axis=1)
        self.count[touched] = new
        for c in columns:
            change = (new[:, c] == 0).astype(np.int64) - (old[:, c] == 0)
            rows = np.flatnonzero(change)
            if rows.size:
                self.g[:, c] += np.bincount(ids[rows].ravel(), weights=np.repeat(change[rows], k).astype(np.float64),
                                            minlength=self.ne)
        flip = self._alone(ids, new).astype(np.int64) - old_alone
        t_idx, slot = np.nonzero(flip)
        if t_idx.size:
            weight = flip[t_idx, slot].astype(np.float64)
            experts = ids[t_idx, slot]
            self.s += np.bincount(experts, weights=weight, minlength=self.ne)
            pairs = np.concatenate([(experts[:, None] * self.ne + ids[t_idx]).ravel(),
                                    (ids[t_idx] * self.ne + experts[:, None]).ravel()])  # P and P^T
            self.q += np.bincount(pairs, weights=np.tile(np.repeat(weight, k), 2),
                                  minlength=self.ne * self.ne).reshape(self.ne, self.ne)


def strided_tokens(topk: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` tokens, evenly strided (all when ``limit`` is 0 or large enough)."""
    if limit <= 0 or topk.shape[0] <= limit:
        return topk
    return topk[np.linspace(0, topk.shape[0] - 1, limit).astype(np.int64)]


def local_search(
    problem: LayerProblem, start: np.ndarray, options: ClusterOptions
) -> tuple[np.ndarray, int]:
    """Improve ``start`` by best-improvement swaps (and, with unequal sizes, moves from a larger to
    a smaller cluster); returns the assignment and the number of accepted steps."""
    sample = strided_tokens(problem.topk, options.refine_tokens)
    state = _SwapState(sample, start, problem.num_clusters, problem.num_experts)
    steps = 0
    while steps < options.max_swaps and problem.num_clusters > 1:
        a, b, delta = state.best_swap()
        if not problem.equal:
            e, target, moved = state.best_move(problem.max_size)
            if moved < delta:  # ties: the swap
                a, b, delta = e, -1 - target, moved
        if not delta < -0.5:  # integer-valued: an improvement is at least one copy
            break
        if b < 0:
            state.move(a, -1 - b)
        else:
            state.swap(a, b)
        steps += 1
    return state.a, steps


def refine(problem: LayerProblem, options: ClusterOptions, start: np.ndarray | None = None) -> LayerClustering:
    """Algorithm 1 (or its result ``start``, when the caller has it) followed by C_T local search (kept
    only if it lowers C_T on all tokens)."""
    if start is None:
        start = greedy(problem, options).assignment
    began = time.perf_counter()
    result, swaps = local_search(problem, start, options)
    before, after = problem.c_t(start), problem.c_t(result)
    if after > before:
        result, after = start, before
    return LayerClustering(result, {"start_C_T": before, "swaps": swaps,
                                    "refine_s": time.perf_counter() - began})
