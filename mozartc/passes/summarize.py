"""``summarize``: record the model's totals (parameters, active parameters, FLOPs) as module attributes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mozartc.ir.core import Module
from mozartc.ir.summary import summarize
from mozartc.passes.base import Pass, PassContext


@dataclass(frozen=True)
class Summarize(Pass):
    """Adds ``params_total``, ``params_active`` and ``flops_per_token_fwd`` to the module attributes."""

    name: ClassVar[str] = "summarize"
    summary: ClassVar[str] = "record parameter and FLOP totals on the module"

    def run(self, module: Module, ctx: PassContext) -> Module:
        facts = summarize(module)
        module.attrs["params_total"] = facts.params_total
        module.attrs["params_active"] = facts.params_active
        module.attrs["flops_per_token_fwd"] = facts.flops_per_token_fwd
        return module
