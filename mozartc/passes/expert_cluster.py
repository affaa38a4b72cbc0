"""``expert-cluster``: attach an equal-size expert clustering to every ``experts`` op.

The clusters come from the routing trace given with ``--trace`` (``ctx.trace_path``); without one,
the pass draws a synthetic trace for the module's shape (:mod:`mozartc.traces.synth`, preset
``synth-preset``, ``synth-tokens`` tokens, seed ``ctx.seed``) and says so in the IR. Trace layers map
onto the module's MoE layers by layer index (``layer_ids``), or in order when the trace has exactly
one layer per MoE layer. The number of clusters is ``clusters``, or the target's expert chiplets
(16 without a target). Each ``experts`` op gets ``clusters = [[expert ids], ...]`` (sorted, ordered
by lowest expert), ``C_T`` (its layer's value on the trace), ``expert_load`` (token-expert pairs per
expert in the trace: the unnormalised workload vector V), ``cluster_tokens`` (tokens with at least
one selected expert in each cluster: the copies a deduplicated dispatch sends there; their sum is
``C_T x trace_tokens``) and ``trace_tokens``; the module gets
``clustering = {method, clusters, C_T, trace, shared_experts}`` where ``C_T`` is the mean over
layers and ``shared_experts`` the placement policy of always-active experts (attention chiplet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from mozartc.errors import PassError
from mozartc.ir.attrs import Attr, Ident
from mozartc.ir.core import Module, Op
from mozartc.mapping.routing import TraceSource, routing_for_layers, tokens_touching
from mozartc.passes.base import Pass, PassContext
from mozartc.traces.format import RoutingTrace

Method = Literal["contiguous", "random", "greedy", "refine", "kl", "cpsat"]


@dataclass(frozen=True)
class ExpertCluster(Pass):
    """Cluster each MoE layer's experts (one cluster per expert chiplet) from a routing trace."""

    name: ClassVar[str] = "expert-cluster"
    summary: ClassVar[str] = "group co-activated experts into equal-size clusters (per layer)"
    needs_target: ClassVar[bool] = True

    method: Method = field(default="cpsat", metadata={"help": "clustering method (mozartc cluster --list)"})
    time_limit: float = field(default=0.1, metadata={"help": "CP-SAT deterministic time per layer"})
    clusters: int = field(default=0, metadata={"help": "clusters per layer (0: the target's expert chiplets)"})
    synth_tokens: int = field(default=20000, metadata={"help": "tokens per layer of the synthetic trace"})
    synth_preset: str = field(default="mixed-text", metadata={"help": "synthetic generator preset"})
    cpsat_max_experts: int = field(default=32, metadata={
        "help": "cpsat solves CP-SAT only on layers of at most this many experts (0: always)"})

    def run(self, module: Module, ctx: PassContext) -> Module:
        from mozartc.clustering import SHARED_EXPERT_POLICY, ClusterOptions, cluster_trace

        layers = _experts_ops(module)
        if not layers:
            return module
        num_clusters = self.clusters or _target_clusters(ctx)
        trace, label, source = self._trace(layers, ctx)
        ctx.routing = trace
        result = cluster_trace(trace, num_clusters, self.method,
                               ClusterOptions(time_limit=self.time_limit, seed=ctx.seed,
                                              cpsat_max_experts=self.cpsat_max_experts))
        for position, ((_, op), clusters, value) in enumerate(
                zip(layers, result.clusters(), result.per_layer_c_t, strict=True)):
            value_list: list[Attr] = [list[Attr](c) for c in clusters]
            op.attrs["clusters"] = value_list
            op.attrs["C_T"] = round(value, 6)
            load, per_cluster = layer_traffic_counts(trace.layer(position), clusters, trace.num_experts)
            op.attrs["expert_load"] = list[Attr](load)
            op.attrs["cluster_tokens"] = list[Attr](per_cluster)
            op.attrs["trace_tokens"] = int(trace.topk.shape[1])
        module.attrs["clustering"] = {
            "method": Ident(self.method), "clusters": num_clusters, "C_T": round(result.c_t, 6),
            "trace": label, "trace_source": source.to_attr(), "shared_experts": Ident(SHARED_EXPERT_POLICY),
        }
        return module

    def _trace(self, layers: list[tuple[int, Op]], ctx: PassContext) -> tuple[RoutingTrace, str, TraceSource]:
        """The routing trace for ``layers`` (loaded and matched, or synthetic), its label and its source."""
        experts, top_k = _shape(layers)
        ids = tuple(index for index, _ in layers)
        if ctx.trace_path is None:
            source = TraceSource("synthetic", preset=self.synth_preset, tokens=self.synth_tokens, seed=ctx.seed)
            trace = routing_for_layers(source, ids, experts, top_k)
            return trace, f"synthetic ({trace.source}, {self.synth_tokens} tokens)", source
        source = TraceSource("file", path=str(ctx.trace_path))
        return routing_for_layers(source, ids, experts, top_k), str(ctx.trace_path), source


def layer_traffic_counts(topk: np.ndarray, clusters: list[list[int]], num_experts: int) -> tuple[list[int], list[int]]:
    """Per expert, token-expert pairs (``V`` unnormalised); per cluster, tokens that select any of its experts.

    ``sum(per_cluster) / tokens`` is the layer's C_T for this clustering (PAPER.md section 3).
    """
    load = np.bincount(topk.ravel(), minlength=num_experts)
    cluster_of = np.empty(num_experts, dtype=np.int64)
    for c, members in enumerate(clusters):
        cluster_of[members] = c
    return [int(x) for x in load], tokens_touching(topk, cluster_of, len(clusters))


def _experts_ops(module: Module) -> list[tuple[int, Op]]:
    """``(layer index, experts op)`` for every MoE layer, in order."""
    found: list[tuple[int, Op]] = []
    for position, region in enumerate(module.layers()):
        for op in region.ops():
            if op.name == "experts":
                found.append((region.index if region.index is not None else position, op))
    return found


def _shape(layers: list[tuple[int, Op]]) -> tuple[int, int]:
    """The (experts, top_k) every experts op shares; PassError if they differ."""
    shapes = {(op.attrs.get("experts"), op.attrs.get("top_k")) for _, op in layers}
    if len(shapes) != 1:
        raise PassError(f"experts ops disagree on (experts, top_k): {sorted(map(str, shapes))}")
    experts, top_k = shapes.pop()
    if not isinstance(experts, int) or not isinstance(top_k, int):
        raise PassError("experts ops need integer 'experts' and 'top_k' attributes")
    return experts, top_k


def _target_clusters(ctx: PassContext) -> int:
    """Expert chiplets of the target (16, the paper's system, when there is no target)."""
    chiplets = getattr(ctx.target, "expert_chiplets", None)
    return len(chiplets) if chiplets else 16

