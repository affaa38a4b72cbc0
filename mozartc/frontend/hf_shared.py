"""Readings of ``config.json`` fields that several ``model_type`` readers share.

The Llama-style attention shape (:func:`read_gqa`), RoPE, the SiLU check, the routed experts, which layers
are dense (Qwen, DeepSeek / GLM and Jamba interleaving rules), sliding windows and layer types,
multi-token-prediction modules and the cross-attention refusal every family applies.
"""

from __future__ import annotations

import json
from typing import Any

from mozartc.frontend.hf_fields import Fields


def require_silu(f: Fields) -> None:
    """``hidden_act`` must be SiLU: every modelled FFN is SwiGLU."""
    act = f.string("hidden_act", "silu")
    if act not in ("silu", "swish"):
        raise f.refuse("hidden_act", f"'{act}' FFNs are not modelled", "mozartc models SiLU-gated (SwiGLU) FFNs")


def _rope_theta(f: Fields, default: float) -> float:
    """``rope_theta``, or ``rope_parameters.rope_theta`` (newer configs)."""
    params = f.obj("rope_parameters")
    if params is not None:
        params.allow(*params.raw)  # rope_type, mrope sections, scaling: no parameter or FLOP
        if not f.has("rope_theta"):
            return params.number("rope_theta", default)
    return f.number("rope_theta", default)


def read_partial_rotary(f: Fields) -> float:
    """``partial_rotary_factor`` (top level or in ``rope_parameters``; default 1)."""
    params = f.raw.get("rope_parameters")
    if not f.has("partial_rotary_factor") and isinstance(params, dict) and "partial_rotary_factor" in params:
        value = params["partial_rotary_factor"]
        name = "rope_parameters"
    else:
        value, name = f.get("partial_rotary_factor"), "partial_rotary_factor"
    if value is None:
        return 1.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise f.fail(name, f"partial_rotary_factor must lie in (0, 1], got {json.dumps(value)}")
    return float(value)


def read_gqa(f: Fields, *, head_dim_field: bool, eps: float, theta: float,
             hidden: str = "hidden_size", heads: str = "num_attention_heads", layers: str = "num_hidden_layers",
             kv: str = "num_key_value_heads") -> dict[str, Any]:
    """Vocabulary, width, depth, heads, head size, norms' eps, RoPE base, tied embeddings."""
    d, h = f.integer(hidden), f.integer(heads)
    if head_dim_field and f.has("head_dim"):
        head_dim = f.integer("head_dim")
    elif d % h:
        raise f.fail(heads, f"{hidden} ({d}) is not a multiple of {heads} ({h}) and there is no head_dim")
    else:
        head_dim = d // h
    return dict(vocab_size=f.integer("vocab_size"), hidden_size=d, num_layers=f.integer(layers), num_heads=h,
                num_kv_heads=f.integer(kv, h), head_dim=head_dim,
                tie_word_embeddings=f.flag("tie_word_embeddings", False),
                rms_norm_eps=f.number("rms_norm_eps", eps), rope_theta=_rope_theta(f, theta))


def read_experts(f: Fields, count: str, size: str, top_k: str = "num_experts_per_tok") -> dict[str, Any]:
    """Routed experts: count (0 means no MoE layers), top-k, expert FFN width."""
    experts = f.integer(count, minimum=0)
    if experts == 0:
        raise f.fail(count, "is 0: no MoE layers (mozartc maps Mixture-of-Experts models)")
    return dict(num_experts=experts, top_k=f.integer(top_k), moe_intermediate_size=f.integer(size))


def _check_layer_list(f: Fields, name: str, indices: list[int], layers: int) -> None:
    for i in indices:
        if not 0 <= i < layers:
            raise f.fail(name, f"layer index {i} outside 0..{layers - 1}")


def qwen_dense_layers(f: Fields, layers: int) -> tuple[int, ...]:
    """Qwen: layer ``i`` is dense when listed in ``mlp_only_layers`` or when ``(i+1) % decoder_sparse_step``."""
    only = f.int_list("mlp_only_layers")
    _check_layer_list(f, "mlp_only_layers", only, layers)
    step = f.integer("decoder_sparse_step", 1)
    return tuple(i for i in range(layers) if i in only or (i + 1) % step)


