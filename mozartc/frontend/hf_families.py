"""One reader per Hugging Face ``model_type``, and the :data:`FAMILIES` table of their field lists.

Each reader turns a config's :class:`Fields` into :class:`MoEConfig` keyword values; :data:`FAMILIES`
names, per ``model_type``, the reader and the fields it models, ignores as harmless and refuses
(docs/frontend.md has the table).
"""

from __future__ import annotations

import json
from typing import Any

from mozartc.frontend.hf_fields import Family, Fields
from mozartc.frontend.hf_shared import (
    deepseek_dense,
    dense_ffn_size,
    period_dense_layers,
    qwen_dense_layers,
    read_experts,
    read_gqa,
    read_layer_types,
    read_mtp,
    read_partial_rotary,
    require_silu,
    window_all,
    window_qwen,
    window_types,
)


def _mixtral(f: Fields) -> dict[str, Any]:
    require_silu(f)
    v = read_gqa(f, head_dim_field=True, eps=1e-5, theta=1e6)
    v.update(read_experts(f, "num_local_experts", "intermediate_size"), norm_topk_prob=True)
    v.update(window_all(f, v["num_layers"]))
    return v


def _olmoe(f: Fields) -> dict[str, Any]:
    require_silu(f)
    v = read_gqa(f, head_dim_field=False, eps=1e-5, theta=1e4)
    bias = f.flag("attention_bias", False)
    v.update(read_experts(f, "num_experts", "intermediate_size"), norm_topk_prob=f.flag("norm_topk_prob", False),
             qk_norm="full", qkv_bias=bias, o_bias=bias)
    return v


def _granitemoe(f: Fields) -> dict[str, Any]:
    require_silu(f)
    v = read_gqa(f, head_dim_field=False, eps=1e-6, theta=1e4)
    bias = f.flag("attention_bias", False)
    v.update(read_experts(f, "num_local_experts", "intermediate_size"), norm_topk_prob=True, qkv_bias=bias, o_bias=bias)
    return v


def _phimoe(f: Fields) -> dict[str, Any]:
    require_silu(f)
    v = read_gqa(f, head_dim_field=False, eps=1e-5, theta=1e6)
    bias = f.flag("attention_bias", False)
    v.update(read_experts(f, "num_local_experts", "intermediate_size"), norm_topk_prob=True, qkv_bias=bias, o_bias=bias,
             norm="layernorm", norm_bias=True, scoring="sparsemixer", lm_head_bias=f.flag("lm_head_bias", False))
    jitter = f.get("router_jitter_noise")
    if jitter is not None and (isinstance(jitter, bool) or not isinstance(jitter, int | float) or jitter < 0):
        raise f.fail("router_jitter_noise", f"must be a number >= 0, got {json.dumps(jitter)}")
    v["router_jitter"] = float(jitter) if jitter is not None else 0.01
    v.update(window_all(f, v["num_layers"]))
    return v


def _qwen2_moe(f: Fields) -> dict[str, Any]:
    require_silu(f)
    v = read_gqa(f, head_dim_field=False, eps=1e-6, theta=1e4)
    v.update(read_experts(f, "num_experts", "moe_intermediate_size"), norm_topk_prob=f.flag("norm_topk_prob", False),
             qkv_bias=f.flag("qkv_bias", True), dense_layers=qwen_dense_layers(f, v["num_layers"]))
    shared = f.integer("shared_expert_intermediate_size", 0, minimum=0)
    if shared:
        v.update(num_shared_experts=1, shared_intermediate_size=shared, shared_expert_gate=True)
    v["intermediate_size"] = dense_ffn_size(f, v)
    v.update(window_qwen(f, v["num_layers"]))
    return v


