"""Compute steps: the GEMMs (and elementwise work) of a block on the chiplets that hold it.

Attention: q/k/v/o projections, scores and values per head, router and shared experts, plus the
remaining elementwise FLOPs. Experts: per expert on its chiplet, gate and up ``(T_e x D) @ (D x F)``
and down ``(T_e x F) @ (F x D)`` with ``T_e`` the expert's tokens in the micro-batch (from the trace,
rounded up to a multiple of :data:`TOKEN_QUANTUM`; a shard multiplies by its ``F / shards`` slice).
Split dense FFNs and the LM head: a ``1/chiplets`` slice of the weights on every expert chiplet.
Backward multiplies the GEMM count by the step's FLOPs ratio (2, or 3 with recomputation). A block
whose weights stream in tiles is lowered with its weight load, tile by tile (:func:`tiled`).
"""

from __future__ import annotations

from collections import defaultdict

from mozartc.analysis.blocks import ATTENTION_SIDE
from mozartc.backends.mozart.lowering import Lowering, Step, piece, tiles
from mozartc.ir.core import Op

#: expert token counts are rounded up to this multiple (GEMM rows pad to the array; keeps the
#: number of distinct GEMM shapes small so their cost is cached)
TOKEN_QUANTUM = 16

#: one GEMM: (m, k, n, count)
Gemm = tuple[int, int, int, int]
#: what one weight block of a chiplet computes: (its weight, in any unit shared by the chiplet's parts;
#: its GEMMs). An expert chiplet has a part per expert (heaviest first); other blocks have one part.
Part = tuple[int, list[Gemm]]
#: one chiplet's work: (chiplet, its parts in weight-layout order, FLOPs of its elementwise work)
Work = tuple[str, list[Part], int]


def lower_compute(lw: Lowering, s: Step) -> None:
    """The block's GEMMs (and elementwise work) on every chiplet holding it; tiled when it streams."""
    work = compute_work(lw, s.op, s.layer, s.block)
    count = tiles(s.op)
    if count > 1:
        load = next((lw.pending.pop(name) for name in s.op.operands if name in lw.pending), None)
        tiled(lw, load, s, work, count)
        return
    for unit, parts, extra in work:
        for _, gemms in parts:
            for m, k, n, c in gemms:
                lw.emit(s.op, unit, "gemm", "compute", unit=unit, m=m, k=k, n=n, count=c)
        if extra:
            lw.emit(s.op, unit, "compute", "compute", unit=unit, flops=extra)


