"""``allocate``: place each layer's expert clusters on DRAM groups and chiplets (PAPER.md section 5).

Reads every ``experts`` op's ``clusters`` and ``expert_load`` (from ``expert-cluster``). Cluster
workload ``w_c = sum of expert_load over its experts`` (a shard of a split expert carries
``load / shards``: :meth:`mozartc.analysis.experts.ExpertsMapping.cluster_work`, rounded).
``method=bip`` solves the paper's integer program (:func:`mozartc.solvers.allocation.allocate_bip`):
equal cluster counts per group, minimal L1 distance of the groups' workload shares from ``1/N_g``;
``method=round-robin`` is the plain layout (cluster ``c`` on chiplet ``c``). Inside a group, clusters
go to the group's chiplets heaviest first.

Writes ``chiplets = [expert-chiplet index of cluster c, ...]`` and ``group_load = [workload per
group]`` on every ``experts`` op, and ``allocation = {method, groups, imbalance}`` (mean L1 over
layers) on the module. Attention, dense FFNs and shared experts stay on the attention chiplet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from mozartc.analysis.experts import ExpertsMapping
from mozartc.errors import PassError
from mozartc.ir.attrs import Attr, Ident
from mozartc.ir.core import Module, Op
from mozartc.passes.base import CLUSTERS, PLACEMENT, TARGET, Pass, PassContext
from mozartc.solvers.allocation import GroupAllocation, allocate_bip, allocate_round_robin


@dataclass(frozen=True)
class Allocate(Pass):
    """Cluster -> DRAM group -> chiplet, per MoE layer."""

    name: ClassVar[str] = "allocate"
    summary: ClassVar[str] = "assign clusters to DRAM groups (paper BIP) and to chiplets"
    requires: ClassVar[frozenset[str]] = frozenset({TARGET, CLUSTERS})
    provides: ClassVar[frozenset[str]] = frozenset({PLACEMENT})

    method: Literal["bip", "round-robin"] = field(default="bip", metadata={"help": "allocation method"})
    time_limit: float = field(default=0.05, metadata={
        "help": "CP-SAT deterministic time per layer (reproducible; ~0.1 s of wall time)"})

    def run(self, module: Module, ctx: PassContext) -> Module:
        target = ctx.hardware()
        groups, per_group = target.groups, target.chiplets_per_group
        imbalances: list[float] = []
        proven = 0
        for op in module.ops_named("experts"):
            clusters, loads = _cluster_loads(op)
            if len(clusters) != groups * per_group:
                raise PassError(f"{op.label()}: {len(clusters)} clusters but the target has "
                                f"{groups * per_group} expert chiplets ({groups} groups of {per_group}); "
                                "cluster with expert-cluster{clusters=N} to match")
            if self.method == "bip":
                result = allocate_bip(loads, groups, self.time_limit)
            else:
                result = allocate_round_robin(loads, groups)
            op.attrs["chiplets"] = list[Attr](chiplets_in_groups(result, loads, per_group))
            op.attrs["group_load"] = list[Attr](result.group_load)
            imbalances.append(result.objective)
            proven += result.optimal
        if imbalances:
            module.attrs["allocation"] = {
                "method": Ident(self.method), "groups": groups,
                "imbalance": round(sum(imbalances) / len(imbalances), 6),
                "proven_optimal_layers": proven,
            }
        return module


def chiplets_in_groups(result: GroupAllocation, loads: list[int], per_group: int) -> list[int]:
    """Expert-chiplet index of each cluster: group ``g`` owns chiplets ``g*per_group ...``; heaviest first.

    Round-robin keeps cluster ``c`` on chiplet ``c`` (the contiguous layout).
    """
    if result.method == "round-robin":
        return list(range(len(loads)))
    chiplet = [0] * len(loads)
    for group in range(len(result.group_load)):
        members = [c for c, g in enumerate(result.group_of_cluster) if g == group]
        members.sort(key=lambda c: (-loads[c], c))
        for slot, cluster in enumerate(members):
            chiplet[cluster] = group * per_group + slot
    return chiplet


def _cluster_loads(op: Op) -> tuple[tuple[tuple[int, ...], ...], list[int]]:
    m = ExpertsMapping.from_op(op)
    return m.clusters, [round(m.cluster_work(c)) for c in range(len(m.clusters))]