def _qwen3_moe(f: Fields) -> dict[str, Any]:
    require_silu(f)
    v = read_gqa(f, head_dim_field=True, eps=1e-6, theta=1e4)
    bias = f.flag("attention_bias", False)
    v.update(read_experts(f, "num_experts", "moe_intermediate_size"), norm_topk_prob=f.flag("norm_topk_prob", False),
             qk_norm="head", qkv_bias=bias, o_bias=bias, dense_layers=qwen_dense_layers(f, v["num_layers"]))
    # Fields some released Qwen3-MoE configs carry that transformers' Qwen3-MoE does not read: accepted
    # only when they agree with the architecture (no shared expert, q/k norm, attention_bias).
    shared = f.integer("shared_expert_intermediate_size", 0, minimum=0)
    if shared:
        raise f.refuse("shared_expert_intermediate_size", "a shared expert in a qwen3_moe model is not modelled",
                       f"it is {shared}; the Qwen3-MoE architecture has no shared expert, 0 means none")
    if not f.flag("use_qk_norm", True):
        raise f.refuse("use_qk_norm", "Qwen3-MoE without q/k norm is not modelled", "use_qk_norm is false")
    if f.flag("qkv_bias", bias) != bias:
        raise f.refuse("qkv_bias", "q/k/v biases that differ from attention_bias are not modelled",
                       f"qkv_bias {json.dumps(f.raw['qkv_bias'])}, attention_bias {json.dumps(bias)}")
    v["intermediate_size"] = dense_ffn_size(f, v)
    v.update(window_qwen(f, v["num_layers"]))
    return v


def _qwen3_next(f: Fields, gate_default: bool) -> dict[str, Any]:
    """Qwen3-Next and the Qwen3.5-MoE text model: refused while any layer is linear attention."""
    require_silu(f)
    v = read_gqa(f, head_dim_field=True, eps=1e-6, theta=1e4)
    layers = v["num_layers"]
    types = read_layer_types(f, layers, ("full_attention", "linear_attention"))
    interval = f.integer("full_attention_interval", 4)
    if types is None:
        types = ["full_attention" if (i + 1) % interval == 0 else "linear_attention" for i in range(layers)]
        field = "full_attention_interval"
    else:
        field = "layer_types"
    linear = sum(t == "linear_attention" for t in types)
    if linear:
        raise f.refuse(field, "linear attention is not modelled",
                       f"{linear} of the {layers} layers are 'linear_attention' (Gated DeltaNet)")
    f.allow(*(name for name in f.raw if name.startswith("linear_")), "mamba_ssm_dtype")  # unused without linear layers
    bias = f.flag("attention_bias", False)
    v.update(read_experts(f, "num_experts", "moe_intermediate_size"), norm_topk_prob=f.flag("norm_topk_prob", False),
             qk_norm="head", qkv_bias=bias, o_bias=bias, dense_layers=qwen_dense_layers(f, layers),
             attn_output_gate=f.flag("attn_output_gate", gate_default), partial_rotary_factor=read_partial_rotary(f),
             mtp_layers=read_mtp(f, "mtp_num_hidden_layers"))
    f.allow("mtp_use_dedicated_embeddings")  # MTP is stated, not built
    shared = f.integer("shared_expert_intermediate_size", 0, minimum=0)
    if shared:
        v.update(num_shared_experts=1, shared_intermediate_size=shared, shared_expert_gate=True)
    v["intermediate_size"] = dense_ffn_size(f, v)
    v.update(window_qwen(f, layers))
    return v


