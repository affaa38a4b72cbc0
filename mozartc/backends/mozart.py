"""The built-in ``mozart`` backend: lower a scheduled module to the wafer's instruction stream.

Each schedule step becomes instructions on named resources of the target (:mod:`mozartc.isa.instr`):

- ``load_weights`` / ``store_weights`` / grads: per chiplet holding the block, from/to the DRAM of
  its node (attention chiplet: its stacks, bytes split evenly; expert chiplet: its group's stack);
  expert chiplets of a group load in the schedule's ``order`` (heaviest cluster first for
  ``load-desc``), so a group's shared DRAM serves them in that order;
- ``compute``: GEMMs on the chiplet's arrays. Attention: q/k/v/o projections, scores and values per
  head, router and shared experts, plus the remaining elementwise FLOPs; experts: per expert on its
  chiplet, gate and up (T_e x D) @ (D x F) and down (T_e x F) @ (F x D) with ``T_e`` the expert's
  tokens in the micro-batch (from the trace, rounded up to a multiple of ``TOKEN_QUANTUM``); split
  dense FFNs and the LM head: a ``1/chiplets`` slice of the weights on every expert chiplet;
  backward multiplies the GEMM count by the step's FLOPs ratio (2, or 3 with recomputation);
- ``dispatch`` / ``combine``: one send per expert chiplet to/from the attention chiplet, routed
  through its group's switch (the paper's all-to-all). With ``a2a-dedup{switch-multicast}`` the
  dispatch is relayed: one multicast copy per group up to the switch, then the switch forwards each
  chiplet its copies; with ``switch-reduce`` the combine's partial sums are summed in the switch
  (``reduce``) before one vector per token goes up. A relay is cut into ``relay_chunks`` pieces and
  every leg out of a switch depends on the leg that brought its data in;
- ``save_act`` / ``load_act``: the attention chiplet to/from its DRAM; with ``block = experts`` (or
  ``dense``) every expert chiplet to/from its group's DRAM, the step's bytes split in proportion to
  what each chiplet keeps (:func:`mozartc.mapping.traffic.expert_act_bytes`; evenly for a split
  dense FFN).

Dependencies are per chiplet where both steps act on it (chiplet c's expert compute waits for
chiplet c's load and dispatch, not the whole group) and otherwise on every instruction of the step
they wait for; that is what lets light clusters load while the heaviest computes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from mozartc.backends.base import Backend, BackendOutput
from mozartc.errors import BackendError
from mozartc.hw.target import Target
from mozartc.ir.core import Module, Op, Region
from mozartc.ir.types import DTYPE_BYTES
from mozartc.isa.instr import Instr, Stream
from mozartc.isa.mzs import print_stream
from mozartc.mapping.blocks import ATTENTION_SIDE
from mozartc.mapping.experts import ExpertsMapping
from mozartc.mapping.traffic import dispatch_copies, expert_act_bytes

#: expert token counts are rounded up to this multiple (GEMM rows pad to the array; keeps the
#: number of distinct GEMM shapes small so their cost is cached)
TOKEN_QUANTUM = 16

_STEP_KIND = {"load_weights": "dram_load", "load_act": "dram_load", "load_grads": "dram_load",
              "store_weights": "dram_save", "save_act": "dram_save", "store_grads": "dram_save",
              "dispatch": "all_to_all", "combine": "all_to_all", "compute": "compute", "update": "compute"}


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


@dataclass(frozen=True)
class _Layer:
    """What the lowering needs of one block: its ops, by name."""

    index: int
    ops: dict[str, Op]


def lower_module(module: Module, target: Target) -> Stream:
    """The instruction stream of ``module``'s schedule on ``target`` (see the module docstring)."""
    schedule = next((r for r in module.body if isinstance(r, Region) and r.kind == "schedule"), None)
    if schedule is None:
        raise BackendError("the module has no schedule: run a pipeline with stream-schedule "
                           "(e.g. --pipeline mozart-c) before the mozart backend")
    lowering = _Lowering(module, target, schedule)
    for op in schedule.body:
        if isinstance(op, Op):
            lowering.step(op)
    if lowering.pending:
        raise BackendError(f"tiled weight loads without a compute step: {sorted(lowering.pending)}")
    attrs: dict[str, str | int | float | bool] = {
        "model": str(module.attrs.get("model", module.name)), "target": target.name,
    }
    if isinstance(module.attrs.get("pipeline"), str):
        attrs["pipeline"] = str(module.attrs["pipeline"])
    attrs.update(_copies_per_token(module))
    attrs.update(_sram_attrs(schedule))
    micro_batches = schedule.attrs.get("micro_batches")
    if isinstance(micro_batches, int):  # tokens per step = micro_batches x micro_batch x seq_len (energy per token)
        attrs.update(micro_batches=micro_batches, micro_batch=lowering.micro_batch, seq_len=lowering.seq_len)
    return Stream(module.name, attrs, tuple(lowering.instrs))


