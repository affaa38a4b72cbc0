"""The built-in ``mozart`` backend: lower a scheduled module to the wafer's instruction stream.

Each schedule step becomes instructions on named resources of the target (:mod:`mozartc.isa.instr`),
by the rule :data:`STEP_RULES` gives its op: the instruction kind it counts as and the function that
lowers it. The rules live in three modules: :mod:`.memory` (weights, gradients, activations, the
optimizer update), :mod:`.a2a` (dispatch and combine, relays through the switches, partial sums of
split experts) and :mod:`.compute` (GEMMs, tiled weight streaming); :mod:`.lowering` holds the
shared state and how dependencies are wired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from mozartc.analysis.traffic import copies_per_token
from mozartc.backends.base import Backend, BackendOutput
from mozartc.backends.mozart.a2a import lower_combine, lower_dispatch
from mozartc.backends.mozart.compute import TOKEN_QUANTUM, lower_compute
from mozartc.backends.mozart.lowering import Lowering, Step
from mozartc.backends.mozart.memory import lower_activations, lower_update, lower_weights
from mozartc.errors import BackendError
from mozartc.gcpause import gc_paused
from mozartc.hw.target import Target
from mozartc.ir.core import Module, Op, Region
from mozartc.isa.instr import Stream
from mozartc.isa.mzs import print_stream


@dataclass(frozen=True)
class StepRule:
    """How one kind of schedule step lowers: the instruction kind it counts as, and the function."""

    kind: str
    lower: Callable[[Lowering, Step], None]


#: schedule op name -> its rule
STEP_RULES: dict[str, StepRule] = {
    "load_weights": StepRule("dram_load", lower_weights),
    "store_weights": StepRule("dram_save", lower_weights),
    "load_grads": StepRule("dram_load", lower_weights),
    "store_grads": StepRule("dram_save", lower_weights),
    "update": StepRule("compute", lower_update),
    "save_act": StepRule("dram_save", lower_activations),
    "load_act": StepRule("dram_load", lower_activations),
    "dispatch": StepRule("all_to_all", lower_dispatch),
    "combine": StepRule("all_to_all", lower_combine),
    "compute": StepRule("compute", lower_compute),
}


@dataclass(frozen=True)
class MozartBackend(Backend):
    """Instruction stream (``.mzs``) for the Mozart wafer, timed by the executor."""

    name: ClassVar[str] = "mozart"
    summary: ClassVar[str] = "instruction stream for the Mozart wafer (.mzs), timed by the executor"
    suffix: ClassVar[str] = ".mzs"
    produces_stream: ClassVar[bool] = True

    def emit(self, module: Module, target: Target) -> BackendOutput:
        stream = lower_module(module, target)
        return BackendOutput(lambda: print_stream(stream), self.suffix, stream)


def lower_module(module: Module, target: Target) -> Stream:
    """The instruction stream of ``module``'s schedule on ``target`` (module docstring)."""
    with gc_paused():
        return _lower(module, target)


def _lower(module: Module, target: Target) -> Stream:
    schedule = next((r for r in module.body if isinstance(r, Region) and r.kind == "schedule"), None)
    if schedule is None:
        raise BackendError("the module has no schedule: run a pipeline with stream-schedule "
                           "(e.g. `pipeline='mozart-c'`) before the mozart backend")
    lowering = Lowering(module, target, schedule)
    for op in schedule.body:
        if isinstance(op, Op):
            rule = STEP_RULES.get(op.name)
            if rule is None:
                raise BackendError(f"{op.label()}: the mozart backend cannot lower schedule op '{op.name}'")
            rule.lower(lowering, Step(op, rule.kind, op.int_attr("layer"), str(op.attrs.get("block", ""))))
            lowering.close()
    if lowering.pending:
        raise BackendError(f"tiled weight loads without a compute step: {sorted(lowering.pending)}")
    attrs: dict[str, str | int | float | bool] = {
        "model": str(module.attrs.get("model", module.name)), "target": target.name,
    }
    if isinstance(module.attrs.get("pipeline"), str):
        attrs["pipeline"] = str(module.attrs["pipeline"])
    copies = copies_per_token(module)
    if copies is not None:
        attrs.update({"C_T": copies.sent, "layout_C_T": copies.layout})
    attrs.update(_sram_attrs(schedule))
    attrs.update(_dram_attrs(lowering))
    micro_batches = schedule.attrs.get("micro_batches")
    if isinstance(micro_batches, int):  # tokens per step = micro_batches x micro_batch x seq_len (energy per token)
        attrs.update(micro_batches=micro_batches, micro_batch=lowering.micro_batch, seq_len=lowering.seq_len)
    return Stream(module.name, attrs, tuple(lowering.instrs))


#: per chiplet, the SRAM plan's entries the stream carries as ``sram.KEY.CHIP`` (bytes)
SRAM_KEYS = ("capacity", "peak", "weights", "buffers", "gradients", "activations")
#: per DRAM stack, what the stream carries as ``dram.KEY.STACK`` (bytes)
DRAM_KEYS = ("capacity", "weights", "state", "gradients", "activations")


def _sram_attrs(schedule: Region) -> dict[str, str | int | float | bool]:
    """``sram.KEY.CHIP`` (bytes, :data:`SRAM_KEYS`) from the schedule's SRAM plan."""
    sram = schedule.attrs.get("sram")
    out: dict[str, str | int | float | bool] = {}
    if isinstance(sram, dict):
        for chip, entry in sram.items():
            if isinstance(entry, dict) and isinstance(entry.get("peak"), int):
                for key in SRAM_KEYS:
                    value = entry.get(key)
                    if isinstance(value, int):
                        out[f"sram.{key}.{chip}"] = value
    return out


def _dram_attrs(lowering: Lowering) -> dict[str, str | int | float | bool]:
    """``dram.KEY.STACK`` (bytes, :data:`DRAM_KEYS`): what the step keeps in each stack
    (:func:`~mozartc.backends.mozart.lowering.footprint_category`) and the stack's capacity.

    The embedding table is kept too, split over the attention chiplet's stacks: the schedule reads a
    row of it per token and does not stream it, so no transfer counts it."""
    out: dict[str, str | int | float | bool] = {}
    root_stacks = [d.name for d in lowering.target.dram_of(lowering.root)]
    table = sum(op.int_attr("param_bytes", 0) for op in lowering.module.ops_named("embed"))
    for stack in lowering.target.dram:
        use = lowering.dram_use.get(stack.name, {})
        embedding = -(-table // len(root_stacks)) if stack.name in root_stacks else 0
        weights = use.get("weights", 0)
        kept = {"capacity": stack.capacity_bytes, "weights": weights + embedding,
                "state": max(0, use.get("stored", 0) - weights), "gradients": use.get("gradients", 0),
                "activations": use.get("activations", 0)}
        out.update({f"dram.{key}.{stack.name}": kept[key] for key in DRAM_KEYS})
    return out


__all__ = ["STEP_RULES", "TOKEN_QUANTUM", "MozartBackend", "StepRule", "lower_module"]
