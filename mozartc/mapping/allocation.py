"""Allocate expert clusters to DRAM groups (PAPER.md section 5, the binary integer program).

Variables ``M[i, j] in {0, 1}``: cluster ``j`` goes to group ``i``. Constraints: every cluster in
exactly one group, every group gets ``N_c / N_g`` clusters. Objective: minimise the L1 distance of
each group's workload share from ``1 / N_g``::

    minimise  sum_i | sum_j M[i, j] * w_j  -  W / N_g |        with W = sum_j w_j

Workloads are integers (token-expert counts from a trace), so the program is solved exactly with
OR-Tools CP-SAT on ``N_g * load_i - W`` (all integers, same optimum). Group ``i`` gets clusters in
descending workload order within the group; the heaviest goes to the group's first chiplet.
"""

from __future__ import annotations

from dataclasses import dataclass

from mozartc.errors import PassError


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
    """Solve the paper's allocation program with CP-SAT (one worker, fixed seed: deterministic).

    ``time_limit`` is CP-SAT *deterministic* time (about seconds of work, but reproducible, unlike
    wall time). Warm-started from the longest-processing-time assignment; when the limit stops the
    search before optimality is proven, the best assignment found is returned with ``optimal=False``.
    """
    from ortools.sat.python import cp_model

    per = _check(loads, groups)
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
    hint = _lpt(loads, groups, per)
    for j, g in enumerate(hint):
        for i in range(groups):
            model.add_hint(x[i][j], i == g)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = time_limit
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise PassError(f"allocation program found no assignment within deterministic time {time_limit}")
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