def _sram_attrs(schedule: Region) -> dict[str, str | int | float | bool]:
    """``sram.peak.CHIP`` and ``sram.capacity.CHIP`` (bytes) from the schedule's SRAM plan."""
    sram = schedule.attrs.get("sram")
    out: dict[str, str | int | float | bool] = {}
    if isinstance(sram, dict):
        for chip, entry in sram.items():
            if isinstance(entry, dict) and isinstance(entry.get("peak"), int):
                peak, capacity = entry["peak"], entry.get("capacity")
                assert isinstance(peak, int) and isinstance(capacity, int)
                out[f"sram.peak.{chip}"] = peak
                out[f"sram.capacity.{chip}"] = capacity
    return out


def _copies_per_token(module: Module) -> dict[str, str | int | float | bool]:
    """The stream's ``C_T``: copies per token actually sent (the clustering's C_T with a deduplicated
    dispatch, top_k without), and ``layout_C_T``, the clustering's distinct chiplets per token."""
    clustering = module.attrs.get("clustering")
    layout = clustering.get("C_T") if isinstance(clustering, dict) else None
    experts = list(module.ops_named("experts"))
    if not isinstance(layout, float | int) or not experts:
        return {}
    dedup = all(op.attrs.get("a2a_dedup") is True for op in experts)
    top_k = experts[0].attrs.get("top_k")
    sent = float(layout) if dedup or not isinstance(top_k, int) else float(top_k)
    return {"C_T": sent, "layout_C_T": float(layout)}