def _deepseek(f: Fields, version: int) -> dict[str, Any]:
    """DeepSeek-MoE (1), DeepSeek-V2 (2), DeepSeek-V3 (3): MLA from V2 on."""
    require_silu(f)
    v = read_gqa(f, head_dim_field=False, eps=1e-6, theta=1e4)
    v.update(read_experts(f, "n_routed_experts", "moe_intermediate_size"),
             norm_topk_prob=f.flag("norm_topk_prob", False))
    v.update(deepseek_dense(f, v["num_layers"]))
    v["intermediate_size"] = dense_ffn_size(f, v)
    shared = f.integer("n_shared_experts", 0, minimum=0)
    if shared:
        v.update(num_shared_experts=shared, shared_intermediate_size=v["moe_intermediate_size"])
    bias = f.flag("attention_bias", False)
    if version == 1:
        f.string("scoring_func", "softmax", ("softmax",))
        v.update(qkv_bias=bias, o_bias=bias)
        return v
    if bias:
        raise f.refuse("attention_bias", "MLA with biases is not modelled", "attention_bias is true")
    v.update(q_lora_rank=f.integer("q_lora_rank", 0, minimum=0), kv_lora_rank=f.integer("kv_lora_rank"),
             qk_nope_head_dim=f.integer("qk_nope_head_dim"), qk_rope_head_dim=f.integer("qk_rope_head_dim"),
             v_head_dim=f.integer("v_head_dim"))
    v["head_dim"] = v["qk_nope_head_dim"] + v["qk_rope_head_dim"]
    method = f.string("topk_method", "noaux_tc" if version == 3 else "greedy",
                      ("greedy", "group_limited_greedy", "noaux_tc"))
    groups, kept = f.integer("n_group", 1), f.integer("topk_group", 1)
    v.update(scoring=f.string("scoring_func", "sigmoid" if version == 3 else "softmax", ("softmax", "sigmoid")),
             topk_method=method, score_correction_bias=method == "noaux_tc",
             n_group=groups if method != "greedy" else 1, topk_group=kept if method != "greedy" else 1,
             routed_scaling_factor=f.number("routed_scaling_factor", 1.0))
    if version == 3:
        v["mtp_layers"] = read_mtp(f, "num_nextn_predict_layers")
    return v


def _glm4_moe(f: Fields) -> dict[str, Any]:
    """GLM-4.5: biased q/k/v, partial rotary, optional q/k norm, sigmoid router with DeepSeek-V3's
    correction bias and grouping, shared experts, leading dense layers, MTP layers (stated)."""
    require_silu(f)
    v = read_gqa(f, head_dim_field=True, eps=1e-5, theta=1e4)
    v.update(read_experts(f, "n_routed_experts", "moe_intermediate_size"),
             norm_topk_prob=f.flag("norm_topk_prob", True))
    v.update(deepseek_dense(f, v["num_layers"], freq_field=False))
    v["intermediate_size"] = dense_ffn_size(f, v)
    shared = f.integer("n_shared_experts", 1, minimum=0)
    if shared:
        v.update(num_shared_experts=shared, shared_intermediate_size=v["moe_intermediate_size"])
    v.update(qkv_bias=f.flag("attention_bias", False), qk_norm="head" if f.flag("use_qk_norm", False) else "none",
             partial_rotary_factor=read_partial_rotary(f), scoring="sigmoid", score_correction_bias=True,
             topk_method="noaux_tc", n_group=f.integer("n_group", 1), topk_group=f.integer("topk_group", 1),
             routed_scaling_factor=f.number("routed_scaling_factor", 1.0),
             mtp_layers=read_mtp(f, "num_nextn_predict_layers"))
    return v


def _gpt_oss(f: Fields) -> dict[str, Any]:
    """gpt-oss: biased q/k/v/o, attention sinks, alternating sliding windows, a biased router, biased
    experts with a clamped SwiGLU."""
    require_silu(f)
    v = read_gqa(f, head_dim_field=True, eps=1e-5, theta=1.5e5)
    v.update(read_experts(f, "num_local_experts", "intermediate_size"), norm_topk_prob=True)
    alias = f.integer("experts_per_token", v["top_k"])
    if alias != v["top_k"]:
        raise f.fail("experts_per_token", f"{alias} disagrees with num_experts_per_tok ({v['top_k']})")
    bias = f.flag("attention_bias", True)
    v.update(qkv_bias=bias, o_bias=bias, attention_sinks=True, router_bias=True, expert_bias=True,
             swiglu_limit=f.number("swiglu_limit", 7.0))
    v.update(window_types(f, v["num_layers"]))
    return v


