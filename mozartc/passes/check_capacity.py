"""``check-capacity``: does the training step's state fit the target's DRAM? (PAPER.md section 7)

Weights + gradients + optimizer state (:mod:`mozartc.hw.capacity`, :mod:`mozartc.optimizers`) against
the sum of the target's DRAM stacks. ``on-overflow=error`` makes a step that does not fit bad input
(:class:`~mozartc.errors.CapacityError`); ``warn`` records the message as the module's
``capacity_warning`` and in the notes. Either way the module records ``target`` (the target's name)
and ``optimizer``, which ``stream-schedule`` reads.

``mozartc compile`` runs this pass first whenever the compile involves the target (its
``--optimizer`` and ``--capacity`` options set this pass's options), so ``--dump-dir`` and
``--time-passes`` show it; the module's ``pipeline`` attribute records the pipeline the user asked
for, and this check through the attributes it writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from mozartc.hw.capacity import check_capacity
from mozartc.ir.attrs import Ident
from mozartc.ir.core import Module
from mozartc.ir.summary import summarize
from mozartc.ir.types import DTYPE_BYTES
from mozartc.passes.base import TARGET, Pass, PassContext

OptimizerName = Literal["sgd", "momentum", "adam", "adam-mixed"]


@dataclass(frozen=True)
class CheckCapacity(Pass):
    """Compare the step's DRAM state with the target; fail or record a warning."""

    name: ClassVar[str] = "check-capacity"
    summary: ClassVar[str] = "check that weights, gradients and optimizer state fit the target's DRAM"
    requires: ClassVar[frozenset[str]] = frozenset({TARGET})

    # The paper does not name an optimizer; sgd keeps no state (mozartc.optimizers).
    optimizer: OptimizerName = field(default="sgd", metadata={"help": "optimizer whose state is counted"})
    on_overflow: Literal["error", "warn"] = field(default="error", metadata={
        "help": "a step that does not fit is an error, or a warning recorded in the IR"})

    def run(self, module: Module, ctx: PassContext) -> Module:
        target = ctx.hardware()
        facts = summarize(module)
        report = check_capacity(facts.params_total, DTYPE_BYTES[facts.dtype], target, self.optimizer,
                                self.on_overflow)
        module.attrs["target"] = target.name
        module.attrs["optimizer"] = Ident(self.optimizer)
        if not report.fits:
            module.attrs["capacity_warning"] = report.message
            ctx.notes.append(report.message)
        return module