def compute_work(lw: Lowering, step: Op, layer: int, block: str) -> list[Work]:
    """Per chiplet: its GEMMs ``(m, k, n, count)`` and the FLOPs of its elementwise work."""
    flops = step.int_attr("flops")
    ops = lw.ops(layer)
    if block == "attention":
        fwd = lw.tokens * sum(op.int_attr("flops_per_token") for op in ops.values() if op.name in ATTENTION_SIDE
                              or (op.name == "rmsnorm"))
        times = max(1, round(flops / fwd)) if fwd else 1
        gemms = [(m, k, n, c * times) for m, k, n, c in attention_gemms(lw, ops) if m and k and n and c]
        done = sum(2 * m * k * n * c for m, k, n, c in gemms)
        return [(lw.root, [(1, gemms)], max(0, flops - done))]
    if block == "experts":
        op = ops["experts"]
        fwd = lw.tokens * op.int_attr("flops_per_token")
        times = max(1, round(flops / fwd)) if fwd else 1
        return [(chiplet, [(weight, [(m, k, n, c * times) for m, k, n, c in gemms]) for weight, gemms in parts], 0)
                for chiplet, parts in expert_parts(lw, op)]
    name = "mlp" if block == "dense" else "lm_head"
    op = ops[name]
    fwd = lw.tokens * op.int_attr("flops_per_token")
    times = max(1, round(flops / fwd)) if fwd else 1
    slices = len(lw.experts)
    dim = op.int_attr("dim")
    if name == "mlp":
        ffn = -(-op.int_attr("ffn_dim") // slices)
        split = [(lw.tokens, dim, ffn, 2 * times), (lw.tokens, ffn, dim, times)]
    else:
        split = [(lw.tokens, dim, -(-op.int_attr("vocab") // slices), times)]
    return [(chiplet, [(1, split)], 0) for chiplet in lw.experts]


def tiled(lw: Lowering, load: Op | None, s: Step, work: list[Work], count: int) -> None:
    """A block whose weights stream in ``count`` tiles (docs/schedule.md, "Weights larger than SRAM").

    On every chiplet: tile ``k`` loads ``1/count`` of the chiplet's weights once tile ``k - 2`` has
    computed (two tile buffers), and computes after its load and tile ``k - 1`` the work of the weights
    it holds (:func:`tiles_gemms`: whole experts in turn, or a slice of every GEMM) and ``1/count`` of the
    elementwise work. A tile whose weights compute nothing (experts without tokens) ends when its
    loads do (a barrier). A tile's compute names its own loads and the tile before it; through them it
    waits for every earlier load of the chiplet, so those are not repeated as dependencies (edges stay
    linear in tiles).
    """
    nbytes = load.int_attr("bytes", 0) if load is not None else 0
    covered = (load.result_name or "") if load is not None else ""
    shares = dict(lw.shares(s.layer, s.block, nbytes)) if load is not None else {}
    for unit, parts, extra in work:
        done: list[int] = []  # per tile, the instruction that ends it
        per_tile = tiles_gemms(parts, count, lw.tile_layout)
        for k in range(count):
            loads: list[int] = []
            if load is not None and shares.get(unit):
                loads = lw.transfer(load, "load", "dram_load", unit, piece(shares[unit], k, count), False,
                                    after=done[k - 2:k - 1] if k >= 2 else ())
            after = loads + done[-1:]
            # earlier loads of this chiplet are ancestors of done[-1]: skip them when this tile has loads
            skip = covered if loads and (k == 0 or done) else ""
            last = -1
            for m, kk, n, c in per_tile[k]:
                last = lw.emit(s.op, unit, "gemm", "compute", after=after, covered=skip, unit=unit, m=m, k=kk,
                               n=n, count=c)
            if extra:
                flops = -(-extra // count) if lw.tile_layout == "sliced" else piece(extra, k, count)
                last = lw.emit(s.op, unit, "compute", "compute", after=after, covered=skip, unit=unit, flops=flops)
            if last < 0 and loads:
                last = lw.emit(s.op, unit, "barrier", "sync", after=after, covered=skip)
            if last >= 0:
                done.append(last)


def tile_gemms(parts: list[Part], k: int, count: int, layout: str) -> list[Gemm]:
    """The GEMMs tile ``k`` of ``count`` computes on a chiplet whose weights are ``parts``
    (:func:`tiles_gemms`, which works out every tile at once)."""
    return tiles_gemms(parts, count, layout)[k]


def tiles_gemms(parts: list[Part], count: int, layout: str) -> list[list[Gemm]]:
    """Per tile of ``count``, the GEMMs it computes on a chiplet whose weights are ``parts``.

    ``expert-major``: the chiplet's weights are laid out part after part (expert after expert) and cut
    into ``count`` equal ranges; a tile computes the work of the weights in its range, each GEMM of a
    part cut along its weight dimension (the larger of ``k`` and ``n``) in proportion to the part's
    share in the tile, at floor boundaries so a part's pieces add up to its GEMMs exactly. A chiplet
    of ``n`` experts then has at most ``n + count - 1`` (part, tile) pieces, found in one pass.
    ``sliced``: every tile holds ``1/count`` of every weight matrix and computes every GEMM with its
    weight dimension cut in ``count`` (rounded up): ``n x count`` pieces.
    """
    if layout == "sliced":
        one = [(m, kk, -(-n // count), c) if n >= kk else (m, -(-kk // count), n, c)
               for _, gemms in parts for m, kk, n, c in gemms]
        return [list(one) for _ in range(count)]
    out: list[list[Gemm]] = [[] for _ in range(count)]
    # positions are scaled by ``count`` so that tile k spans [k total, (k + 1) total) in integers
    total = sum(weight for weight, _ in parts)
    start = 0
    for weight, gemms in parts:
        span = weight * count
        end = start + span
        if gemms and span:
            for k in range(start // total, min(count, -(-end // total))):
                a, b = max(k * total, start), min((k + 1) * total, end)
                if a >= b:
                    continue
                for m, kk, n, c in gemms:
                    dim = kk if kk > n else n
                    cut = dim * (b - start) // span - dim * (a - start) // span
                    if cut:
                        out[k].append((m, kk, cut, c) if n >= kk else (m, cut, n, c))
        start = end
    return out


def attention_gemms(lw: Lowering, ops: dict[str, Op]) -> list[Gemm]:
    """Projection, score/value, router and shared-expert GEMMs of one forward pass."""
    t, s, b = lw.tokens, lw.seq_len, lw.micro_batch
    gemms: list[Gemm] = []
    attn = ops.get("attention")
    if attn is not None:
        dim, heads, kv, hd = (attn.int_attr(key) for key in ("dim", "heads", "kv_heads", "head_dim"))
        gemms += [(t, dim, (heads + 2 * kv) * hd, 1), (t, heads * hd, dim, 1),
                  (s, hd, s, b * heads), (s, s, hd, b * heads)]
    router = ops.get("router")
    if router is not None:
        gemms.append((t, router.int_attr("dim"), router.int_attr("experts"), 1))
    shared = ops.get("shared_experts")
    if shared is not None:
        width = shared.int_attr("ffn_dim") * shared.int_attr("experts")
        gemms += [(t, shared.int_attr("dim"), width, 2), (t, width, shared.int_attr("dim"), 1)]
    return gemms


def expert_parts(lw: Lowering, op: Op) -> list[tuple[str, list[Part]]]:
    """Per expert chiplet (load order), its experts heaviest first, each with its weight (parameters
    of the expert or its shard) and its forward GEMMs: gate and up ``(T_e x D)(D x F)``, down
    ``(T_e x F)(F x D)`` (a shard: ``F / shards``); an expert without tokens has no GEMMs. Worked out
    once per experts op (every phase and micro-batch runs the same experts)."""
    return lw.memo("expert_parts", op, lambda: _expert_parts(lw, op))


def _expert_parts(lw: Lowering, op: Op) -> list[tuple[str, list[Part]]]:
    m = lw.mapping(op)
    out: dict[str, list[Part]] = defaultdict(list)
    for cluster, chiplet in zip(m.clusters, m.placed(), strict=True):
        for e in sorted(cluster, key=lambda e: (-m.expert_load[e], e)):
            tokens = m.expert_load[e] * lw.tokens / m.trace_tokens
            rows = -(-int(tokens) // TOKEN_QUANTUM) * TOKEN_QUANTUM if tokens > 0 else 0
            ffn = m.shard_ffn(e)
            gemms = [(rows, m.dim, ffn, 2), (rows, ffn, m.dim, 1)] if rows else []
            out[lw.experts[chiplet]].append((m.shard_params(e), gemms))
    order = [name for name, _ in lw.cluster_weights(op)]
    return [(name, out[name]) for name in order]