def _dbrx(f: Fields) -> dict[str, Any]:
    """DBRX: nested ``attn_config`` / ``ffn_config``, fused ``Wqkv``, LayerNorm without bias."""
    attn, ffn = f.obj("attn_config"), f.obj("ffn_config")
    if attn is None or ffn is None:
        raise f.fail("attn_config" if attn is None else "ffn_config", "missing (required)")
    d, h = f.integer("d_model"), f.integer("n_heads")
    if d % h:
        raise f.fail("n_heads", f"d_model ({d}) is not a multiple of n_heads ({h})")
    act = ffn.obj("ffn_act_fn")
    if act is not None:
        name = act.string("name", "silu")
        if name not in ("silu", "swish"):
            raise act.refuse("name", f"'{name}' FFNs are not modelled", "mozartc models SiLU-gated (SwiGLU) FFNs")
    norm = ffn.get("moe_normalize_expert_weights")
    if norm not in (None, 1, 1.0):
        raise ffn.refuse("moe_normalize_expert_weights", "a p-norm other than 1 is not modelled", f"p = {norm}")
    v: dict[str, Any] = dict(
        vocab_size=f.integer("vocab_size"), hidden_size=d, num_layers=f.integer("n_layers"), num_heads=h,
        num_kv_heads=attn.integer("kv_n_heads", 1), head_dim=d // h,
        tie_word_embeddings=f.flag("tie_word_embeddings", False),
        rms_norm_eps=1e-5, rope_theta=attn.number("rope_theta", 1e4), fused_qkv=True, norm="layernorm",
        num_experts=ffn.integer("moe_num_experts"), top_k=ffn.integer("moe_top_k"),
        moe_intermediate_size=ffn.integer("ffn_hidden_size"), norm_topk_prob=True,
    )
    # clip_qkv clamps values; jitter, loss weights and uniform assignment act in training only
    attn.allow("clip_qkv", "attn_pdrop", "model_type")
    ffn.allow("moe_jitter_eps", "moe_loss_weight", "uniform_expert_assignment", "model_type")
    attn.check_all_known(FAMILIES["dbrx"])
    ffn.check_all_known(FAMILIES["dbrx"])
    return v


def _jamba(f: Fields) -> dict[str, Any]:
    """Jamba: modelled only when no layer is a Mamba layer (every layer attention); MoE every
    ``expert_layer_period`` layers from ``expert_layer_offset``; no RoPE."""
    require_silu(f)
    v = read_gqa(f, head_dim_field=False, eps=1e-6, theta=1e4)
    layers = v["num_layers"]
    period, offset = f.integer("attn_layer_period", 1), f.integer("attn_layer_offset", 0, minimum=0)
    mamba = [i for i in range(layers) if i % period != offset]
    if mamba:
        raise f.refuse("attn_layer_period", "Mamba layers are not modelled",
                       f"attn_layer_period {period} with attn_layer_offset {offset} makes {len(mamba)} of the "
                       f"{layers} layers Mamba (state-space) layers")
    f.allow(*(name for name in f.raw if name.startswith("mamba_")), "use_mamba_kernels", "num_logits_to_keep")
    v.update(read_experts(f, "num_experts", "intermediate_size"), norm_topk_prob=False, use_rope=False,
             dense_layers=period_dense_layers(f, layers))
    v["intermediate_size"] = v["moe_intermediate_size"]
    v.update(window_all(f, layers))
    return v


