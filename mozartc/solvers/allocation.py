"""Allocate expert clusters to DRAM groups (PAPER.md section 5, the binary integer program).

Variables ``M[i, j] in {0, 1}``: cluster ``j`` goes to group ``i``. Constraints: every cluster in
exactly one group, every group gets ``N_c / N_g`` clusters. Objective: minimise the L1 distance of
each group's workload share from ``1 / N_g``::

    minimise  sum_i | sum_j M[i, j] * w_j  -  W / N_g |        with W = sum_j w_j

Workloads are integers (token-expert counts from a trace), so the program is solved exactly on
``N_g * load_i - W`` (all integers, same optimum). For 2 or 4 groups of a few clusters (the paper's
16 clusters in 4 groups of 4) an exhaustive search in numpy proves the optimum in about a
millisecond (:func:`_exact_two_level`); other shapes use OR-Tools CP-SAT. Group ``i`` gets clusters in
descending workload order within the group; the heaviest goes to the group's first chiplet.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import numpy as np

from mozartc.errors import PassError

_MAX_SUBSETS = 4096  # exhaustive search when C(N_c, N_c / N_g) is at most this (C(16, 4) = 1820)


@dataclass(frozen=True)
class GroupAllocation:
    """Cluster -> group, the groups' workloads, the L1 objective and whether it is proven optimal."""

    group_of_cluster: tuple[int, ...]
    group_load: tuple[int, ...]
    objective: float
    optimal: bool
    method: str

    def shares(self) -> list[float]:
        """Each group's share of the total workload (sums to 1)."""
        total = sum(self.group_load) or 1
        return [g / total for g in self.group_load]


def l1_imbalance(group_load: list[int] | tuple[int, ...]) -> float:
    """``sum_i |load_i / W - 1 / N_g|``: the paper's objective as shares (0 is perfectly balanced)."""
    total = sum(group_load) or 1
    n = len(group_load)
    return sum(abs(g / total - 1 / n) for g in group_load)


def _check(loads: list[int], groups: int) -> int:
    if groups <= 0 or len(loads) % groups:
        raise PassError(f"{len(loads)} clusters cannot be split equally over {groups} DRAM groups "
                        "(N_c must be a multiple of N_g)")
    if any(w < 0 for w in loads):
        raise PassError("cluster workloads must be non-negative")
    return len(loads) // groups


def _result(assign: list[int], loads: list[int], groups: int, optimal: bool, method: str) -> GroupAllocation:
    group_load = [0] * groups
    for cluster, group in enumerate(assign):
        group_load[group] += loads[cluster]
    return GroupAllocation(tuple(assign), tuple(group_load), l1_imbalance(group_load), optimal, method)


