"""``a2a-dedup``: send a token once per destination chiplet, not once per selected expert.

Marks every ``experts`` op ``a2a_dedup = true`` and stores the resulting traffic per micro-batch
(:mod:`mozartc.mapping.traffic`): ``dispatch_bytes`` per expert chiplet (their sum is
``C_T x tokens x hidden x bytes``) and ``uplink_bytes`` per group, the attention chiplet -> switch
link, for the dispatch. Two switch features (PAPER.md section 7: "switches do token-wise routing
and reduction") are separate options:

- ``switch-multicast`` (dispatch): the uplink carries one copy per token and destination *group* and
  the switch fans it out to the group's chiplets; without it the uplink carries the sum of its
  chiplets' copies (the switch routes each copy).
- ``switch-reduce`` (combine): the chiplets' partial sums are reduced in the switch and one vector per
  token and group goes up (when the target's switches reduce); without it every chiplet's copy goes up.

With either on the op records ``group_bytes`` (per group: tokens that select one of its experts x
hidden x bytes, counted on the routing trace) and the all-to-all is relayed through the switches.
Without this pass the schedule sends ``top_k`` copies per token end to end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from mozartc.errors import PassError
from mozartc.ir.attrs import Attr
from mozartc.ir.core import Module, Op
from mozartc.ir.types import DTYPE_BYTES
from mozartc.mapping.routing import TraceSource, routing_for_layers, tokens_touching
from mozartc.mapping.traffic import dispatch_copies, uplink_sums
from mozartc.passes.allocate import target_groups
from mozartc.passes.base import Pass, PassContext
from mozartc.traces.format import RoutingTrace


@dataclass(frozen=True)
class A2ADedup(Pass):
    """Deduplicated all-to-all dispatch with its traffic recorded per chiplet and per uplink."""

    name: ClassVar[str] = "a2a-dedup"
    summary: ClassVar[str] = "one token copy per destination chiplet; record dispatch traffic"
    needs_target: ClassVar[bool] = True

    # PAPER.md section 7 says the switches route token-wise and reduce; whether the dispatch is also
    # multicast is not said. Defaults: docs/calibration.md.
    switch_multicast: bool = field(default=True, metadata={
        "help": "switches multicast the dispatch (one uplink copy per token and group)"})
    switch_reduce: bool = field(default=True, metadata={
        "help": "switches reduce the combine's partial sums (one uplink copy per token and group)"})

    def run(self, module: Module, ctx: PassContext) -> Module:
        tokens = _tokens_per_micro_batch(module)
        element = DTYPE_BYTES[str(module.attrs["dtype"])]
        groups, per_group = target_groups(ctx)
        experts = list(module.ops_named("experts"))
        relayed = self.switch_multicast or self.switch_reduce
        trace = self._routing(module, ctx, experts) if relayed and experts else None
        for position, op in enumerate(experts):
            dim, trace_tokens = op.attrs["dim"], op.attrs["trace_tokens"]
            assert isinstance(dim, int) and isinstance(trace_tokens, int)
            per_chiplet = [c * dim * element for c in dispatch_copies(op, tokens, dedup=True)]
            op.attrs["a2a_dedup"] = True
            op.attrs["dispatch_bytes"] = list[Attr](per_chiplet)
            uplink = uplink_sums(per_chiplet, per_group)
            if trace is not None:
                per_group_tokens = tokens_touching(trace.layer(position), _group_of_expert(op, per_group), groups)
                group_bytes = [round(n * tokens / trace_tokens) * dim * element for n in per_group_tokens]
                op.attrs["group_bytes"] = list[Attr](group_bytes)
                if self.switch_multicast:
                    op.attrs["switch_multicast"] = True
                    uplink = group_bytes
                if self.switch_reduce:
                    op.attrs["switch_reduce"] = True
            op.attrs["uplink_bytes"] = list[Attr](uplink)
        return module

    def _routing(self, module: Module, ctx: PassContext, experts: list[Op]) -> RoutingTrace:
        """The trace behind the clustering: left in the context, or rebuilt from the module's record."""
        if isinstance(ctx.routing, RoutingTrace):
            return ctx.routing
        clustering = module.attrs.get("clustering")
        source = TraceSource.from_attr(clustering.get("trace_source") if isinstance(clustering, dict) else None)
        ids = tuple(r.index for r in module.layers() if r.index is not None and any(
            op.name == "experts" for op in r.ops()))
        experts_n, top_k = experts[0].attrs["experts"], experts[0].attrs["top_k"]
        assert isinstance(experts_n, int) and isinstance(top_k, int)
        ctx.routing = routing_for_layers(source, ids, experts_n, top_k)
        return ctx.routing


def _group_of_expert(op: Op, per_group: int) -> np.ndarray:
    """Expert id -> DRAM group of the chiplet its cluster was placed on."""
    clusters, chiplets, experts = op.attrs.get("clusters"), op.attrs.get("chiplets"), op.attrs.get("experts")
    if not isinstance(clusters, list) or not isinstance(chiplets, list) or not isinstance(experts, int):
        raise PassError(f"{op.label()} has no clusters/chiplets: run expert-cluster and allocate first")
    group = np.zeros(experts, dtype=np.int64)
    for cluster, chiplet in zip(clusters, chiplets, strict=True):
        assert isinstance(cluster, list) and isinstance(chiplet, int)
        for e in cluster:
            assert isinstance(e, int)
            group[e] = chiplet // per_group
    return group


def _tokens_per_micro_batch(module: Module) -> int:
    seq_len, micro_batch = module.attrs.get("seq_len"), module.attrs.get("micro_batch")
    if not isinstance(seq_len, int) or not isinstance(micro_batch, int):
        raise PassError("module needs integer seq_len and micro_batch attributes")
    return seq_len * micro_batch
