"""``a2a-dedup``: send a token once per destination chiplet, not once per selected expert.

Marks every ``experts`` op ``a2a_dedup = true`` and stores the resulting traffic per micro-batch
(:mod:`mozartc.analysis.traffic`): ``dispatch_bytes`` per expert chiplet (their sum is
``C_T x tokens x hidden x bytes``) and ``uplink_bytes`` per group, the attention chiplet -> switch
link, for the dispatch. By default this is the paper's all-to-all (PAPER.md sections 3 and 9): one
copy per destination *chiplet*, routed through the group switch, so a group's uplink carries the sum
of its chiplets' copies, and the combine returns the same copies.

Two switch features go beyond the paper (DESIGN.md; the ``mozart-c+mc`` preset turns both on):

- ``switch-multicast`` (dispatch): the uplink carries one copy per token and destination *group* and
  the switch fans it out to the group's chiplets;
- ``switch-reduce`` (combine): the chiplets' partial sums are reduced in the switch and one vector per
  token and group goes up (when the target's switches reduce).

With either on the op records ``group_bytes`` (per group: tokens that select one of its experts x
hidden x bytes, counted on the routing trace) and ``relay_chunks``: the backend relays the traffic
through the switch in that many pieces, each leg out of the switch after the leg that brought its
data in (store and forward per piece). Without this pass the schedule sends ``top_k`` copies per
token end to end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from mozartc.analysis.experts import ExpertsMapping
from mozartc.analysis.routing import TraceSource, routing_for_layers, tokens_touching_any
from mozartc.analysis.traffic import dispatch_copies, uplink_sums
from mozartc.ir.attrs import Attr
from mozartc.ir.core import Module, Op
from mozartc.ir.types import DTYPE_BYTES
from mozartc.passes.base import PLACEMENT, TARGET, Pass, PassContext
from mozartc.traces.format import RoutingTrace


@dataclass(frozen=True)
class A2ADedup(Pass):
    """Deduplicated all-to-all dispatch with its traffic recorded per chiplet and per uplink."""

    name: ClassVar[str] = "a2a-dedup"
    summary: ClassVar[str] = "one token copy per destination chiplet; record dispatch traffic"
    requires: ClassVar[frozenset[str]] = frozenset({TARGET, PLACEMENT})

    # Off by default: the paper's C_T counts one copy per destination chiplet (PAPER.md s3, s9);
    # multicast and in-switch reduction go beyond it (the mozart-c+mc preset; docs/calibration.md).
    switch_multicast: bool = field(default=False, metadata={
        "help": "switches multicast the dispatch (one uplink copy per token and group; beyond the paper)"})
    switch_reduce: bool = field(default=False, metadata={
        "help": "switches reduce the combine's partial sums (one uplink copy per token and group; beyond the paper)"})
    # Store-and-forward per piece: a relay costs about (1 + 1/pieces) of its slowest leg and adds
    # ~11 instructions per group and piece; 4 keeps the overhead near 25% of the relay's leg time.
    relay_chunks: int = field(default=4, metadata={
        "help": "pieces a switch relay is cut into (each leg out of the switch waits for its piece)",
        "min": 1, "max": 64})

    def run(self, module: Module, ctx: PassContext) -> Module:
        tokens = _tokens_per_micro_batch(module)
        element = DTYPE_BYTES[str(module.attrs["dtype"])]
        target = ctx.hardware()
        groups, per_group = target.groups, target.chiplets_per_group
        experts = list(module.ops_named("experts"))
        relayed = self.switch_multicast or self.switch_reduce
        trace = self._routing(module, ctx, experts) if relayed and experts else None
        for position, op in enumerate(experts):
            dim, trace_tokens = op.int_attr("dim"), op.int_attr("trace_tokens")
            per_chiplet = [c * dim * element for c in dispatch_copies(op, tokens, dedup=True)]
            op.attrs["a2a_dedup"] = True
            op.attrs["dispatch_bytes"] = list[Attr](per_chiplet)
            uplink = uplink_sums(per_chiplet, per_group)
            if trace is not None:
                per_group_tokens = tokens_touching_any(trace.layer(position), _groups_holding(op, groups, per_group))
                group_bytes = [round(n * tokens / trace_tokens) * dim * element for n in per_group_tokens]
                op.attrs["group_bytes"] = list[Attr](group_bytes)
                if self.switch_multicast:
                    op.attrs["switch_multicast"] = True
                    uplink = group_bytes
                if self.switch_reduce:
                    op.attrs["switch_reduce"] = True
                op.attrs["relay_chunks"] = self.relay_chunks
            op.attrs["uplink_bytes"] = list[Attr](uplink)
        return module

    def _routing(self, module: Module, ctx: PassContext, experts: list[Op]) -> RoutingTrace:
        """The trace behind the clustering: left in the context, or rebuilt from the module's record."""
        if ctx.routing is not None:
            return ctx.routing
        clustering = module.attrs.get("clustering")
        source = TraceSource.from_attr(clustering.get("trace_source") if isinstance(clustering, dict) else None)
        ids = tuple(r.index for r in module.layers() if r.index is not None and any(
            op.name == "experts" for op in r.ops()))
        ctx.routing = routing_for_layers(source, ids, experts[0].int_attr("experts"), experts[0].int_attr("top_k"))
        return ctx.routing


def _groups_holding(op: Op, groups: int, per_group: int) -> np.ndarray:
    """``[experts, groups]``: True where a group's chiplet holds the expert (or a shard of it)."""
    m = ExpertsMapping.from_op(op, placed=True)
    holds = np.zeros((m.experts, groups), dtype=bool)
    for cluster, chiplet in zip(m.clusters, m.placed(), strict=True):
        for e in cluster:
            holds[e, chiplet // per_group] = True
    return holds


def _tokens_per_micro_batch(module: Module) -> int:
    return module.int_attr("seq_len") * module.int_attr("micro_batch")