def allocate_round_robin(loads: list[int], groups: int) -> GroupAllocation:
    """Contiguous baseline: cluster ``j`` to group ``j // (N_c / N_g)`` (chiplet ``j`` of the wafer)."""
    per = _check(loads, groups)
    return _result([j // per for j in range(len(loads))], loads, groups, False, "round-robin")


def allocate_bip(loads: list[int], groups: int, time_limit: float = 10.0) -> GroupAllocation:
    """Solve the paper's allocation program exactly: exhaustively (2 or 4 groups of few clusters)
    or with CP-SAT (one worker, fixed seed: deterministic).

    ``time_limit`` is CP-SAT *deterministic* time (about seconds of work, but reproducible, unlike
    wall time). Warm-started from the longest-processing-time assignment; when the limit stops the
    search before optimality is proven, the best assignment found is returned with ``optimal=False``.
    """
    per = _check(loads, groups)
    n = len(loads)
    if groups == 1:
        return _result([0] * n, loads, groups, True, "bip")
    if groups in (2, 4) and len(_subsets(n, per)[0]) <= _MAX_SUBSETS:
        exact = _result(_exact_two_level(loads, groups, per), loads, groups, True, "bip")
        warm = _result(_lpt(loads, groups, per), loads, groups, True, "bip")
        # among optima prefer the LPT warm start, as the CP-SAT solve (hinted with it) does
        return warm if _scaled_cost(warm.group_load, total=sum(loads)) <= _scaled_cost(
            exact.group_load, total=sum(loads)) else exact
    return _allocate_cpsat(loads, groups, per, time_limit)


def _scaled_cost(group_load: tuple[int, ...], total: int) -> int:
    """The integer objective ``sum_i |N_g load_i - W|``."""
    return sum(abs(len(group_load) * g - total) for g in group_load)


@lru_cache(maxsize=8)
def _subsets(n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """All ``size``-subsets of ``range(n)``: ascending bitmasks ``[S]`` and a 0/1 membership matrix ``[S, n]``."""
    combos = np.array(list(combinations(range(n), size)), dtype=np.int64).reshape(-1, size)
    member = np.zeros((len(combos), n), dtype=np.int64)
    np.put_along_axis(member, combos, 1, axis=1)
    masks = (member << np.arange(n)).sum(axis=1)
    order = np.argsort(masks)
    return masks[order], member[order]


@lru_cache(maxsize=8)
def _halves(n: int, per: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unordered pairs of disjoint ``per``-subsets grouped by their union (a "half" of 2 per clusters).

    Returns the pairs' subset indices ``a, b`` sorted by union, the start of each union's run, the
    unions in that order, and for each union the position of its complement (-1 if not a half).
    """
    masks, _ = _subsets(n, per)
    a, b = np.triu_indices(len(masks), 1)
    keep = (masks[a] & masks[b]) == 0
    a, b = a[keep], b[keep]
    union = masks[a] | masks[b]
    order = np.argsort(union, kind="stable")
    a, b, union = a[order], b[order], union[order]
    starts = np.flatnonzero(np.r_[True, union[1:] != union[:-1]])
    unions = union[starts]
    full = (1 << n) - 1
    position = np.searchsorted(unions, full ^ unions)
    position = np.where((position < len(unions)) & (unions[np.minimum(position, len(unions) - 1)] == full ^ unions),
                        position, -1)
    return a, b, starts, unions, position


def _exact_two_level(loads: list[int], groups: int, per: int) -> list[int]:
    """Exhaustive optimum for 2 or 4 groups; ties go to the lowest bitmask.

    Cost of a group ``q``: ``|N_g * load(q) - W|``. With 2 groups, the group holding cluster 0 fixes
    the other. With 4, every "half" (``2 per`` clusters) gets its best split into two groups
    (``np.minimum.reduceat`` over the disjoint pairs grouped by union), then the best pair of
    complementary halves wins: all partitions are covered, so the result is optimal.
    """
    n = len(loads)
    w = np.asarray(loads, dtype=np.int64)
    total = int(w.sum())
    masks, member = _subsets(n, per)
    cost = np.abs(groups * (member @ w) - total)
    if groups == 2:
        index = np.searchsorted(masks, ((1 << n) - 1) ^ masks)
        first = (masks & 1) == 1
        score = np.where(first, cost + cost[np.minimum(index, len(masks) - 1)], np.iinfo(np.int64).max)
        chosen = [int(masks[int(np.argmin(score))])]
    else:
        a, b, starts, unions, position = _halves(n, per)
        pair_cost = cost[a] + cost[b]
        best = np.minimum.reduceat(pair_cost, starts)
        valid = ((unions & 1) == 1) & (position >= 0)
        score = np.where(valid, best + best[np.maximum(position, 0)], np.iinfo(np.int64).max)
        half = int(np.argmin(score))
        chosen = []
        for h in (half, int(position[half])):
            end = starts[h + 1] if h + 1 < len(starts) else len(a)
            p = starts[h] + int(np.argmin(pair_cost[starts[h]:end]))
            chosen += [int(masks[a[p]]), int(masks[b[p]])]
    group_masks = [*chosen, ((1 << n) - 1) ^ sum(chosen)] if groups == 2 else chosen
    group_masks.sort(key=lambda m: m & -m)  # label groups by their lowest cluster
    return [next(g for g, m in enumerate(group_masks) if m >> j & 1) for j in range(n)]


def _canonical_groups(assign: list[int]) -> list[int]:
    """Relabel groups in order of their lowest cluster (the CP-SAT model's symmetry breaking)."""
    relabel: dict[int, int] = {}
    for g in assign:
        relabel.setdefault(g, len(relabel))
    return [relabel[g] for g in assign]


def _allocate_cpsat(loads: list[int], groups: int, per: int, time_limit: float) -> GroupAllocation:
    """The program as a CP-SAT model, warm-started from LPT (any shape; optimal only if proven)."""
    from ortools.sat.python import cp_model

    n = len(loads)
    total = sum(loads)
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"m_{i}_{j}") for j in range(n)] for i in range(groups)]
    for j in range(n):
        model.add_exactly_one(x[i][j] for i in range(groups))
    for i in range(groups):
        model.add(sum(x[i]) == per)
    bound = groups * total + total
    deviation = []
    for i in range(groups):
        d = model.new_int_var(0, bound, f"dev_{i}")
        scaled = sum(groups * loads[j] * x[i][j] for j in range(n)) - total
        model.add(d >= scaled)
        model.add(d >= -scaled)
        deviation.append(d)
    # symmetry: groups are interchangeable; label them by their lowest cluster, so cluster j can
    # only be in groups 0..j, and group i (i > 0) holds a cluster only if group i-1 holds a lower one
    for i in range(groups):
        for j in range(min(i, n)):
            model.add(x[i][j] == 0)
    for i in range(1, groups):
        for j in range(n):
            model.add(sum(x[i - 1][jj] for jj in range(j)) >= 1).only_enforce_if(x[i][j])
    model.minimize(sum(deviation))
    hint = _canonical_groups(_lpt(loads, groups, per))
    for j, g in enumerate(hint):
        for i in range(groups):
            model.add_hint(x[i][j], i == g)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = time_limit
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # the time ran out before CP-SAT even took the hint (large layers): keep the warm start
        return _result(hint, loads, groups, False, "bip")
    assign = [next(i for i in range(groups) if solver.value(x[i][j])) for j in range(n)]
    return _result(assign, loads, groups, status == cp_model.OPTIMAL, "bip")


def _lpt(loads: list[int], groups: int, per: int) -> list[int]:
    """Longest processing time first into the lightest group that still has room (a warm start)."""
    assign = [0] * len(loads)
    group_load = [0] * groups
    room = [per] * groups
    for j in sorted(range(len(loads)), key=lambda c: (-loads[c], c)):
        g = min((i for i in range(groups) if room[i]), key=lambda i: (group_load[i], i))
        assign[j] = g
        group_load[g] += loads[j]
        room[g] -= 1
    # relabel groups by their lowest cluster (matches the solver's symmetry constraints)
    order: dict[int, int] = {}
    for g in assign:
        order.setdefault(g, len(order))
    return [order[g] for g in assign]