class _Lowering:
    def __init__(self, module: Module, target: Target, schedule: Region) -> None:
        self.module = module
        self.target = target
        self.element = DTYPE_BYTES[str(module.attrs["dtype"])]
        seq_len, micro_batch = module.attrs["seq_len"], module.attrs["micro_batch"]
        assert isinstance(seq_len, int) and isinstance(micro_batch, int)
        self.seq_len, self.micro_batch = seq_len, micro_batch
        self.tokens = seq_len * micro_batch
        self.order = str(schedule.attrs.get("order", "load-desc"))
        self.overlap = schedule.attrs.get("overlap", True) is True
        ffn_tensors = schedule.attrs.get("expert_act_tensors", 0)
        self.expert_act_tensors = ffn_tensors if isinstance(ffn_tensors, int) else 0
        self.instrs: list[Instr] = []
        # step name -> unit -> instruction indices; and step name -> all its indices
        self.by_unit: dict[str, dict[str, list[int]]] = {}
        self.joins: dict[str, int] = {}
        self.pending: dict[str, Op] = {}  # tiled weight loads, lowered with their compute step
        self.layers = {r.index: _Layer(r.index, {op.name: op for op in r.ops()})
                       for r in module.layers() if r.index is not None}
        self.head = {op.name: op for op in module.body if isinstance(op, Op)}
        self.root = target.attention_chiplets[0].name
        self.experts = [c.name for c in target.expert_chiplets]

    # ---- plumbing -------------------------------------------------------------------------
    def emit(self, step: Op, owner: str, op: str, kind: str, after: Sequence[int] = (), **fields: Any) -> int:
        """Append instruction ``op`` for ``step`` on ``owner`` (a chiplet or switch), after the steps
        ``step`` waits for and the instructions ``after``; return its index."""
        deps: list[int] = list(after)
        for dep in step.operands:
            units = self.by_unit.get(dep, {})
            same = units.get(owner) if self.overlap else None
            deps.extend(same if same else self.join(dep))
        index = len(self.instrs)
        self.by_unit.setdefault(step.result_name or "", {}).setdefault(owner, []).append(index)
        self.instrs.append(Instr(op, kind, f"{step.result_name}.{owner}", tuple(sorted(set(deps))), **fields))
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

    def _dram(self, node: str) -> list[str]:
        stacks = [d.name for d in self.target.dram_of(node)]
        if not stacks:
            raise BackendError(f"target {self.target.name} has no DRAM attached to {node}")
        return stacks

    def _group_node(self, chiplet: str) -> str:
        group = self.target.chiplet(chiplet).group
        assert group is not None
        return self.target.switches[group]

    def transfer(self, step: Op, op: str, kind: str, chiplet: str, nbytes: int, to_dram: bool,
                 after: Sequence[int] = ()) -> list[int]:
        """A DRAM transfer of ``nbytes`` for ``chiplet``, split evenly over the stacks of its node;
        returns the instructions' indices."""
        node = chiplet if chiplet == self.root else self._group_node(chiplet)
        stacks = self._dram(node)
        share = -(-nbytes // len(stacks))
        out = []
        for stack in stacks:
            src, dst = (chiplet, stack) if to_dram else (stack, chiplet)
            out.append(self.emit(step, chiplet, op, kind, after=after, src=src, dst=dst, bytes=share))
        return out

    # ---- steps ----------------------------------------------------------------------------
    def step(self, step: Op) -> None:
        kind = _STEP_KIND.get(step.name)
        if kind is None:
            raise BackendError(f"{step.label()}: the mozart backend cannot lower schedule op '{step.name}'")
        block = str(step.attrs.get("block", ""))
        layer = step.attrs["layer"]
        assert isinstance(layer, int)
        if step.name == "load_weights" and _tiles(step) > 1:
            self.pending[step.result_name or ""] = step  # lowered with the compute step that uses it
        elif step.name in ("load_weights", "store_weights", "load_grads", "store_grads", "update"):
            for unit, share in self.shares(layer, block, step.attrs.get("bytes", step.attrs.get("flops", 0))):
                if step.name == "update":
                    self.emit(step, unit, "compute", kind, unit=unit, flops=share)
                else:
                    self.transfer(step, "store" if kind == "dram_save" else "load", kind, unit, share,
                                  to_dram=kind == "dram_save")
        elif step.name in ("save_act", "load_act"):
            nbytes = step.attrs["bytes"]
            assert isinstance(nbytes, int)
            op = "store" if step.name == "save_act" else "load"
            if block in ("experts", "dense"):
                for unit, share in self.act_shares(layer, block, nbytes):
                    if share:
                        self.transfer(step, op, kind, unit, share, to_dram=step.name == "save_act")
            else:
                self.transfer(step, op, kind, self.root, nbytes, to_dram=step.name == "save_act")
        elif step.name in ("dispatch", "combine"):
            experts = self.layers.get(layer, _Layer(layer, self.head)).ops.get("experts")
            if experts is not None and step.name == "dispatch" and experts.attrs.get("switch_multicast") is True:
                self.multicast_dispatch(step, experts)
            elif (experts is not None and step.name == "combine" and experts.attrs.get("switch_reduce") is True
                  and self.target.switch.reduction):
                self.reduced_combine(step, experts)
            else:
                for chiplet, nbytes in self.a2a(layer, step.name):
                    src, dst = (self.root, chiplet) if step.name == "dispatch" else (chiplet, self.root)
                    self.emit(step, chiplet, "send", kind, src=src, dst=dst, bytes=nbytes)
            if experts is not None and step.name == "combine":
                self.partial_sums(step, experts)
        else:
            self.compute(step, layer, block)

    def shares(self, layer: int, block: str, total: object) -> list[tuple[str, int]]:
        """How a block's bytes (or FLOPs) divide over the chiplets holding it, in load order."""
        assert isinstance(total, int)
        if block == "attention":
            return [(self.root, total)]
        if block == "experts":
            return _proportional(total, self.cluster_weights(self.layers[layer].ops["experts"]))
        return [(chiplet, -(-total // len(self.experts))) for chiplet in self.experts]

    def act_shares(self, layer: int, block: str, total: int) -> list[tuple[str, int]]:
        """How an expert-side activation save divides over the expert chiplets (chiplet order)."""
        if block != "experts":
            return self.shares(layer, block, total)  # a split dense FFN: evenly
        kept = expert_act_bytes(self.layers[layer].ops["experts"], self.tokens, self.element, self.expert_act_tensors)
        return _proportional(total, list(zip(self.experts, kept, strict=True)))

    def cluster_weights(self, op: Op) -> list[tuple[str, int]]:
        """Expert chiplets with their cluster's parameter count (a split expert's shard), in load order."""
        m = ExpertsMapping.from_op(op, placed=True)
        rows = [(self.experts[chiplet], m.cluster_params(c), m.cluster_work(c), chiplet)
                for c, chiplet in enumerate(m.placed())]
        if self.order == "load-desc":
            rows.sort(key=lambda r: (-r[2], r[3]))
        else:
            rows.sort(key=lambda r: r[3])
        return [(name, weights) for name, weights, _, _ in rows]

    def partial_sums(self, step: Op, experts: Op) -> None:
        """Add up split experts' partial outputs on the attention chiplet after the combine.

        ``sum_e pairs_e x (shards_e - 1) x D`` additions per micro-batch (pairs scaled from the trace);
        nothing when no expert is split. The backward combine adds the shards' input gradients the same way.
        """
        m = ExpertsMapping.from_op(experts, placed=True)
        adds = round(m.partial_sums() * self.tokens / m.trace_tokens) * m.dim
        if adds:
            sends = self.by_unit.get(step.result_name or "", {})
            after = sorted(i for idx in sends.values() for i in idx)
            self.emit(step, self.root, "compute", "compute", after=after, unit=self.root, flops=adds)

    def _relays(self, experts: Op, uplink_key: str) -> list[tuple[str, list[tuple[str, int]], int, int]]:
        """Per group with traffic: (switch, [(chiplet, dispatch bytes)], uplink bytes, pieces).

        ``uplink_key`` names the per-group uplink bytes; chiplets with no bytes are left out; a relay is
        cut into ``relay_chunks`` pieces (no more pieces than bytes).
        """
        per_chiplet, uplink = experts.attrs["dispatch_bytes"], experts.attrs[uplink_key]
        assert isinstance(per_chiplet, list) and isinstance(uplink, list)
        chunks = _attr(experts, "relay_chunks") if "relay_chunks" in experts.attrs else 1
        per_group = self.target.chiplets_per_group
        out: list[tuple[str, list[tuple[str, int]], int, int]] = []
        for group, switch in enumerate(self.target.switches):
            members = [(self.experts[c], n) for c in range(group * per_group, (group + 1) * per_group)
                       if isinstance(n := per_chiplet[c], int) and n > 0]
            up = uplink[group]
            assert isinstance(up, int)
            if up and members:
                out.append((switch, members, up, min(chunks, up)))
        return out

    def multicast_dispatch(self, step: Op, experts: Op) -> None:
        """Dispatch relayed by switches that multicast (``a2a-dedup{switch-multicast}``, beyond the paper).

        Per group, the uplink carries one copy per token and group (``uplink_bytes``) into the switch,
        which forwards each chiplet its copies (``dispatch_bytes``). Both legs are cut into
        ``relay_chunks`` pieces; leaf piece ``k`` depends on uplink piece ``k`` (store and forward per
        piece), so data leaves the switch only after it entered.
        """
        for switch, members, up, pieces in self._relays(experts, "uplink_bytes"):
            for k in range(pieces):
                into = self.emit(step, switch, "send", "all_to_all", src=self.root, dst=switch,
                                 bytes=_piece(up, k, pieces))
                for chiplet, nbytes in members:
                    part = _piece(nbytes, k, pieces)
                    if part:
                        self.emit(step, chiplet, "send", "all_to_all", after=(into,), src=switch, dst=chiplet,
                                  bytes=part)

    def reduced_combine(self, step: Op, experts: Op) -> None:
        """Combine reduced in the switches (``a2a-dedup{switch-reduce}``, beyond the paper).

        Per group and piece: every chiplet sends its partial sums into the switch, the adder tree sums
        them (``reduce`` after those sends, reading all their bytes) and one vector per token and group
        (``group_bytes``) goes up after the reduction.
        """
        for switch, members, back, pieces in self._relays(experts, "group_bytes"):
            for k in range(pieces):
                legs, read = [], 0
                for chiplet, nbytes in members:
                    part = _piece(nbytes, k, pieces)
                    if part:
                        legs.append(self.emit(step, chiplet, "send", "all_to_all", src=chiplet, dst=switch,
                                              bytes=part))
                        read += part
                if not legs:
                    continue
                summed = self.emit(step, switch, "reduce", "all_to_all", after=legs, unit=switch,
                                   bytes=-(-read // len(legs)), inputs=len(legs))
                self.emit(step, switch, "send", "all_to_all", after=(summed,), src=switch, dst=self.root,
                          bytes=_piece(back, k, pieces))

    def a2a(self, layer: int, which: str) -> list[tuple[str, int]]:
        """Bytes per expert chiplet of one dispatch or combine."""
        ops = self.layers.get(layer, _Layer(layer, self.head)).ops
        experts = ops.get("experts")
        if experts is not None:
            dim = experts.attrs["dim"]
            assert isinstance(dim, int)
            copies = dispatch_copies(experts, self.tokens, dedup=experts.attrs.get("a2a_dedup") is True)
            return [(self.experts[c], n * dim * self.element) for c, n in enumerate(copies) if n]
        dim = _dim(ops)
        if "lm_head" in ops and which == "combine":
            return [(c, self.tokens * 2 * self.element) for c in self.experts]
        return [(c, self.tokens * dim * self.element) for c in self.experts]

    def compute(self, step: Op, layer: int, block: str) -> None:
        """The block's GEMMs (and elementwise work) on every chiplet holding it; tiled when it streams."""
        work = self.compute_work(step, layer, block)
        tiles = _tiles(step)
        if tiles > 1:
            load = next((self.pending.pop(name) for name in step.operands if name in self.pending), None)
            self.tiled(load, step, work, tiles, layer, block)
            return
        for unit, gemms, extra in work:
            for m, k, n, count in gemms:
                self.emit(step, unit, "gemm", "compute", unit=unit, m=m, k=k, n=n, count=count)
            if extra:
                self.emit(step, unit, "compute", "compute", unit=unit, flops=extra)

    def compute_work(self, step: Op, layer: int, block: str) -> list[tuple[str, list[tuple[int, int, int, int]], int]]:
        """Per chiplet: its GEMMs ``(m, k, n, count)`` and the FLOPs of its elementwise work."""
        flops = step.attrs["flops"]
        assert isinstance(flops, int)
        ops = self.layers.get(layer, _Layer(layer, self.head)).ops
        if block == "attention":
            fwd = self.tokens * sum(_attr(op, "flops_per_token") for op in ops.values() if op.name in ATTENTION_SIDE
                                    or (op.name == "rmsnorm"))
            times = max(1, round(flops / fwd)) if fwd else 1
            gemms = [(m, k, n, c * times) for m, k, n, c in self.attention_gemms(ops) if m and k and n and c]
            done = sum(2 * m * k * n * c for m, k, n, c in gemms)
            return [(self.root, gemms, max(0, flops - done))]
        if block == "experts":
            op = ops["experts"]
            fwd = self.tokens * _attr(op, "flops_per_token")
            times = max(1, round(flops / fwd)) if fwd else 1
            return [(chiplet, [(m, k, n, c * times) for m, k, n, c in gemms], 0)
                    for chiplet, gemms in self.expert_gemms(op)]
        name = "mlp" if block == "dense" else "lm_head"
        op = ops[name]
        fwd = self.tokens * _attr(op, "flops_per_token")
        times = max(1, round(flops / fwd)) if fwd else 1
        slices = len(self.experts)
        dim = _attr(op, "dim")
        if name == "mlp":
            ffn = -(-_attr(op, "ffn_dim") // slices)
            split = [(self.tokens, dim, ffn, 2 * times), (self.tokens, ffn, dim, times)]
        else:
            split = [(self.tokens, dim, -(-_attr(op, "vocab") // slices), times)]
        return [(chiplet, split, 0) for chiplet in self.experts]

    def tiled(self, load: Op | None, step: Op, work: list[tuple[str, list[tuple[int, int, int, int]], int]],
              tiles: int, layer: int, block: str) -> None:
        """A block whose weights stream in ``tiles`` tiles (docs/schedule.md, "Weights larger than SRAM").

        On every chiplet: tile ``k`` loads ``1/tiles`` of the chiplet's weights once tile ``k - 2`` has
        computed (two tile buffers), and computes after its load and tile ``k - 1``: every GEMM with its
        weight dimension (the larger of ``k`` and ``n``) cut in ``tiles``, and ``1/tiles`` of the
        elementwise work.
        """
        nbytes = load.attrs.get("bytes", 0) if load is not None else 0
        assert isinstance(nbytes, int)
        shares = dict(self.shares(layer, block, nbytes)) if load is not None else {}
        for unit, gemms, extra in work:
            done: list[int] = []
            for k in range(tiles):
                loads: list[int] = []
                if load is not None and shares.get(unit):
                    loads = self.transfer(load, "load", "dram_load", unit, _piece(shares[unit], k, tiles), False,
                                          after=done[k - 2:k - 1] if k >= 2 else ())
                after = loads + done[-1:]
                last = -1
                for m, kk, n, count in gemms:
                    shape = (m, kk, -(-n // tiles)) if n >= kk else (m, -(-kk // tiles), n)
                    last = self.emit(step, unit, "gemm", "compute", after=after, unit=unit, m=shape[0], k=shape[1],
                                     n=shape[2], count=count)
                if extra:
                    last = self.emit(step, unit, "compute", "compute", after=after, unit=unit,
                                     flops=-(-extra // tiles))
                if last >= 0:
                    done.append(last)

    def attention_gemms(self, ops: dict[str, Op]) -> list[tuple[int, int, int, int]]:
        """Projection, score/value, router and shared-expert GEMMs of one forward pass."""
        t, s, b = self.tokens, self.seq_len, self.micro_batch
        gemms: list[tuple[int, int, int, int]] = []
        attn = ops.get("attention")
        if attn is not None:
            dim, heads, kv, hd = (_attr(attn, key) for key in ("dim", "heads", "kv_heads", "head_dim"))
            gemms += [(t, dim, (heads + 2 * kv) * hd, 1), (t, heads * hd, dim, 1),
                      (s, hd, s, b * heads), (s, s, hd, b * heads)]
        router = ops.get("router")
        if router is not None:
            gemms.append((t, _attr(router, "dim"), _attr(router, "experts"), 1))
        shared = ops.get("shared_experts")
        if shared is not None:
            width = _attr(shared, "ffn_dim") * _attr(shared, "experts")
            gemms += [(t, _attr(shared, "dim"), width, 2), (t, width, _attr(shared, "dim"), 1)]
        return gemms

    def expert_gemms(self, op: Op) -> list[tuple[str, list[tuple[int, int, int, int]]]]:
        """Per expert chiplet (load order), its experts' forward GEMMs, heaviest expert first (a shard
        multiplies by its slice of the FFN: ``F / shards`` columns of gate and up, rows of down)."""
        m = ExpertsMapping.from_op(op, placed=True)
        out: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
        for cluster, chiplet in zip(m.clusters, m.placed(), strict=True):
            for e in sorted(cluster, key=lambda e: (-m.expert_load[e], e)):
                tokens = m.expert_load[e] * self.tokens / m.trace_tokens
                rows = -(-int(tokens) // TOKEN_QUANTUM) * TOKEN_QUANTUM if tokens > 0 else 0
                ffn = m.shard_ffn(e)
                if rows:
                    out[self.experts[chiplet]] += [(rows, m.dim, ffn, 2), (rows, ffn, m.dim, 1)]
        order = [name for name, _ in self.cluster_weights(op)]
        return [(name, out[name]) for name in order]


def _attr(op: Op, key: str) -> int:
    value = op.attrs.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BackendError(f"{op.label()} lacks integer attribute '{key}'")
    return value


def _tiles(step: Op) -> int:
    """How many tiles a schedule step's weights stream in (1: resident)."""
    tiles = step.attrs.get("tiles", 1)
    return tiles if isinstance(tiles, int) and not isinstance(tiles, bool) else 1


def _piece(total: int, k: int, pieces: int) -> int:
    """Piece ``k`` of ``total`` cut into ``pieces`` near-equal integers (they add up to ``total``)."""
    return (total * (k + 1)) // pieces - (total * k) // pieces


def _proportional(total: int, weights: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """``total`` split over the named units in proportion to their weights (each share rounded up)."""
    whole = sum(w for _, w in weights) or 1
    return [(unit, -(-total * w // whole)) for unit, w in weights]


def _dim(ops: dict[str, Op]) -> int:
    for name in (*ATTENTION_SIDE, "mlp", "lm_head"):
        if name in ops and isinstance(ops[name].attrs.get("dim"), int):
            return _attr(ops[name], "dim")
    raise BackendError("block without a hidden dimension")