def _generic(f: Fields) -> dict[str, Any]:
    """No ``model_type``: the Llama-style block with the common MoE field names."""
    require_silu(f)
    v = read_gqa(f, head_dim_field=True, eps=1e-6, theta=1e4)
    layers = v["num_layers"]
    count = f.first(GENERIC_EXPERT_FIELDS)
    if count is None:
        raise f.fail(GENERIC_EXPERT_FIELDS[0], f"missing: an MoE config needs one of {', '.join(GENERIC_EXPERT_FIELDS)}"
                                               " (no MoE layers otherwise)")
    v.update(read_experts(f, count, "moe_intermediate_size"), norm_topk_prob=f.flag("norm_topk_prob", False))
    first = deepseek_dense(f, layers)
    dense = set(first["dense_layers"]) | set(qwen_dense_layers(f, layers)) | set(period_dense_layers(f, layers))
    first_k = first["first_k_dense"]
    v.update(first_k_dense=first_k, dense_layers=tuple(sorted(i for i in dense if i >= first_k)))
    v["intermediate_size"] = dense_ffn_size(f, v)
    shared_field = f.first(("n_shared_experts", "num_shared_experts"))
    if shared_field is not None:
        shared = f.integer(shared_field, minimum=0)
        if shared:
            v.update(num_shared_experts=shared, shared_intermediate_size=v["moe_intermediate_size"])
    else:
        size = f.integer("shared_expert_intermediate_size", 0, minimum=0)
        if size:
            v.update(num_shared_experts=1, shared_intermediate_size=size)
    if f.has("kv_lora_rank"):
        v.update(q_lora_rank=f.integer("q_lora_rank", 0, minimum=0), kv_lora_rank=f.integer("kv_lora_rank"),
                 qk_nope_head_dim=f.integer("qk_nope_head_dim"), qk_rope_head_dim=f.integer("qk_rope_head_dim"),
                 v_head_dim=f.integer("v_head_dim"))
        v["head_dim"] = v["qk_nope_head_dim"] + v["qk_rope_head_dim"]
    return v


GENERIC_EXPERT_FIELDS = ("num_experts", "n_routed_experts", "num_local_experts")


_GQA = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "tie_word_embeddings", "rms_norm_eps", "rope_theta", "rope_parameters", "hidden_act")
_QWEN_LAYERS = ("mlp_only_layers", "decoder_sparse_step", "use_sliding_window", "max_window_layers",
                "sliding_window", "layer_types")
_DEEPSEEK = ("n_routed_experts", "num_experts_per_tok", "moe_intermediate_size", "intermediate_size",
             "n_shared_experts", "norm_topk_prob", "first_k_dense_replace", "moe_layer_freq", "attention_bias")
_MLA = ("q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "scoring_func",
        "topk_method", "n_group", "topk_group", "routed_scaling_factor")
_DEEPSEEK_HARMLESS = ("aux_loss_alpha", "seq_aux", "pretraining_tp", "ep_size")

