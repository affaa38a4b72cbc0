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
#: one chiplet's work: (chiplet, its GEMMs, FLOPs of its elementwise work)
Work = tuple[str, list[Gemm], int]


def lower_compute(lw: Lowering, s: Step) -> None:
    """The block's GEMMs (and elementwise work) on every chiplet holding it; tiled when it streams."""
    work = compute_work(lw, s.op, s.layer, s.block)
    count = tiles(s.op)
    if count > 1:
        load = next((lw.pending.pop(name) for name in s.op.operands if name in lw.pending), None)
        tiled(lw, load, s, work, count)
        return
    for unit, gemms, extra in work:
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
        return [(lw.root, gemms, max(0, flops - done))]
    if block == "experts":
        op = ops["experts"]
        fwd = lw.tokens * op.int_attr("flops_per_token")
        times = max(1, round(flops / fwd)) if fwd else 1
        return [(chiplet, [(m, k, n, c * times) for m, k, n, c in gemms], 0)
                for chiplet, gemms in expert_gemms(lw, op)]
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
    return [(chiplet, split, 0) for chiplet in lw.experts]


def tiled(lw: Lowering, load: Op | None, s: Step, work: list[Work], count: int) -> None:
    """A block whose weights stream in ``count`` tiles (docs/schedule.md, "Weights larger than SRAM").

    On every chiplet: tile ``k`` loads ``1/count`` of the chiplet's weights once tile ``k - 2`` has
    computed (two tile buffers), and computes after its load and tile ``k - 1``: every GEMM with its
    weight dimension (the larger of ``k`` and ``n``) cut in ``count``, and ``1/count`` of the
    elementwise work. A tile's compute names its own loads and the tile before it; through them it
    waits for every earlier load of the chiplet, so those are not repeated as dependencies (edges stay
    linear in tiles).
    """
    nbytes = load.int_attr("bytes", 0) if load is not None else 0
    covered = (load.result_name or "") if load is not None else ""
    shares = dict(lw.shares(s.layer, s.block, nbytes)) if load is not None else {}
    for unit, gemms, extra in work:
        done: list[int] = []
        for k in range(count):
            loads: list[int] = []
            if load is not None and shares.get(unit):
                loads = lw.transfer(load, "load", "dram_load", unit, piece(shares[unit], k, count), False,
                                    after=done[k - 2:k - 1] if k >= 2 else ())
            after = loads + done[-1:]
            # earlier loads of this chiplet are ancestors of done[-1]: skip them when this tile has loads
            skip = covered if loads and (k == 0 or done) else ""
            last = -1
            for m, kk, n, c in gemms:
                shape = (m, kk, -(-n // count)) if n >= kk else (m, -(-kk // count), n)
                last = lw.emit(s.op, unit, "gemm", "compute", after=after, covered=skip, unit=unit, m=shape[0],
                               k=shape[1], n=shape[2], count=c)
            if extra:
                last = lw.emit(s.op, unit, "compute", "compute", after=after, covered=skip, unit=unit,
                               flops=-(-extra // count))
            if last >= 0:
                done.append(last)


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


def expert_gemms(lw: Lowering, op: Op) -> list[tuple[str, list[Gemm]]]:
    """Per expert chiplet (load order), its experts' forward GEMMs, heaviest expert first (a shard
    multiplies by its slice of the FFN: ``F / shards`` columns of gate and up, rows of down)."""
    m = lw.mapping(op)
    out: dict[str, list[Gemm]] = defaultdict(list)
    for cluster, chiplet in zip(m.clusters, m.placed(), strict=True):
        for e in sorted(cluster, key=lambda e: (-m.expert_load[e], e)):
            tokens = m.expert_load[e] * lw.tokens / m.trace_tokens
            rows = -(-int(tokens) // TOKEN_QUANTUM) * TOKEN_QUANTUM if tokens > 0 else 0
            ffn = m.shard_ffn(e)
            if rows:
                out[lw.experts[chiplet]] += [(rows, m.dim, ffn, 2), (rows, ffn, m.dim, 1)]
    order = [name for name, _ in lw.cluster_weights(op)]
    return [(name, out[name]) for name in order]