def deepseek_dense(f: Fields, layers: int, freq_field: bool = True) -> dict[str, Any]:
    """DeepSeek / GLM: the first ``first_k_dense_replace`` layers are dense; after them a layer is MoE
    iff ``i % moe_layer_freq == 0``."""
    first_k = f.integer("first_k_dense_replace", 0, minimum=0)
    if first_k > layers:
        raise f.fail("first_k_dense_replace", f"{first_k} exceeds num_hidden_layers ({layers})")
    freq = f.integer("moe_layer_freq", 1) if freq_field else 1
    return dict(first_k_dense=first_k, dense_layers=tuple(i for i in range(first_k, layers) if i % freq))


def period_dense_layers(f: Fields, layers: int) -> tuple[int, ...]:
    """Jamba: layer ``i`` is MoE iff ``i % expert_layer_period == expert_layer_offset``."""
    period = f.integer("expert_layer_period", 1)
    offset = f.integer("expert_layer_offset", 0, minimum=0)
    if offset >= period:
        raise f.fail("expert_layer_offset", f"{offset} must be below expert_layer_period ({period})")
    return tuple(i for i in range(layers) if i % period != offset)


def dense_ffn_size(f: Fields, values: dict[str, Any], name: str = "intermediate_size") -> int:
    """The dense FFN width: required when some layer is dense, else optional (unused)."""
    has_dense = values.get("first_k_dense", 0) > 0 or bool(values.get("dense_layers"))
    return f.integer(name) if has_dense else f.integer(name, 0, minimum=0)


def window_all(f: Fields, layers: int) -> dict[str, Any]:
    """One ``sliding_window`` (or null) for every layer (Mixtral, PhiMoE, Jamba)."""
    window = f.integer("sliding_window", 0)
    return dict(sliding_window=window, sliding_layers=tuple(range(layers)) if window else ())


def read_layer_types(f: Fields, layers: int, kinds: tuple[str, ...]) -> list[str] | None:
    """``layer_types`` (one per layer, each one of ``kinds``), or None when absent."""
    types = f.str_list("layer_types")
    if types is None:
        return None
    if len(types) != layers:
        raise f.fail("layer_types", f"has {len(types)} entries for {layers} layers")
    bad = sorted({t for t in types if t not in kinds})
    if bad:
        raise f.refuse("layer_types", f"layer type(s) {', '.join(repr(b) for b in bad)} are not modelled",
                       f"mozartc models {', '.join(repr(k) for k in kinds)}")
    return types


def window_types(f: Fields, layers: int) -> dict[str, Any]:
    """``layer_types`` with ``sliding_attention`` layers of ``sliding_window`` tokens (gpt-oss)."""
    types = read_layer_types(f, layers, ("full_attention", "sliding_attention")) or []
    sliding = tuple(i for i, t in enumerate(types) if t == "sliding_attention")
    window = f.integer("sliding_window") if sliding else f.integer("sliding_window", 0)
    return dict(sliding_window=window if sliding else 0, sliding_layers=sliding)


def window_qwen(f: Fields, layers: int) -> dict[str, Any]:
    """Qwen: ``layer_types`` when given, else with ``use_sliding_window`` the layers from
    ``max_window_layers`` on use a window of ``sliding_window``."""
    if f.has("layer_types"):
        f.allow("use_sliding_window", "max_window_layers")
        return window_types(f, layers)
    use = f.flag("use_sliding_window", False)
    start = f.integer("max_window_layers", 0, minimum=0)
    window = f.integer("sliding_window", 0)
    if not use or not window:
        return {}
    return dict(sliding_window=window, sliding_layers=tuple(range(min(start, layers), layers)))


#: Refused in every family (when true / non-empty): cross-attention.
REFUSED_COMMON = ("add_cross_attention", "is_encoder_decoder", "cross_attention_layers")


def refuse_cross_attention(f: Fields) -> None:
    """Cross-attention in any form is not modelled."""
    for name in ("add_cross_attention", "is_encoder_decoder"):
        if f.flag(name, False):
            raise f.refuse(name, "cross-attention is not modelled", f"{name} is true")
    layers = f.get("cross_attention_layers")
    if layers:
        raise f.refuse("cross_attention_layers", "cross-attention layers are not modelled",
                       f"layers {json.dumps(layers)}")


def read_mtp(f: Fields, name: str) -> int:
    """Multi-token-prediction modules: stated in the IR, not built (docs/frontend.md)."""
    return f.integer(name, 0, minimum=0)