FAMILIES: dict[str, Family] = {fam.model_type: fam for fam in (
    Family("mixtral", "Mixtral", _mixtral,
           (*_GQA, "head_dim", "num_local_experts", "num_experts_per_tok", "intermediate_size", "sliding_window"),
           ("router_jitter_noise",)),
    Family("qwen2_moe", "Qwen2-MoE (Qwen1.5-MoE)", _qwen2_moe,
           (*_GQA, "num_experts", "num_experts_per_tok", "moe_intermediate_size", "intermediate_size",
            "shared_expert_intermediate_size", "norm_topk_prob", "qkv_bias", *_QWEN_LAYERS)),
    Family("qwen3_moe", "Qwen3-MoE", _qwen3_moe,
           (*_GQA, "head_dim", "num_experts", "num_experts_per_tok", "moe_intermediate_size", "intermediate_size",
            "norm_topk_prob", "attention_bias", *_QWEN_LAYERS),
           (), ("shared_expert_intermediate_size", "use_qk_norm", "qkv_bias")),
    Family("qwen3_next", "Qwen3-Next", lambda f: _qwen3_next(f, True),
           (*_GQA, "head_dim", "num_experts", "num_experts_per_tok", "moe_intermediate_size", "intermediate_size",
            "shared_expert_intermediate_size", "norm_topk_prob", "attention_bias", "attn_output_gate",
            "partial_rotary_factor", "mtp_num_hidden_layers", *_QWEN_LAYERS),
           ("mtp_use_dedicated_embeddings", "mamba_ssm_dtype"), ("full_attention_interval", "layer_types", "linear_*")),
    Family("qwen3_5_moe_text", "Qwen3.5-MoE text model", lambda f: _qwen3_next(f, False),
           (*_GQA, "head_dim", "num_experts", "num_experts_per_tok", "moe_intermediate_size", "intermediate_size",
            "shared_expert_intermediate_size", "norm_topk_prob", "attention_bias", "attn_output_gate",
            "partial_rotary_factor", "mtp_num_hidden_layers", *_QWEN_LAYERS),
           ("mtp_use_dedicated_embeddings", "mamba_ssm_dtype"), ("full_attention_interval", "layer_types", "linear_*")),
    Family("deepseek", "DeepSeek-MoE", lambda f: _deepseek(f, 1), (*_GQA, *_DEEPSEEK, "scoring_func"),
           _DEEPSEEK_HARMLESS),
    Family("deepseek_v2", "DeepSeek-V2", lambda f: _deepseek(f, 2), (*_GQA, *_DEEPSEEK, *_MLA), _DEEPSEEK_HARMLESS),
    Family("deepseek_v3", "DeepSeek-V3", lambda f: _deepseek(f, 3),
           (*_GQA, *_DEEPSEEK, *_MLA, "num_nextn_predict_layers"), _DEEPSEEK_HARMLESS),
    Family("olmoe", "OLMoE", _olmoe,
           (*_GQA, "num_experts", "num_experts_per_tok", "intermediate_size", "norm_topk_prob", "attention_bias"),
           ("clip_qkv",)),
    Family("phimoe", "PhiMoE (Phi-3.5-MoE)", _phimoe,
           (*_GQA, "num_local_experts", "num_experts_per_tok", "intermediate_size", "attention_bias", "lm_head_bias",
            "router_jitter_noise", "sliding_window"),
           ("input_jitter_noise", "original_max_position_embeddings")),
    Family("granitemoe", "GraniteMoE", _granitemoe,
           (*_GQA, "num_local_experts", "num_experts_per_tok", "intermediate_size", "attention_bias"),
           ("embedding_multiplier", "residual_multiplier", "attention_multiplier", "logits_scaling")),
    Family("gpt_oss", "gpt-oss", _gpt_oss,
           (*_GQA, "head_dim", "num_local_experts", "num_experts_per_tok", "experts_per_token", "intermediate_size",
            "attention_bias", "layer_types", "sliding_window", "swiglu_limit"),
           ("initial_context_length",)),
    Family("glm4_moe", "GLM-4.5 (GLM-4-MoE)", _glm4_moe,
           (*_GQA, "head_dim", "n_routed_experts", "num_experts_per_tok", "moe_intermediate_size", "intermediate_size",
            "n_shared_experts", "norm_topk_prob", "first_k_dense_replace", "attention_bias", "use_qk_norm",
            "partial_rotary_factor", "n_group", "topk_group", "routed_scaling_factor", "num_nextn_predict_layers")),
    Family("dbrx", "DBRX", _dbrx,
           ("vocab_size", "d_model", "n_heads", "n_layers", "tie_word_embeddings", "attn_config.kv_n_heads",
            "attn_config.rope_theta", "ffn_config.moe_num_experts", "ffn_config.moe_top_k",
            "ffn_config.ffn_hidden_size", "ffn_config.ffn_act_fn", "ffn_config.moe_normalize_expert_weights"),
           ("max_seq_len", "emb_pdrop", "resid_pdrop", "attn_config.clip_qkv", "attn_config.attn_pdrop",
            "ffn_config.moe_jitter_eps", "ffn_config.moe_loss_weight", "ffn_config.uniform_expert_assignment")),
    Family("jamba", "Jamba", _jamba,
           (*_GQA, "num_experts", "num_experts_per_tok", "intermediate_size", "expert_layer_period",
            "expert_layer_offset", "sliding_window"),
           ("mamba_*", "use_mamba_kernels", "num_logits_to_keep"),
           ("attn_layer_period", "attn_layer_offset")),
    Family("", "generic (no model_type)", _generic,
           (*_GQA, "head_dim", *GENERIC_EXPERT_FIELDS, "num_experts_per_tok", "moe_intermediate_size",
            "intermediate_size", "n_shared_experts", "num_shared_experts", "shared_expert_intermediate_size",
            "norm_topk_prob", "first_k_dense_replace", "moe_layer_freq", "mlp_only_layers", "decoder_sparse_step",
            "expert_layer_period", "expert_layer_offset", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim",
            "qk_rope_head_dim", "v_head_dim")),
)}
