"""Per-block costs of one micro-batch, read off a mapped module: the numbers the schedule carries.

A block is one transformer layer, plus the LM head as a last block. With ``T = micro_batch x
seq_len`` tokens, ``D`` hidden size and ``b`` bytes per element:

- attention part (attention chiplet): weights = ``param_bytes`` of the layer's norms, attention,
  router and shared experts; forward FLOPs = ``T x sum(flops_per_token)`` of those ops and the adds;
- expert part (expert chiplets): routed experts (placed by ``allocate``), or a dense FFN / the LM
  head split evenly over every expert chiplet (tensor parallel); forward FLOPs = ``T x
  flops_per_token``;
- dispatch / combine bytes: for experts, the deduplicated (``a2a_dedup``) or per-expert copies of
  :mod:`mozartc.analysis.traffic` times ``D x b``; for a split dense FFN every chiplet gets the whole
  input and returns a partial sum (``chiplets x T x D x b`` each way); for the LM head the combine
  returns two softmax statistics per token and chiplet;
- backward FLOPs = 2 x forward (plus 1 x forward with recomputation); saved activations on the
  attention chiplet = ``act_tensors x T x D x b`` per layer (``1 x`` with recomputation);
- saved activations on the expert chiplets (``expert_save_bytes``, when ``expert_ffn_tensors`` is not None):
  routed experts save what :func:`mozartc.analysis.traffic.expert_act_bytes` gives per chiplet; a
  split dense FFN saves its input on every chiplet plus ``expert_ffn_tensors x T x F / chiplets``
  each (the caller passes 0 with recomputation: only the inputs are kept).
"""

from __future__ import annotations

from dataclasses import dataclass

from mozartc.analysis.traffic import dispatch_copies, expert_act_bytes
from mozartc.hw.target import Target
from mozartc.ir.core import Module, Op
from mozartc.ir.types import DTYPE_BYTES

ATTENTION_SIDE = ("rmsnorm", "attention", "router", "shared_experts", "add")


@dataclass(frozen=True)
class BlockCosts:
    """Totals of one block for one micro-batch (bytes and FLOPs)."""

    layer: int
    tokens: int
    attn_bytes: int
    attn_flops: int
    attn_flops_bwd: int
    expert_block: str  # "experts" | "dense" | "head" | ""
    expert_bytes: int
    expert_flops: int
    expert_flops_bwd: int
    dispatch_bytes: int
    combine_bytes: int
    save_bytes: int
    expert_save_bytes: int = 0


def block_costs(module: Module, target: Target, act_tensors: int, recompute: bool,
                expert_ffn_tensors: int | None = None) -> list[BlockCosts]:
    """The schedule's blocks in forward order, with their per-micro-batch costs (module docstring).

    ``expert_ffn_tensors`` None: the expert chiplets save nothing (their activations are not modelled).
    """
    tokens = module.int_attr("seq_len") * module.int_attr("micro_batch")
    element = DTYPE_BYTES[str(module.attrs["dtype"])]
    chiplets = len(target.expert_chiplets)
    bwd = 3 if recompute else 2
    blocks: list[BlockCosts] = []
    for region in module.layers():
        layer = region.index if region.index is not None else len(blocks)
        ops = list(region.ops())
        side = [op for op in ops if op.name in ATTENTION_SIDE]
        attn_flops = tokens * sum(op.int_attr("flops_per_token", 0) for op in side)
        attn_bytes = sum(op.int_attr("param_bytes", 0) for op in side)
        dim = next((op.int_attr("dim", 0) for op in ops if op.int_attr("dim", 0)), 0)
        act = tokens * dim * element
        experts = next((op for op in ops if op.name == "experts"), None)
        mlp = next((op for op in ops if op.name == "mlp"), None)
        kind, e_bytes, e_flops, disp, comb, e_saved = "", 0, 0, 0, 0, 0
        if experts is not None:
            kind, e_bytes = "experts", experts.int_attr("param_bytes", 0)
            e_flops = tokens * experts.int_attr("flops_per_token", 0)
            copies = sum(dispatch_copies(experts, tokens, dedup=experts.attrs.get("a2a_dedup") is True))
            disp = comb = copies * dim * element
            if expert_ffn_tensors is not None:
                e_saved = sum(expert_act_bytes(experts, tokens, element, expert_ffn_tensors))
        elif mlp is not None:
            kind, e_bytes = "dense", mlp.int_attr("param_bytes", 0)
            e_flops = tokens * mlp.int_attr("flops_per_token", 0)
            disp = comb = chiplets * act
            if expert_ffn_tensors is not None:
                e_saved = chiplets * dense_act_share(tokens, dim, mlp.int_attr("ffn_dim", 0), chiplets, element,
                                                     expert_ffn_tensors)
        saved = act if recompute else act_tensors * act
        blocks.append(BlockCosts(layer, tokens, attn_bytes, attn_flops, bwd * attn_flops, kind, e_bytes, e_flops,
                                 bwd * e_flops, disp, comb, saved, e_saved))
    blocks.append(_head_block(module, tokens, element, chiplets, len(blocks), bwd))
    return blocks


def dense_act_share(tokens: int, dim: int, ffn: int, chiplets: int, element: int, ffn_tensors: int) -> int:
    """Bytes one chiplet of a split dense FFN saves: its whole input plus its slice of the FFN tensors."""
    return (tokens * dim + tokens * -(-ffn // chiplets) * ffn_tensors) * element


def _head_block(module: Module, tokens: int, element: int, chiplets: int, layer: int, bwd: int) -> BlockCosts:
    """Final norm (attention chiplet) and LM head (split over the expert chiplets)."""
    tail = [item for item in module.body if isinstance(item, Op)]
    norms = [op for op in tail if op.name == "rmsnorm"]
    head = next((op for op in tail if op.name == "lm_head"), None)
    dim = head.int_attr("dim", 0) if head is not None else 0
    h_bytes = head.int_attr("param_bytes", 0) if head is not None else 0
    h_flops = tokens * head.int_attr("flops_per_token", 0) if head is not None else 0
    n_flops = tokens * sum(op.int_attr("flops_per_token", 0) for op in norms)
    act = tokens * dim * element
    return BlockCosts(layer, tokens, sum(op.int_attr("param_bytes", 0) for op in norms), n_flops, bwd * n_flops,
                      "head" if h_bytes else "", h_bytes, h_flops, bwd * h_flops, chiplets * act,
                      chiplets * tokens * 2 * element, act)
