"""``a2a-dedup``: send a token once per destination chiplet, not once per selected expert.

Marks every ``experts`` op ``a2a_dedup = true`` and stores the resulting traffic per micro-batch
(:mod:`mozartc.mapping.traffic`): ``dispatch_bytes`` per expert chiplet and ``uplink_bytes`` per
group (the attention chiplet -> switch link of the route). Their sum is ``C_T x tokens x hidden x
bytes``; without this pass the schedule sends ``top_k`` copies per token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mozartc.errors import PassError
from mozartc.ir.attrs import Attr
from mozartc.ir.core import Module
from mozartc.ir.types import DTYPE_BYTES
from mozartc.mapping.traffic import dispatch_copies, uplink_sums
from mozartc.passes.allocate import target_groups
from mozartc.passes.base import Pass, PassContext


@dataclass(frozen=True)
class A2ADedup(Pass):
    """Deduplicated all-to-all dispatch with its traffic recorded per chiplet and per uplink."""

    name: ClassVar[str] = "a2a-dedup"
    summary: ClassVar[str] = "one token copy per destination chiplet; record dispatch traffic"
    needs_target: ClassVar[bool] = True

    def run(self, module: Module, ctx: PassContext) -> Module:
        tokens = _tokens_per_micro_batch(module)
        element = DTYPE_BYTES[str(module.attrs["dtype"])]
        _, per_group = target_groups(ctx)
        for op in module.ops_named("experts"):
            dim = op.attrs["dim"]
            assert isinstance(dim, int)
            per_chiplet = [c * dim * element for c in dispatch_copies(op, tokens, dedup=True)]
            op.attrs["a2a_dedup"] = True
            op.attrs["dispatch_bytes"] = list[Attr](per_chiplet)
            op.attrs["uplink_bytes"] = list[Attr](uplink_sums(per_chiplet, per_group))
        return module


def _tokens_per_micro_batch(module: Module) -> int:
    seq_len, micro_batch = module.attrs.get("seq_len"), module.attrs.get("micro_batch")
    if not isinstance(seq_len, int) or not isinstance(micro_batch, int):
        raise PassError("module needs integer seq_len and micro_batch attributes")
    return seq_len * micro_batch
