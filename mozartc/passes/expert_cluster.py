"""``expert-cluster``: attach an expert clustering (one cluster per expert chiplet) to every ``experts`` op.

The clusters come from the routing trace given with ``--trace`` (``ctx.trace_path``); without one,
the pass draws a synthetic trace for the module's shape (:mod:`mozartc.traces.synth`, preset
``synth-preset``, ``synth-tokens`` tokens, seed ``ctx.seed``) and says so in the IR. Trace layers map
onto the module's MoE layers by layer index (``layer_ids``), or in order when the trace has exactly
one layer per MoE layer. The number of clusters is ``clusters``, or the target's expert chiplets;
when it does not divide the experts, clusters differ in size by one
(docs/clustering.md, "Unequal clusters"). Each ``experts`` op gets ``clusters = [[expert ids], ...]`` (sorted, ordered
by lowest expert), ``C_T`` (its layer's value on the trace), ``expert_load`` (token-expert pairs per
expert in the trace: the unnormalised workload vector V), ``cluster_tokens`` (tokens with at least
one selected expert in each cluster: the copies a deduplicated dispatch sends there; their sum is
``C_T x trace_tokens``) and ``trace_tokens``; the module gets
``clustering = {method, clusters, C_T, trace, shared_experts}`` where ``C_T`` is the mean over
layers and ``shared_experts`` the placement policy of always-active experts (attention chiplet).

**Cache**: a layer already clustered with the same routing, method and options is read from
``ctx.cache`` when there is one (docs/clustering.md, "Cache"); the IR is the same bytes either way.

**Fewer experts than clusters** (Mixtral's 8 experts on 16 chiplets): no clustering can fill every
chiplet, so each expert is *split* over ``expert_shards[e]`` clusters (``N_c // N_e`` each, one more
for the ``N_c mod N_e`` experts with the most tokens in the trace; ties to the lower index), each
cluster holding one shard (:mod:`mozartc.analysis.experts`). Every shard receives all of its expert's
tokens, so ``cluster_tokens`` of a shard is its expert's load and the layer's ``C_T`` is
``sum_e shards_e x load_e / tokens``; the module's ``clustering`` says ``split = true`` and the
method is not run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from mozartc.analysis.experts import ExpertsMapping
from mozartc.analysis.routing import TraceSource, routing_for_layers, tokens_touching
from mozartc.errors import PassError
from mozartc.ir.attrs import Attr, Ident
from mozartc.ir.core import Module, Op
from mozartc.passes.base import CLUSTERS, TARGET, Pass, PassContext
from mozartc.traces.format import RoutingTrace

Method = Literal["contiguous", "random", "greedy", "refine", "kl", "cpsat"]


#: below this many (layer, expert) pairs a model's layers are solved in this process whatever
#: ``ctx.jobs``: starting a worker (interpreter, numpy, the solvers: about 0.3 s) costs more than
#: the solve saves (a 64-expert layer solves in about 20 ms, a 128-expert one in about 70 ms)
PARALLEL_EXPERT_LAYERS = 2048


@dataclass(frozen=True)
class ExpertCluster(Pass):
    """Cluster each MoE layer's experts (one cluster per expert chiplet) from a routing trace."""

    name: ClassVar[str] = "expert-cluster"
    summary: ClassVar[str] = "group co-activated experts into clusters, one per expert chiplet (per layer)"
    requires: ClassVar[frozenset[str]] = frozenset({TARGET})
    provides: ClassVar[frozenset[str]] = frozenset({CLUSTERS})

    method: Method = field(default="cpsat", metadata={"help": "clustering method (mozartc cluster --list)"})
    time_limit: float = field(default=0.1, metadata={"help": "CP-SAT deterministic time per layer"})
    clusters: int = field(default=0, metadata={"help": "clusters per layer (0: the target's expert chiplets)"})
    synth_tokens: int = field(default=20000, metadata={"help": "tokens per layer of the synthetic trace"})
    synth_preset: str = field(default="mixed-text", metadata={"help": "synthetic generator preset"})
    cpsat_max_experts: int = field(default=32, metadata={
        "help": "cpsat solves CP-SAT only on layers of at most this many experts (0: always)"})

    def run(self, module: Module, ctx: PassContext) -> Module:
        from mozartc.solvers.clustering import SHARED_EXPERT_POLICY, ClusterOptions, cluster_trace

        layers = _experts_ops(module)
        if not layers:
            return module
        num_clusters = self.clusters or len(ctx.hardware().expert_chiplets)
        if num_clusters <= 0:
            raise PassError(f"expert-cluster{{clusters={self.clusters}}}: needs a positive number of clusters")
        trace, label, source = self._trace(layers, ctx)
        ctx.routing = trace
        experts, top_k = _shape(layers)
        tokens = int(trace.topk.shape[1])
        if num_clusters > experts:
            per_layer = [split_experts(trace.layer(p), experts, top_k, num_clusters) for p in range(len(layers))]
            c_t = sum(value for _, value in per_layer) / len(per_layer)
        else:
            result = cluster_trace(trace, num_clusters, self.method,
                                   ClusterOptions(time_limit=self.time_limit, seed=ctx.seed,
                                                  cpsat_max_experts=self.cpsat_max_experts), cache=ctx.cache,
                                   jobs=ctx.jobs if len(layers) * experts >= PARALLEL_EXPERT_LAYERS else 1)
            per_layer = []
            for position, (clusters, value) in enumerate(zip(result.clusters(), result.per_layer_c_t, strict=True)):
                load, per_cluster = layer_traffic_counts(trace.layer(position), clusters, trace.num_experts)
                per_layer.append((ExpertsMapping(
                    experts=experts, top_k=top_k, dim=0, ffn_dim=0, expert_params=0,
                    clusters=tuple(tuple(c) for c in clusters), expert_shards=(1,) * experts,
                    expert_load=tuple(load), cluster_tokens=tuple(per_cluster), trace_tokens=tokens), value))
            c_t = result.c_t
        for (_, op), (mapping, value) in zip(layers, per_layer, strict=True):
            mapping.write(op, c_t=value)
        record: dict[str, Attr] = {
            "method": Ident(self.method), "clusters": num_clusters, "C_T": round(c_t, 6),
            "trace": label, "trace_source": source.to_attr(), "shared_experts": Ident(SHARED_EXPERT_POLICY),
        }
        if num_clusters > experts:
            record["split"] = True
        module.attrs["clustering"] = record
        return module

    def _trace(self, layers: list[tuple[int, Op]], ctx: PassContext) -> tuple[RoutingTrace, str, TraceSource]:
        """The routing trace for ``layers`` (loaded and matched, or synthetic), its label and its source."""
        experts, top_k = _shape(layers)
        ids = tuple(index for index, _ in layers)
        if ctx.trace_path is None:
            source = TraceSource("synthetic", preset=self.synth_preset, tokens=self.synth_tokens, seed=ctx.seed)
            trace = routing_for_layers(source, ids, experts, top_k, ctx.cache)
            return trace, f"synthetic ({trace.source}, {self.synth_tokens} tokens)", source
        source = TraceSource("file", path=str(ctx.trace_path))
        return routing_for_layers(source, ids, experts, top_k), str(ctx.trace_path), source


def split_experts(topk: np.ndarray, experts: int, top_k: int, num_clusters: int) -> tuple[ExpertsMapping, float]:
    """Split ``experts`` over ``num_clusters > experts`` clusters, one shard per cluster (module docstring).

    Returns the layer's mapping (without the op's sizes) and its C_T.
    """
    load = np.bincount(topk.ravel(), minlength=experts)
    base, extra = divmod(num_clusters, experts)
    heaviest = sorted(range(experts), key=lambda e: (-int(load[e]), e))[:extra]
    shards = [base + (e in heaviest) for e in range(experts)]
    clusters = tuple((e,) for e in range(experts) for _ in range(shards[e]))
    tokens = int(topk.shape[0])
    cluster_tokens = tuple(int(load[c[0]]) for c in clusters)
    mapping = ExpertsMapping(experts=experts, top_k=top_k, dim=0, ffn_dim=0, expert_params=0, clusters=clusters,
                             expert_shards=tuple(shards), expert_load=tuple(int(x) for x in load),
                             cluster_tokens=cluster_tokens, trace_tokens=tokens)
    return mapping, sum(cluster_tokens) / tokens


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

