"""``stream-schedule``: the weight-streaming, micro-batched training step (PAPER.md section 6).

Appends a ``schedule`` region to the module: one event op per step, whose operands are the steps it
waits for. For every micro-batch ``m`` and block (one transformer layer, then the LM head):

- forward: load the block's weights; attention (with router, norms, shared experts) on the attention
  chiplet; for MoE layers dispatch tokens, run the experts on their chiplets, combine; for dense FFNs
  and the LM head send activations to the expert chiplets, which split the weights; save activations;
- backward, layers in reverse: reload weights (see ``reload``), restore (or recompute) activations,
  gradient all-to-all, 2x the forward FLOPs; gradients accumulate over micro-batches; after the last
  micro-batch the optimizer updates the block on its chiplets and writes weights (and state) back.

Modelling choices the paper leaves open are options (see ``docs/schedule.md``):

- ``reload=per-step`` (default) loads each block once per phase and streams all micro-batches
  through it, accumulating gradients on chip; ``per-micro-batch`` (the literal reading of the
  paper's "the next micro-batch's weights load while the current one runs") streams every block's
  weights for every micro-batch and keeps partial gradients in DRAM between micro-batches.
- ``overlap=on``: steps wait only for their data and for a free weight buffer (double buffering), so
  the next block's loads overlap this block's compute and activation saves overlap everything;
  ``off``: every step waits for the previous one.
- ``order=load-desc``: inside a group, the heaviest cluster's weights load first and experts run in
  that order; ``index`` keeps chiplet order.
- ``tile-layout=expert-major`` (default): a block too large for SRAM streams in tiles that cut the
  chiplet's weights expert after expert; ``sliced``: every tile holds a slice of every expert.
- ``recompute``: save only each layer's input and recompute the forward in backward.
- ``expert-saves`` (default on): the expert chiplets save their received token copies and
  ``expert-act-tensors`` FFN-size tensors per (token, expert) pair to their group's DRAM and read
  them back in backward (:mod:`mozartc.analysis.traffic`); a group's DRAM traffic then follows its
  workload, which is what ``allocate`` balances (PAPER.md section 5).
- The optimizer is the module's ``optimizer`` attribute (``mozartc compile --optimizer``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from mozartc.analysis.blocks import BlockCosts, block_costs
from mozartc.analysis.sram import SramPlan, plan_sram, sram_attr
from mozartc.errors import PassError
from mozartc.ir.attrs import Attr, Ident
from mozartc.ir.core import Module, Op, Region, Value, int_attr
from mozartc.ir.types import DTYPE_BYTES, EventType
from mozartc.optimizers import OPTIMIZERS
from mozartc.passes.base import PLACEMENT, SCHEDULE, TARGET, Pass, PassContext


@dataclass(frozen=True)
class StreamSchedule(Pass):
    """Build the training-step schedule of the mapped module."""

    name: ClassVar[str] = "stream-schedule"
    summary: ClassVar[str] = "weight-streaming, micro-batched forward/backward/update schedule"
    requires: ClassVar[frozenset[str]] = frozenset({TARGET, PLACEMENT})
    provides: ClassVar[frozenset[str]] = frozenset({SCHEDULE})

    overlap: bool = field(default=True, metadata={"help": "overlap loads, saves and all-to-all with compute"})
    order: Literal["load-desc", "index"] = field(default="load-desc", metadata={
        "help": "expert weight-load and run order inside a group"})
    # The paper does not say how a block too large for SRAM streams. expert-major (default): tiles cut
    # the chiplet's weights expert after expert, so a tile computes whole experts (or a piece of one);
    # it keeps at most two experts' activations in flight, which is the working set the SRAM plan
    # reserves (docs/schedule.md). sliced: every tile holds a slice of every expert, so every expert's
    # partial results stay live across tiles, and the stream has experts x tiles GEMMs per chiplet.
    tile_layout: Literal["expert-major", "sliced"] = field(default="expert-major", metadata={
        "help": "what a weight tile of a streamed block holds: whole experts in turn, or a slice of each"})
    micro_batches: int = field(default=0, metadata={"help": "micro-batches per step (0: compile --micro-batches)"})
    # Default per-step (docs/calibration.md): the paper leaves it open; per-micro-batch reload makes
    # DRAM traffic alone 73% of the baseline step, which no overlap can hide.
    reload: Literal["per-micro-batch", "per-step"] = field(default="per-step", metadata={
        "help": "stream weights for every micro-batch, or once per step and phase"})
    recompute: bool = field(default=False, metadata={"help": "recompute activations in backward"})
    act_tensors: int = field(default=4, metadata={
        "help": "hidden-size activation tensors saved per layer for backward (without recompute)"})
    # The paper does not say where expert activations go; its allocation balances DRAM groups by
    # workload (PAPER.md section 5), which only matters if the groups' DRAM carries per-token data.
    expert_saves: bool = field(default=True, metadata={
        "help": "expert chiplets save their inputs and FFN activations to their group's DRAM"})
    # SwiGLU backward needs the gate and up projections' outputs (2); 0 keeps only the inputs.
    expert_act_tensors: int = field(default=2, metadata={
        "help": "FFN-size tensors saved per (token, expert) pair (without recompute)"})

    def run(self, module: Module, ctx: PassContext) -> Module:
        if any(r.kind == "schedule" for r in module.body if isinstance(r, Region)):
            raise PassError("module already has a schedule (run stream-schedule once)")
        micro_batches = self.micro_batches or ctx.micro_batches
        if micro_batches <= 0:
            raise PassError(f"micro-batches must be positive, got {micro_batches}")
        optimizer = str(module.attrs.get("optimizer", "sgd"))
        if optimizer not in OPTIMIZERS:
            raise PassError(f"unknown optimizer '{optimizer}' in the module attributes")
        if self.act_tensors < 0 or self.expert_act_tensors < 0:
            raise PassError("act-tensors and expert-act-tensors must be >= 0")
        ffn_tensors = 0 if self.recompute else self.expert_act_tensors  # recomputation keeps only the inputs
        target = ctx.hardware()
        blocks = block_costs(module, target, self.act_tensors, self.recompute,
                             ffn_tensors if self.expert_saves else None)
        plan = plan_sram(module, blocks, target)
        buffers = plan.buffers
        for unit, count in buffers.items():
            if count == 1 and self.overlap:
                ctx.notes.append(f"stream-schedule: two weight buffers do not fit the {unit} chiplets' SRAM; "
                                 "their loads wait for their compute (single buffering)")
        tiled = sorted({(unit, r.tiles) for (_, unit), r in plan.blocks.items() if r.tiled})
        if tiled:
            ctx.notes.append("stream-schedule: weights too large for SRAM stream in tiles every micro-batch ("
                             + ", ".join(f"{unit}: up to {max(n for u, n in tiled if u == unit)} tiles"
                                         for unit in dict.fromkeys(u for u, _ in tiled))
                             + "); their gradients accumulate in DRAM")
        builder = _Builder(self, micro_batches, optimizer, DTYPE_BYTES[str(module.attrs["dtype"])], plan)
        builder.build(blocks)
        attrs: dict[str, Attr] = {
            "micro_batches": micro_batches, "overlap": self.overlap, "order": Ident(self.order),
            "tile_layout": Ident(self.tile_layout),
            "reload": Ident(self.reload), "recompute": self.recompute, "optimizer": Ident(optimizer),
            "expert_saves": self.expert_saves,
            "expert_act_tensors": ffn_tensors,
            "tokens_per_micro_batch": blocks[0].tokens if blocks else 0, "steps": len(builder.ops),
            "weight_buffers": {unit: (count if self.overlap else 1) for unit, count in buffers.items()},
        }
        attrs["sram"] = sram_attr(plan)
        module.body.append(Region("schedule", None, attrs, list(builder.ops)))
        return module


class _Builder:
    """Emits steps in program order and wires their dependencies."""

    def __init__(self, options: StreamSchedule, micro_batches: int, optimizer: str, element: int,
                 plan: SramPlan) -> None:
        self.o = options
        self.plan = plan
        self.buffers = plan.buffers
        self.mbs = micro_batches
        self.optimizer = optimizer
        self.element = element
        self.ops: list[Op] = []
        # unit -> compute steps that hold its weight buffers, oldest first (double buffering)
        self.holders: dict[str, list[str]] = {}
        self.saved: dict[tuple[int, int], str] = {}
        self.saved_experts: dict[tuple[int, int], str] = {}
        self.grads: dict[tuple[str, int], str] = {}

    def step(self, kind: str, name: str, deps: list[str | None], attrs: dict[str, Attr]) -> str:
        wanted = [d for d in deps if d is not None]
        if not self.o.overlap and self.ops:
            previous = self.ops[-1].result_name
            if previous is not None:
                wanted.append(previous)
        unique = list(dict.fromkeys(wanted))
        self.ops.append(Op(kind, unique, attrs, Value(name, EventType())))
        return name

    def load(self, unit: str, prefix: str, block: str, nbytes: int, where: dict[str, Attr]) -> str:
        """Load weights into ``unit``'s SRAM once one of its two buffers is free (a tiled block: its
        tiles stream through two tile buffers, which the backend chains)."""
        held = self.holders.get(unit, [])
        # double buffering frees the buffer of the block before last; a single buffer the last one
        depth = min(2 if self.o.overlap else 1, self.buffers.get(unit, 2))
        free_after = held[-depth] if len(held) >= depth else None
        return self.step("load_weights", f"{prefix}.load_{block}", [free_after],
                         {**where, "block": Ident(block), "bytes": nbytes, **self.tiles(unit, where)})

    def tiles(self, unit: str, where: dict[str, Attr]) -> dict[str, Attr]:
        """``{"tiles": n}`` when ``unit`` streams this block in tiles, else nothing."""
        r = self.plan.residency(int_attr(where, "layer", None, "schedule step"), unit)
        return {"tiles": r.tiles} if r is not None and r.tiled else {}

    def streams(self, unit: str, layer: int) -> bool:
        """Whether ``unit`` keeps nothing of block ``layer`` between micro-batches (per-micro-batch
        reload, or a tiled block)."""
        r = self.plan.residency(layer, unit)
        return self.o.reload == "per-micro-batch" or (r is not None and r.tiled)

    def hold(self, unit: str, compute: str) -> None:
        self.holders.setdefault(unit, []).append(compute)

    def order(self, blocks: list[BlockCosts]) -> list[tuple[str, int, BlockCosts]]:
        """(phase, micro-batch, block) in execution order."""
        seq: list[tuple[str, int, BlockCosts]] = []
        if self.o.reload == "per-micro-batch":
            for m in range(self.mbs):
                seq += [("fwd", m, b) for b in blocks]
                seq += [("bwd", m, b) for b in reversed(blocks)]
        else:
            seq += [("fwd", m, b) for b in blocks for m in range(self.mbs)]
            seq += [("bwd", m, b) for b in reversed(blocks) for m in range(self.mbs)]
        return seq

    def build(self, blocks: list[BlockCosts]) -> None:
        out: dict[tuple[str, int], str | None] = {}
        seq = self.order(blocks)
        for index, (phase, m, b) in enumerate(seq):
            first_of_block = index == 0 or seq[index - 1][2] is not b or seq[index - 1][0] != phase
            loads = self.o.reload == "per-micro-batch" or first_of_block
            if phase == "fwd":
                out[("fwd", m)] = self.forward(m, b, out.get(("fwd", m)), loads)
            else:
                out[("bwd", m)] = self.backward(m, b, out.get(("bwd", m)), loads)

    def forward(self, m: int, b: BlockCosts, prev: str | None, loads: bool) -> str:
        p = f"fwd.m{m}.l{b.layer}"
        where: dict[str, Attr] = {"phase": Ident("fwd"), "mb": m, "layer": b.layer}
        load_a = load_e = None
        if b.attn_bytes and (loads or self.streams("attention", b.layer)):
            load_a = self.load("attention", p, "attention", b.attn_bytes, where)
        if b.expert_bytes and (loads or self.streams("experts", b.layer)):
            load_e = self.load("experts", p, b.expert_block, b.expert_bytes, where)
        result = prev
        if b.attn_flops or b.attn_bytes:
            result = self.step("compute", f"{p}.attention", [load_a, prev],
                               {**where, "block": Ident("attention"), "flops": b.attn_flops,
                                **self.tiles("attention", where)})
            self.hold("attention", result)
        if b.expert_bytes:
            send = self.step("dispatch", f"{p}.dispatch", [result], {**where, "bytes": b.dispatch_bytes})
            work = self.step("compute", f"{p}.{b.expert_block}", [send, load_e],
                             {**where, "block": Ident(b.expert_block), "flops": b.expert_flops,
                              **self.tiles("experts", where)})
            self.hold("experts", work)
            if b.expert_save_bytes:
                self.saved_experts[(m, b.layer)] = self.step(
                    "save_act", f"{p}.save_act_{b.expert_block}", [work],
                    {**where, "block": Ident(b.expert_block), "bytes": b.expert_save_bytes})
            result = self.step("combine", f"{p}.combine", [work], {**where, "bytes": b.combine_bytes})
        if b.save_bytes:
            self.saved[(m, b.layer)] = self.step("save_act", f"{p}.save_act", [result],
                                                 {**where, "bytes": b.save_bytes})
        return result or ""

    def backward(self, m: int, b: BlockCosts, prev: str | None, loads: bool) -> str:
        p = f"bwd.m{m}.l{b.layer}"
        where: dict[str, Attr] = {"phase": Ident("bwd"), "mb": m, "layer": b.layer}
        last = m == self.mbs - 1
        state = OPTIMIZERS[self.optimizer].state_bytes(self.element)
        extra = (lambda nbytes: nbytes // self.element * state) if last else (lambda nbytes: 0)
        load_a = load_e = None
        if b.attn_bytes and (loads or self.streams("attention", b.layer)):
            load_a = self.load("attention", p, "attention", b.attn_bytes + extra(b.attn_bytes), where)
        if b.expert_bytes and (loads or self.streams("experts", b.layer)):
            load_e = self.load("experts", p, b.expert_block, b.expert_bytes + extra(b.expert_bytes), where)
        restore = None
        if (m, b.layer) in self.saved:
            restore = self.step("load_act", f"{p}.load_act", [self.saved[(m, b.layer)]],
                                {**where, "bytes": b.save_bytes})
        grad_in = prev
        computes: list[tuple[str, str, int]] = []
        if b.expert_bytes:
            send = self.step("dispatch", f"{p}.dispatch", [grad_in, restore], {**where, "bytes": b.combine_bytes})
            acc = self.grad_load(p, "experts", b.expert_block, b.expert_bytes, m, where)
            restore_e = None
            if (m, b.layer) in self.saved_experts:
                restore_e = self.step("load_act", f"{p}.load_act_{b.expert_block}", [self.saved_experts[(m, b.layer)]],
                                      {**where, "block": Ident(b.expert_block), "bytes": b.expert_save_bytes})
            work = self.step("compute", f"{p}.{b.expert_block}", [send, load_e, acc, restore_e],
                             {**where, "block": Ident(b.expert_block), "flops": b.expert_flops_bwd,
                              **self.tiles("experts", where)})
            self.hold("experts", work)
            computes.append(("experts", work, b.expert_bytes))
            grad_in = self.step("combine", f"{p}.combine", [work], {**where, "bytes": b.dispatch_bytes})
        if b.attn_flops or b.attn_bytes:
            acc = self.grad_load(p, "attention", "attention", b.attn_bytes, m, where)
            work = self.step("compute", f"{p}.attention", [grad_in, restore, load_a, acc],
                             {**where, "block": Ident("attention"), "flops": b.attn_flops_bwd,
                              **self.tiles("attention", where)})
            self.hold("attention", work)
            computes.append(("attention", work, b.attn_bytes))
            grad_in = work
        for unit, work, nbytes in computes:
            block = b.expert_block if unit == "experts" else "attention"
            if not nbytes:
                continue
            if last:
                upd = self.step("update", f"{p}.update_{block}", [work],
                                {**where, "phase": Ident("update"), "block": Ident(block),
                                 "flops": nbytes // self.element * OPTIMIZERS[self.optimizer].update_flops})
                self.step("store_weights", f"{p}.store_{block}", [upd],
                          {**where, "phase": Ident("update"), "block": Ident(block), "bytes": nbytes + extra(nbytes)})
            elif self.streams(unit, b.layer):
                self.grads[(block, b.layer)] = self.step("store_grads", f"{p}.store_grads_{block}", [work],
                                                         {**where, "block": Ident(block), "bytes": nbytes})
        return grad_in or ""

    def grad_load(self, p: str, unit: str, block: str, nbytes: int, m: int, where: dict[str, Attr]) -> str | None:
        """Partial gradients of earlier micro-batches come back from DRAM (per-micro-batch reload, or a
        tiled block whose gradients cannot stay on chip)."""
        layer = int_attr(where, "layer", None, "schedule step")
        if not self.streams(unit, layer) or m == 0 or not nbytes:
            return None
        return self.step("load_grads", f"{p}.load_grads_{block}", [self.grads.get((block, layer))],
                         {**where, "block": Ident(block), "bytes": nbytes})
