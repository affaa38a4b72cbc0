"""The SRAM plan of a training step: which weights stay on chip, which stream in tiles, and every
chiplet's peak SRAM occupancy.

For each block (a transformer layer, or the LM head) and unit (the attention chiplet, the expert
chiplets), ``W`` is the largest share of the block's weights one chiplet holds (a cluster, a shard,
``1/chiplets`` of a split dense FFN or LM head, or the attention side) and ``A`` the working set of
one micro-batch on it (below). With ``S`` the chiplet's SRAM:

- **resident, double-buffered**: ``2 W + W + A <= S`` (the next block's weights load while this one
  computes; gradients stay on chip across micro-batches);
- **resident, single-buffered**: ``W + W + A <= S`` (loads wait for the compute);
- **tiled**: otherwise. The weights stream in ``n = ceil(W / t)`` tiles of ``t = floor((S - A) / 4)``
  bytes: two weight tiles (one loading while the other computes) and two gradient tiles (one being
  accumulated, one being written out). Tiles do not stay on chip, so the block streams its weights
  for every micro-batch, and in backward each micro-batch's gradient is accumulated in DRAM (read
  back from the second micro-batch on, written every micro-batch);
- **infeasible**: when ``A >= S`` or ``t`` is below one tile's minimum, a slab as wide as one array
  row of the block's widest weight matrix (``dim x array_cols x elements``). The error names the
  target fields and the options that change it.

A unit's resident blocks share one buffer depth (2 when every resident block fits two, else 1).

Working sets ``A`` (bytes of one micro-batch of ``T`` tokens, ``b`` bytes per element):

- expert chiplet (routed experts): its token copies in and its outputs, ``2 x copies x D x b``, plus
  the SwiGLU gate and up outputs of its busiest expert, ``2 x rows x F_c x b`` (experts run one after
  another; saved activations stream out);
- expert chiplet (split dense FFN or LM head): ``2 x T x D x b`` plus its slice of the FFN (or
  logits), ``2 x T x F / chiplets x b``;
- attention chiplet: the micro-batch's residual stream in and out, ``2 x T x D x b``, plus one
  sequence's projections, ``seq_len x (2 H + 2 KV) x head_dim x b`` (attention runs sequence by
  sequence), plus the shared experts' gate and up outputs of one sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mozartc.analysis.experts import ExpertsMapping
from mozartc.analysis.traffic import dispatch_copies
from mozartc.errors import PassError
from mozartc.hw.target import Target
from mozartc.ir.attrs import Attr
from mozartc.ir.core import Module, Op
from mozartc.ir.types import DTYPE_BYTES

#: the SRAM of one chiplet kind is ``tiles x sram_mb_per_tile``: the target fields that change it
_SRAM_FIELDS = "chiplet_kinds.{kind}.tiles or chiplet_kinds.{kind}.sram_mb_per_tile"


@dataclass(frozen=True)
class Residency:
    """How one unit holds one block: ``tiles == 1`` resident (``buffers`` of ``weights``), else streamed
    in ``tiles`` tiles of ``tile_bytes``."""

    unit: str
    weights: int
    working: int
    tiles: int
    tile_bytes: int

    @property
    def tiled(self) -> bool:
        """Whether the block streams in tiles."""
        return self.tiles > 1


@dataclass(frozen=True)
class ChipletSram:
    """Peak SRAM use of one chiplet over the step (bytes), split by what holds it."""

    chiplet: str
    capacity: int
    weights: int
    buffers: int
    gradients: int
    activations: int

    @property
    def peak(self) -> int:
        """Weights + their extra buffers + gradients + activations at the busiest block."""
        return self.weights + self.buffers + self.gradients + self.activations

    def to_attr(self) -> dict[str, Attr]:
        """The IR attribute form."""
        return {"capacity": self.capacity, "peak": self.peak, "weights": self.weights, "buffers": self.buffers,
                "gradients": self.gradients, "activations": self.activations}


@dataclass(frozen=True)
class SramPlan:
    """Per (layer, unit) residency, per unit the resident buffer depth, per chiplet the peak."""

    blocks: dict[tuple[int, str], Residency]
    buffers: dict[str, int]
    chiplets: tuple[ChipletSram, ...]

    def residency(self, layer: int, unit: str) -> Residency | None:
        """The residency of ``unit`` in block ``layer`` (None when the unit has no weights there)."""
        return self.blocks.get((layer, unit))


@dataclass(frozen=True)
class _Share:
    """One chiplet's part of one block: weight bytes, working set, the widest matrix's input dim."""

    chiplet: str
    weights: int
    working: int


def plan_sram(module: Module, blocks: list[Any], target: Target | None) -> SramPlan:
    """The plan of ``blocks`` (:func:`mozartc.analysis.blocks.block_costs`) on ``target`` (module docstring).

    Without a target every unit is resident and double-buffered (nothing to check against).
    """
    if target is None:
        return SramPlan({}, {"experts": 2, "attention": 2}, ())
    element = DTYPE_BYTES[str(module.attrs["dtype"])]
    seq_len = module.int_attr("seq_len")
    ops = _block_ops(module)
    capacity = {c.name: c.sram_bytes for c in target.chiplets}
    cols = {c.name: c.kind.array_cols for c in target.chiplets}
    kind_of = {c.name: c.kind_name for c in target.chiplets}
    shares: dict[tuple[int, str], list[_Share]] = {}
    min_tile: dict[tuple[int, str], int] = {}
    for b in blocks:
        layer_ops = ops.get(b.layer, {})
        if b.attn_bytes:
            chip = target.attention_chiplets[0].name
            working = _attention_working(layer_ops, b.tokens, seq_len, element)
            shares[(b.layer, "attention")] = [_Share(chip, b.attn_bytes, working)]
            min_tile[(b.layer, "attention")] = _widest_input(layer_ops) * cols[chip] * element
        if b.expert_bytes:
            shares[(b.layer, "experts")] = _expert_shares(b, layer_ops, target, element)
            min_tile[(b.layer, "experts")] = 3 * _widest_input(layer_ops) * min(
                cols[c.name] for c in target.expert_chiplets) * element
    residency: dict[tuple[int, str], Residency] = {}
    for key, parts in shares.items():
        residency[key] = _residency(key, parts, capacity, min_tile[key], kind_of)
    buffers: dict[str, int] = {}
    for unit in ("experts", "attention"):
        resident = [(r, shares[k]) for k, r in residency.items() if k[1] == unit and not r.tiled]
        double = all(3 * s.weights + s.working <= capacity[s.chiplet] for _, parts in resident for s in parts)
        buffers[unit] = 2 if double else 1
    return SramPlan(residency, buffers, _peaks(shares, residency, buffers, capacity, target))


def _residency(key: tuple[int, str], parts: list[_Share], capacity: dict[str, int], min_tile: int,
               kind_of: dict[str, str]) -> Residency:
    layer, unit = key
    worst = max(parts, key=lambda s: (s.weights + s.working - capacity[s.chiplet], s.chiplet))
    sram = capacity[worst.chiplet]
    if 2 * worst.weights + worst.working <= sram:
        return Residency(unit, worst.weights, worst.working, 1, worst.weights)
    tile = (sram - worst.working) // 4
    if tile < max(min_tile, 1):
        fields = _SRAM_FIELDS.format(kind=kind_of[worst.chiplet])
        raise PassError(
            f"block {layer} ({unit}): {worst.chiplet} has {sram / 1e6:.1f} MB of SRAM but one micro-batch's working "
            f"set needs {worst.working / 1e6:.1f} MB and the smallest weight tile {min_tile / 1e6:.2f} MB (x4 with "
            f"double buffering and gradients); raise {fields} in the target, or lower `micro_batch` or `seq_len`")
    return Residency(unit, worst.weights, worst.working, -(-worst.weights // tile), tile)


def _peaks(shares: dict[tuple[int, str], list[_Share]], residency: dict[tuple[int, str], Residency],
           buffers: dict[str, int], capacity: dict[str, int], target: Target) -> tuple[ChipletSram, ...]:
    # per chiplet at its busiest block: (one copy of the weights, the extra buffer copies, gradients,
    # working set); a tiled block holds two tiles (one computing, one loading) and two tiles of gradients
    best: dict[str, tuple[int, int, int, int]] = {}
    for key, parts in shares.items():
        r = residency[key]
        for s in parts:
            if r.tiled:
                tile = -(-s.weights // r.tiles)
                use = (tile, tile, 2 * tile, s.working)
            else:
                use = (s.weights, (buffers[key[1]] - 1) * s.weights, s.weights, s.working)
            if s.chiplet not in best or sum(use) > sum(best[s.chiplet]):
                best[s.chiplet] = use
    out = []
    for chip in target.chiplets:
        w, b, g, a = best.get(chip.name, (0, 0, 0, 0))
        out.append(ChipletSram(chip.name, capacity[chip.name], w, b, g, a))
    return tuple(out)


def _block_ops(module: Module) -> dict[int, dict[str, Op]]:
    """Per block index (layers, then the head as the next index), its ops by name."""
    out: dict[int, dict[str, Op]] = {}
    layers = list(module.layers())
    for position, region in enumerate(layers):
        out[region.index if region.index is not None else position] = {op.name: op for op in region.ops()}
    out[len(layers)] = {op.name: op for op in module.body if isinstance(op, Op)}
    return out


def _int(op: Op | None, key: str) -> int:
    """``key`` of ``op``; 0 when the op or the attribute is absent."""
    return op.int_attr(key, 0) if op is not None else 0


def _widest_input(ops: dict[str, Op]) -> int:
    """The input width of the block's weight matrices (its hidden size)."""
    return max((_int(op, "dim") for op in ops.values()), default=1) or 1


