"""The lowering's state and plumbing: instructions so far, per-step indices, dependencies, transfers.

Dependencies are per chiplet where both steps act on it (chiplet c's expert compute waits for
chiplet c's load and dispatch, not the whole group) and otherwise on every instruction of the step
they wait for (through one barrier per step when it has more than two), which is what lets light
clusters load while the heaviest computes. When one chiplet's share of an earlier, finished step is
larger than :data:`OWNER_FAN_IN` instructions, a barrier on that chiplet joins it once, and later
instructions wait for the barrier: ``k`` instructions feeding ``m`` cost ``k + m`` dependency edges
instead of ``k x m`` (a tiled DeepSeek-V3 expert step has about 800 per chiplet). A barrier
finishes the instant its last dependency does, so the timing is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from mozartc.analysis.experts import ExpertsMapping
from mozartc.analysis.traffic import expert_act_bytes
from mozartc.errors import BackendError
from mozartc.hw.target import Target
from mozartc.ir.core import Module, Op, Region
from mozartc.ir.types import DTYPE_BYTES
from mozartc.isa.instr import Instr

T = TypeVar("T")

#: a chiplet's share of an earlier step is joined by one barrier when a later instruction would wait
#: for more than this many of its instructions (module docstring); the paper's models stay under it
#: (qwen3-30b-a3b: at most 16, 8 experts x 2 GEMMs on one chiplet), so their streams keep direct edges
OWNER_FAN_IN = 32


@dataclass(frozen=True)
class Step:
    """A schedule step being lowered: the op, its instruction kind, layer and block."""

    op: Op
    kind: str
    layer: int
    block: str


class Lowering:
    """The instructions emitted so far and what later steps need to depend on them."""

    def __init__(self, module: Module, target: Target, schedule: Region) -> None:
        self.module = module
        self.target = target
        self.element = DTYPE_BYTES[str(module.attrs["dtype"])]
        self.seq_len, self.micro_batch = module.int_attr("seq_len"), module.int_attr("micro_batch")
        self.tokens = self.seq_len * self.micro_batch
        self.order = str(schedule.attrs.get("order", "load-desc"))
        self.overlap = schedule.attrs.get("overlap", True) is True
        self.tile_layout = str(schedule.attrs.get("tile_layout", "expert-major"))
        ffn_tensors = schedule.attrs.get("expert_act_tensors", 0)
        self.expert_act_tensors = ffn_tensors if isinstance(ffn_tensors, int) else 0
        self.instrs: list[Instr] = []
        # step name -> unit -> instruction indices; and step name -> its joining barrier
        self.by_unit: dict[str, dict[str, list[int]]] = {}
        self.joins: dict[str, int] = {}
        self.pending: dict[str, Op] = {}  # tiled weight loads, lowered with their compute step
        # steps whose instructions are all emitted; steps emitted into since the last close()
        self.closed: set[str] = set()
        self._open: set[str] = set()
        self.owner_joins: dict[tuple[str, str], int] = {}  # (step, chiplet) -> its joining barrier
        self.layers = {r.index: {op.name: op for op in r.ops()} for r in module.layers() if r.index is not None}
        self.head = {op.name: op for op in module.body if isinstance(op, Op)}
        self.root = target.attention_chiplets[0].name
        self.experts = [c.name for c in target.expert_chiplets]
        # stack -> what the step keeps there (footprint_category) -> bytes
        self.dram_use: dict[str, dict[str, int]] = {}
        # (what, id of an experts op) -> what :meth:`memo` worked out for it: mapping, load order, ...
        self._memo: dict[tuple[str, int], object] = {}
        self._stacks: dict[str, list[str]] = {}  # chiplet -> the DRAM stacks of its node

    def ops(self, layer: int) -> dict[str, Op]:
        """The ops of block ``layer`` by name (the LM head's block: the module's top-level ops)."""
        return self.layers.get(layer, self.head)

    # ---- instructions and dependencies --------------------------------------------------------
    def emit(self, step: Op, owner: str, op: str, kind: str, after: Sequence[int] = (), covered: str = "",
             **fields: Any) -> int:
        """Append instruction ``op`` for ``step`` on ``owner`` (a chiplet or switch), after the steps
        ``step`` waits for and the instructions ``after``; return its index.

        ``covered`` names a step whose instructions on ``owner`` ``after`` already waits for, directly
        or through its dependencies (a tile's GEMMs and the loads of that tile and the tiles before)."""
        deps: list[int] = list(after)
        by_unit, overlap = self.by_unit, self.overlap
        for dep in step.operands:
            units = by_unit.get(dep)
            same = units.get(owner) if units and overlap else None
            if not same:
                deps.extend(self.join(dep))
            elif dep == covered:
                continue
            elif len(same) > OWNER_FAN_IN and dep in self.closed:
                deps.append(self.owner_join(dep, owner))
            else:
                deps.extend(same)
        index = len(self.instrs)
        result = step.result.name if step.result is not None else None
        name = result or ""
        self._open.add(name)
        units = by_unit.get(name)
        if units is None:
            units = by_unit[name] = {}
        mine = units.get(owner)
        if mine is None:
            units[owner] = [index]
        else:
            mine.append(index)
        ordered = tuple(deps) if len(deps) < 2 else tuple(sorted(set(deps)))
        self.instrs.append(Instr(op, kind, f"{result}.{owner}", ordered, **fields))
        return index

    def join(self, step_name: str) -> list[int]:
        """Instructions that stand for the whole of a step: itself when small, else one barrier joining it.

        A barrier per step keeps fan-in linear: a step on 16 chiplets followed by a step on 16
        chiplets costs 32 dependency edges through the barrier instead of 256.
        """
        if step_name in self.joins:
            return [self.joins[step_name]]
        members = sorted(i for idx in self.by_unit.get(step_name, {}).values() for i in idx)
        if len(members) <= 2:
            return members
        self.joins[step_name] = len(self.instrs)
        self.instrs.append(Instr("barrier", "sync", f"{step_name}.join", deps=tuple(members)))
        return [self.joins[step_name]]

    def owner_join(self, step_name: str, owner: str) -> int:
        """The barrier joining the finished step ``step_name``'s instructions on ``owner`` (made once)."""
        key = (step_name, owner)
        if key not in self.owner_joins:
            self.owner_joins[key] = len(self.instrs)
            members = tuple(sorted(self.by_unit[step_name][owner]))
            self.instrs.append(Instr("barrier", "sync", f"{step_name}.{owner}.join", deps=members))
        return self.owner_joins[key]

    def close(self) -> None:
        """After a schedule step is lowered: every step emitted into is finished, except tiled loads
        still waiting for their compute step."""
        self.closed.update(name for name in self._open if name not in self.pending)
        self._open.clear()

    def emitted(self, step: Op) -> list[int]:
        """Every instruction emitted so far for ``step``, in index order."""
        return sorted(i for idx in self.by_unit.get(step.result_name or "", {}).values() for i in idx)

    # ---- DRAM transfers -----------------------------------------------------------------------
    def transfer(self, step: Op, op: str, kind: str, chiplet: str, nbytes: int, to_dram: bool,
                 after: Sequence[int] = ()) -> list[int]:
        """A DRAM transfer of ``nbytes`` for ``chiplet``, split evenly over the stacks of its node
        (the attention chiplet's own stacks, an expert chiplet's group stacks); returns the indices."""
        stacks = self._stacks.get(chiplet)
        if stacks is None:
            node = chiplet if chiplet == self.root else self._group_switch(chiplet)
            stacks = self._stacks[chiplet] = [d.name for d in self.target.dram_of(node)]
            if not stacks:
                raise BackendError(f"target {self.target.name} has no DRAM attached to {node}")
        share = -(-nbytes // len(stacks))
        category = footprint_category(step)
        out = []
        for stack in stacks:
            src, dst = (chiplet, stack) if to_dram else (stack, chiplet)
            out.append(self.emit(step, chiplet, op, kind, after=after, src=src, dst=dst, bytes=share))
            if category is not None:
                use = self.dram_use.setdefault(stack, {})
                use[category] = use.get(category, 0) + share
        return out

    def _group_switch(self, chiplet: str) -> str:
        group = self.target.chiplet(chiplet).group
        if group is None:
            raise BackendError(f"expert chiplet {chiplet} of target {self.target.name} belongs to no group")
        return self.target.switches[group]

    # ---- how a block divides over chiplets ----------------------------------------------------
    def shares(self, layer: int, block: str, total: int) -> list[tuple[str, int]]:
        """How a block's bytes (or FLOPs) divide over the chiplets holding it, in load order."""
        if block == "attention":
            return [(self.root, total)]
        if block == "experts":
            return proportional(total, self.cluster_weights(self.layers[layer]["experts"]))
        return [(chiplet, -(-total // len(self.experts))) for chiplet in self.experts]

    def act_shares(self, layer: int, block: str, total: int) -> list[tuple[str, int]]:
        """How an expert-side activation save divides over the expert chiplets (chiplet order)."""
        if block != "experts":
            return self.shares(layer, block, total)  # a split dense FFN: evenly
        op = self.layers[layer]["experts"]
        kept = self.memo("act_kept", op,
                         lambda: expert_act_bytes(op, self.tokens, self.element, self.expert_act_tensors))
        return proportional(total, list(zip(self.experts, kept, strict=True)))

    def mapping(self, op: Op) -> ExpertsMapping:
        """The placed :class:`ExpertsMapping` of experts op ``op``, read from its attributes once."""
        return self.memo("mapping", op, lambda: ExpertsMapping.from_op(op, placed=True))

    def memo(self, what: str, op: Op, make: Callable[[], T]) -> T:
        """``make()``, worked out once per ``what`` and op (by id: the module outlives the lowering)."""
        key = (what, id(op))
        if key not in self._memo:
            self._memo[key] = make()
        return cast(T, self._memo[key])

    def cluster_weights(self, op: Op) -> list[tuple[str, int]]:
        """Expert chiplets with their cluster's parameter count (a split expert's shard), in load order."""
        return self.memo("cluster_weights", op, lambda: self._cluster_weights(op))

    def _cluster_weights(self, op: Op) -> list[tuple[str, int]]:
        m = self.mapping(op)
        rows = [(self.experts[chiplet], m.cluster_params(c), m.cluster_work(c), chiplet)
                for c, chiplet in enumerate(m.placed())]
        if self.order == "load-desc":
            rows.sort(key=lambda r: (-r[2], r[3]))
        else:
            rows.sort(key=lambda r: r[3])
        return [(name, weights) for name, weights, _, _ in rows]


def footprint_category(step: Op) -> str | None:
    """What a DRAM transfer of ``step`` says the step keeps in that stack (one count per thing kept).

    ``weights``: the first forward micro-batch's weight loads (every block's weights, once);
    ``activations``: every forward activation save (all of them are live when backward starts);
    ``gradients``: the first micro-batch's partial-gradient stores (one buffer per streamed block);
    ``stored``: the weights and optimizer state written back by the update (state = stored - weights).
    """
    phase, mb = str(step.attrs.get("phase", "")), step.attrs.get("mb")
    if step.name == "load_weights" and phase == "fwd" and mb == 0:
        return "weights"
    if step.name == "save_act" and phase == "fwd":
        return "activations"
    if step.name == "store_grads" and mb == 0:
        return "gradients"
    if step.name == "store_weights":
        return "stored"
    return None


def piece(total: int, k: int, pieces: int) -> int:
    """Piece ``k`` of ``total`` cut into ``pieces`` near-equal integers (they add up to ``total``)."""
    return (total * (k + 1)) // pieces - (total * k) // pieces


def proportional(total: int, weights: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """``total`` split over the named units in proportion to their weights (each share rounded up)."""
    whole = sum(w for _, w in weights) or 1
    return [(unit, -(-total * w // whole)) for unit, w in weights]


def tiles(step: Op) -> int:
    """How many tiles a schedule step's weights stream in (1: resident)."""
    return step.int_attr("tiles", 1)
