"""Parameters and FLOPs of the ops the lowering emits: the formulas, in one place.

Attribute values of weight-holding ops (see docs/frontend.md):

- ``params``: parameter elements of the leaf module, measured from ``module.parameters()``; a
  parameter already counted at an earlier op (a tied lm_head) is not counted again;
- ``param_bytes = params * bytes(dtype)``;
- ``flops_per_token`` (forward, one token, multiply-add = 2 FLOPs, a bias or sink element = 1 add):
  embed ``0``; rmsnorm ``4*dim`` (``variant = layernorm``: ``6*dim``, ``7*dim`` with ``bias``);
  attention ``2*P_proj + P_vec + 2*S_eff*heads*(qk_head_dim + v_head_dim) + 4*norm_width``
  (``P_proj``: params of matrices, i.e. of parameters with 2+ dims; ``P_vec``: elements of biases,
  parameters named ``*bias``, and of attention ``sinks``; ``S_eff = min(S, sliding_window)``;
  ``qk_head_dim = v_head_dim = head_dim`` unless given, so ``4*S_eff*heads*head_dim``;
  ``norm_width = (heads + kv_heads) * head_dim`` with q/k norm, else 0); router
  ``2*dim*experts + P_vec``; experts ``top_k * (2*expert_params - expert_biases)``; shared_experts and
  mlp ``2*params - P_vec``; add ``dim``; lm_head ``2*dim*vocab + P_vec``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mozartc.ir.attrs import Attr

if TYPE_CHECKING:
    from torch import nn

#: Parameter names (last component, by suffix) that cost one add per element and token.
VECTOR_NAMES = ("bias", "sinks")


def as_int(value: Attr) -> int:
    """``value`` as an integer attribute; TypeError for anything else (bools included)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer attribute, got {value!r}")
    return value


def matrix_params(module: nn.Module) -> int:
    """Elements of ``module``'s parameters with two or more dims (projection weights)."""
    return sum(p.numel() for p in module.parameters() if p.dim() >= 2)


def vector_params(module: nn.Module) -> int:
    """Elements of ``module``'s biases (parameters whose name ends in ``bias``) and attention sinks:
    each costs one add per token."""
    return sum(p.numel() for name, p in module.named_parameters() if name.rpartition(".")[2].endswith(VECTOR_NAMES))


def attention_flops(attrs: dict[str, Attr], proj_params: int, seq_len: int, vector: int = 0) -> int:
    """``2*P_proj + P_vec + 2*S_eff*heads*(qk_head_dim + v_head_dim) + 4*norm_width`` (module docstring)."""
    heads, head_dim = as_int(attrs["heads"]), as_int(attrs["head_dim"])
    qk, v = as_int(attrs.get("qk_head_dim", head_dim)), as_int(attrs.get("v_head_dim", head_dim))
    window = attrs.get("sliding_window")
    keys = min(seq_len, as_int(window)) if window is not None else seq_len
    width = attrs.get("norm_width")
    if width is None:
        norm = attrs.get("qk_norm", "none") != "none"
        width = (heads + as_int(attrs["kv_heads"])) * head_dim if norm else 0
    return 2 * proj_params + vector + 2 * keys * heads * (qk + v) + 4 * as_int(width)


def norm_flops(attrs: dict[str, Attr]) -> int:
    """``4*dim`` (RMSNorm); ``6*dim`` for ``variant = layernorm`` (mean and centring), ``+ dim`` with ``bias``."""
    dim = as_int(attrs["dim"])
    if attrs.get("variant") != "layernorm":
        return 4 * dim
    return 7 * dim if attrs.get("bias") is True else 6 * dim


def lm_head_flops(attrs: dict[str, Attr], vector: int) -> int:
    """``2*dim*vocab + P_vec``."""
    return 2 * as_int(attrs["dim"]) * as_int(attrs["vocab"]) + vector


def router_flops(attrs: dict[str, Attr], vector: int = 0) -> int:
    """``2*dim*experts + P_vec``."""
    return 2 * as_int(attrs["dim"]) * as_int(attrs["experts"]) + vector


def experts_flops(top_k: int, expert_params: int, expert_biases: int) -> int:
    """``top_k * (2*expert_params - expert_biases)``: each token runs ``top_k`` experts."""
    return top_k * (2 * expert_params - expert_biases)


def block_flops(kind: str, attrs: dict[str, Attr], module: nn.Module, params: int, seq_len: int) -> int:
    """The default FLOPs of a rmsnorm, attention, mlp or shared_experts block (``2*params - P_vec``
    for any other kind); embed, lm_head, router and experts have their own formulas above."""
    if kind == "rmsnorm":
        return norm_flops(attrs)
    if kind == "attention":
        return attention_flops(attrs, matrix_params(module), seq_len, vector_params(module))
    return 2 * params - vector_params(module)