def _attention_working(ops: dict[str, Op], tokens: int, seq_len: int, element: int) -> int:
    attn, shared = ops.get("attention"), ops.get("shared_experts")
    dim = _widest_input(ops)
    heads, kv, head_dim = _int(attn, "heads"), _int(attn, "kv_heads"), _int(attn, "head_dim")
    shared_ffn = _int(shared, "ffn_dim") * _int(shared, "experts")
    return (2 * tokens * dim + seq_len * ((2 * heads + 2 * kv) * head_dim + 2 * shared_ffn)) * element


def _expert_shares(b: Any, ops: dict[str, Op], target: Target, element: int) -> list[_Share]:
    chiplets = [c.name for c in target.expert_chiplets]
    experts = ops.get("experts")
    dim = _widest_input(ops)
    if experts is None:  # a dense FFN or the LM head, split over every expert chiplet
        width = _int(ops.get("mlp"), "ffn_dim") or _int(ops.get("lm_head"), "vocab")
        per_width = -(-width // len(chiplets))
        working = (2 * b.tokens * dim + 2 * b.tokens * per_width) * element
        weights = -(-b.expert_bytes // len(chiplets))
        return [_Share(c, weights, working) for c in chiplets]
    m = ExpertsMapping.from_op(experts, placed=True)
    copies = dispatch_copies(experts, b.tokens, dedup=experts.attrs.get("a2a_dedup") is True)
    out = []
    for cluster, chiplet in enumerate(m.placed()):
        rows = max((round(m.expert_load[e] * b.tokens / m.trace_tokens) for e in m.clusters[cluster]), default=0)
        working = (2 * copies[chiplet] * dim + 2 * rows * m.cluster_ffn_width(cluster)) * element
        out.append(_Share(chiplets[chiplet], m.cluster_params(cluster) * element, working))
    return out


def sram_attr(plan: SramPlan) -> dict[str, Attr]:
    """The schedule's ``sram`` attribute: per chiplet ``{capacity, peak, weights, buffers, gradients,
    activations}`` bytes, and the tiled blocks as ``{layer: tiles}`` per unit."""
    tiled: dict[str, dict[str, Attr]] = {}
    for (layer, unit), r in sorted(plan.blocks.items()):
        if r.tiled:
            tiled.setdefault(unit, {})[f"l{layer}"] = r.tiles
    out: dict[str, Attr] = {c.chiplet: c.to_attr() for c in plan.chiplets}
    if tiled:
        out["tiled"] = dict(tiled)
    return out
