"""How the frontend recognises a module as one IR block: :class:`BlockInfo` and the describe hook.

A module is kept as one leaf of the fx graph and lowered to IR op(s) when either

- its class defines ``mozartc_describe(self) -> BlockInfo`` (every reference leaf module in
  ``mozartc.frontend.modules_*`` does; user classes may too), or
- ``capture(..., extra_blocks={MyClass: describe_fn})`` maps its class (or a base class) to a
  function ``describe_fn(module) -> BlockInfo``, or
- it is one of the plain torch modules with a built-in meaning: ``nn.Embedding`` (embed),
  ``nn.RMSNorm`` (rmsnorm), ``nn.LayerNorm`` (rmsnorm with ``variant = layernorm``), and an
  ``nn.Linear`` outside every layer (lm_head).

Block kinds and the attributes a describe function must give (``params``, ``param_bytes`` and the
default ``flops_per_token`` are filled in by the lowering from the module's measured parameters):

============== ================================================================================
kind           attrs
============== ================================================================================
embed          vocab, dim
rmsnorm        dim (eps optional; variant = layernorm and bias = true for a LayerNorm)
attention      heads, kv_heads, head_dim, dim (qk_norm optional: none|head|full; sliding_window
               makes the attention FLOPs use min(seq_len, window) keys)
router         experts, top_k, dim (norm_topk_prob optional)
experts        experts, top_k, dim, ffn_dim (act, default swiglu)
shared_experts experts (count), dim, ffn_dim (per shared expert) (act, default swiglu)
mlp            dim, ffn_dim (act, default swiglu)
moe            a fused MoE block lowered to router + experts (+ shared_experts + add):
               experts, top_k, dim, ffn_dim, norm_topk_prob, and when it has shared experts
               shared_experts (count) and shared_ffn_dim; ``parts`` maps router / experts /
               shared_experts to the names (relative to the block) of the submodules or
               parameters that hold each part's weights
lm_head        vocab, dim
============== ================================================================================

This file does not import torch, so user model files can import :class:`BlockInfo` cheaply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mozartc.ir.attrs import Attr

BLOCK_KINDS: dict[str, tuple[str, ...]] = {
    "embed": ("vocab", "dim"),
    "rmsnorm": ("dim",),
    "attention": ("heads", "kv_heads", "head_dim", "dim"),
    "router": ("experts", "top_k", "dim"),
    "experts": ("experts", "top_k", "dim", "ffn_dim"),
    "shared_experts": ("experts", "dim", "ffn_dim"),
    "mlp": ("dim", "ffn_dim"),
    "moe": ("experts", "top_k", "dim", "ffn_dim"),
    "lm_head": ("vocab", "dim"),
}

MOE_PARTS = ("router", "experts", "shared_experts")


@dataclass(frozen=True)
class BlockInfo:
    """What one leaf module is, in IR terms.

    ``kind`` is one of :data:`BLOCK_KINDS`; ``attrs`` are the IR attributes of the op (see the module
    docstring for the required ones; extra attributes are carried into the IR unchanged).
    ``flops_per_token`` overrides the lowering's default formula for the kind (e.g. an attention
    variant with different score dims). ``parts`` is only for ``kind = "moe"``.
    """

    kind: str
    attrs: Mapping[str, Attr] = field(default_factory=dict)
    flops_per_token: int | None = None
    parts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


DescribeFn = Callable[[Any], BlockInfo]

DESCRIBE_METHOD = "mozartc_describe"
