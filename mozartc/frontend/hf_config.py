"""Read a Hugging Face ``config.json`` into a :class:`MoEConfig`: one reader per ``model_type``.

Every field of the file is accounted for. A field is either *modelled* (read and turned into the
architecture), *harmless* (a training, runtime or bookkeeping field that changes no parameter and no
FLOP: dtypes, token ids, dropout, initialisation, context length, RoPE scaling, quantisation, aux-loss
weights, scalar multipliers) or *refused*: a :class:`FrontendError` naming the file, the field and what
is not modelled (Mamba layers, linear attention, cross-attention, a vision encoder, a non-SiLU FFN, ...).
A field that is none of these is refused too, because mozartc cannot tell whether it changes the
architecture. So is an unknown ``model_type`` and a model without MoE layers. A config without
``model_type`` is read with the generic (Llama-style) names.

:data:`FAMILIES` lists, per ``model_type``, the fields each reader models and those it ignores as
harmless (besides :data:`COMMON_HARMLESS`); docs/frontend.md has the table. Qwen3.5-MoE configs keep
the text model under ``text_config``, which is read as the config (fields named ``text_config.x``).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mozartc.errors import FrontendError
from mozartc.frontend.config import MoEConfig

#: Fields of any config that change no parameter and no FLOP (``PretrainedConfig`` bookkeeping,
#: generation defaults, token ids, dtypes, dropout, initialisation, context length and RoPE scaling,
#: quantisation of the released weights, auxiliary-loss weights).
COMMON_HARMLESS = frozenset({
    "_name_or_path", "_commit_hash", "_attn_implementation", "_attn_implementation_autoset",
    "architectures", "auto_map", "transformers_version", "torch_dtype", "dtype", "use_bfloat16",
    "use_cache", "return_dict", "output_hidden_states", "output_attentions", "output_router_logits",
    "torchscript", "tf_legacy_loss", "pruned_heads", "chunk_size_feed_forward", "is_decoder",
    "tie_encoder_decoder", "cross_attention_hidden_size", "finetuning_task", "id2label", "label2id",
    "num_labels", "problem_type", "task_specific_params", "tokenizer_class", "prefix",
    "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "decoder_start_token_id",
    "max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups",
    "diversity_penalty", "temperature", "top_k", "top_p", "typical_p", "repetition_penalty",
    "length_penalty", "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "bad_words_ids",
    "num_return_sequences", "output_scores", "return_dict_in_generate", "forced_bos_token_id",
    "forced_eos_token_id", "remove_invalid_values", "exponential_decay_length_penalty",
    "suppress_tokens", "begin_suppress_tokens",
    "initializer_range", "max_position_embeddings", "rope_scaling", "quantization_config",
    "attention_dropout", "hidden_dropout", "router_aux_loss_coef", "router_z_loss_coef",
})

#: ``model_type`` values of dense (non-MoE) decoders: refused with "no MoE layers".
DENSE_MODEL_TYPES = frozenset({
    "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3", "gemma3_text", "phi", "phi3",
    "olmo", "olmo2", "granite", "gpt2", "gpt_neox", "gptj", "falcon", "mpt", "starcoder2", "cohere",
    "cohere2", "glm", "glm4", "internlm2", "exaone", "stablelm", "bloom", "opt",
})

#: ``model_type`` values refused as a whole, with the reason.
REFUSED_MODEL_TYPES = {
    "mamba": "Mamba layers are not modelled (a state-space model)",
    "mamba2": "Mamba layers are not modelled (a state-space model)",
    "falcon_mamba": "Mamba layers are not modelled (a state-space model)",
    "granitemoehybrid": "Mamba layers are not modelled (Granite 4 hybrid)",
    "nemotron_h": "Mamba layers are not modelled (Nemotron-H hybrid)",
    "mllama": "cross-attention layers are not modelled (Llama 3.2 Vision)",
    "llama4": "its vision encoder and chunked/NoPE attention layers are not modelled",
    "switch_transformers": "encoder-decoder models (cross-attention) are not modelled",
    "nllb_moe": "encoder-decoder models (cross-attention) are not modelled",
}


class _Fields:
    """Typed access to a JSON object; records every field it reads; failures name the file and field."""

    def __init__(self, raw: dict[str, Any], where: str, prefix: str = "") -> None:
        self.raw, self.where, self.prefix = raw, where, prefix
        self.seen: set[str] = set()

    def key(self, name: str) -> str:
        """The field's name in messages (``text_config.layer_types`` for nested objects)."""
        return self.prefix + name

    def fail(self, field: str, message: str) -> FrontendError:
        return FrontendError(f"field '{self.key(field)}': {message}", where=self.where)

    def refuse(self, field: str, what: str, detail: str) -> FrontendError:
        """The error for an architecture feature mozartc does not model."""
        return self.fail(field, f"{what} ({detail})")

    def allow(self, *names: str) -> None:
        """Mark fields as accounted for (harmless, or checked elsewhere)."""
        self.seen.update(names)

    def get(self, name: str) -> Any:
        self.seen.add(name)
        return self.raw.get(name)

    def has(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def first(self, names: tuple[str, ...]) -> str | None:
        return next((n for n in names if self.has(n)), None)

    def integer(self, name: str, default: int | None = None, minimum: int = 1) -> int:
        value = self.get(name)
        if value is None:
            if default is None:
                raise self.fail(name, "missing (required)")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"must be an integer, got {json.dumps(value)}")
        if value < minimum:
            raise self.fail(name, f"must be >= {minimum}, got {value}")
        return value

    def number(self, name: str, default: float) -> float:
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(name, f"must be a positive number, got {json.dumps(value)}")
        return float(value)

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(name, f"must be true or false, got {json.dumps(value)}")
        return value

    def string(self, name: str, default: str, choices: tuple[str, ...] | None = None) -> str:
        value = self.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.fail(name, f"must be a string, got {json.dumps(value)}")
        if choices is not None and value not in choices:
            raise self.fail(name, f"'{value}' is not modelled; mozartc models {', '.join(repr(c) for c in choices)}")
        return value

    def int_list(self, name: str) -> list[int]:
        value = self.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            raise self.fail(name, f"must be a list of integers, got {json.dumps(value)}")
        return list(value)

    def str_list(self, name: str) -> list[str] | None:
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
            raise self.fail(name, f"must be a list of strings, got {json.dumps(value)}")
        return list(value)

    def obj(self, name: str) -> _Fields | None:
        """The nested object ``name`` (fields named ``name.x`` in messages), or None when absent."""
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(name, f"must be a JSON object, got {json.dumps(value)}")
        return _Fields(value, self.where, f"{self.key(name)}.")

    def check_all_known(self, family: Family) -> None:
        """Refuse the first field that is neither read nor harmless for ``family``."""
        known = self.seen | COMMON_HARMLESS | set(family.harmless)
        for name in self.raw:
            if name in known or name.startswith("_"):
                continue
            guess = difflib.get_close_matches(name, sorted(known | set(family.modelled)), n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            raise self.fail(name, f"not a known field of {family.title} configs{hint}: mozartc refuses fields "
                                  "it does not know, since it cannot tell whether they change the architecture "
                                  "(docs/frontend.md lists the fields of each model_type)")


def _silu(f: _Fields) -> None:
    """``hidden_act`` must be SiLU: every modelled FFN is SwiGLU."""
    act = f.string("hidden_act", "silu")
    if act not in ("silu", "swish"):
        raise f.refuse("hidden_act", f"'{act}' FFNs are not modelled", "mozartc models SiLU-gated (SwiGLU) FFNs")


def _rope_theta(f: _Fields, default: float) -> float:
    """``rope_theta``, or ``rope_parameters.rope_theta`` (newer configs)."""
    params = f.obj("rope_parameters")
    if params is not None:
        params.allow(*params.raw)  # rope_type, mrope sections, scaling: no parameter or FLOP
        if not f.has("rope_theta"):
            return params.number("rope_theta", default)
    return f.number("rope_theta", default)


def _partial_rotary(f: _Fields) -> float:
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


def _gqa(f: _Fields, *, head_dim_field: bool, eps: float, theta: float,
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


def _experts(f: _Fields, count: str, size: str, top_k: str = "num_experts_per_tok") -> dict[str, Any]:
    """Routed experts: count (0 means no MoE layers), top-k, expert FFN width."""
    experts = f.integer(count, minimum=0)
    if experts == 0:
        raise f.fail(count, "is 0: no MoE layers (mozartc maps Mixture-of-Experts models)")
    return dict(num_experts=experts, top_k=f.integer(top_k), moe_intermediate_size=f.integer(size))


def _check_layer_list(f: _Fields, name: str, indices: list[int], layers: int) -> None:
    for i in indices:
        if not 0 <= i < layers:
            raise f.fail(name, f"layer index {i} outside 0..{layers - 1}")


def _qwen_dense(f: _Fields, layers: int) -> tuple[int, ...]:
    """Qwen: layer ``i`` is dense when listed in ``mlp_only_layers`` or when ``(i+1) % decoder_sparse_step``."""
    only = f.int_list("mlp_only_layers")
    _check_layer_list(f, "mlp_only_layers", only, layers)
    step = f.integer("decoder_sparse_step", 1)
    return tuple(i for i in range(layers) if i in only or (i + 1) % step)


def _deepseek_dense(f: _Fields, layers: int, freq_field: bool = True) -> dict[str, Any]:
    """DeepSeek / GLM: the first ``first_k_dense_replace`` layers are dense; after them a layer is MoE
    iff ``i % moe_layer_freq == 0``."""
    first_k = f.integer("first_k_dense_replace", 0, minimum=0)
    if first_k > layers:
        raise f.fail("first_k_dense_replace", f"{first_k} exceeds num_hidden_layers ({layers})")
    freq = f.integer("moe_layer_freq", 1) if freq_field else 1
    return dict(first_k_dense=first_k, dense_layers=tuple(i for i in range(first_k, layers) if i % freq))


def _period_dense(f: _Fields, layers: int) -> tuple[int, ...]:
    """Jamba: layer ``i`` is MoE iff ``i % expert_layer_period == expert_layer_offset``."""
    period = f.integer("expert_layer_period", 1)
    offset = f.integer("expert_layer_offset", 0, minimum=0)
    if offset >= period:
        raise f.fail("expert_layer_offset", f"{offset} must be below expert_layer_period ({period})")
    return tuple(i for i in range(layers) if i % period != offset)


def _dense_size(f: _Fields, values: dict[str, Any], name: str = "intermediate_size") -> int:
    """The dense FFN width: required when some layer is dense, else optional (unused)."""
    has_dense = values.get("first_k_dense", 0) > 0 or bool(values.get("dense_layers"))
    return f.integer(name) if has_dense else f.integer(name, 0, minimum=0)


def _window_all(f: _Fields, layers: int) -> dict[str, Any]:
    """One ``sliding_window`` (or null) for every layer (Mixtral, PhiMoE, Jamba)."""
    window = f.integer("sliding_window", 0)
    return dict(sliding_window=window, sliding_layers=tuple(range(layers)) if window else ())


def _layer_types(f: _Fields, layers: int, kinds: tuple[str, ...]) -> list[str] | None:
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


def _window_types(f: _Fields, layers: int) -> dict[str, Any]:
    """``layer_types`` with ``sliding_attention`` layers of ``sliding_window`` tokens (gpt-oss)."""
    types = _layer_types(f, layers, ("full_attention", "sliding_attention")) or []
    sliding = tuple(i for i, t in enumerate(types) if t == "sliding_attention")
    window = f.integer("sliding_window") if sliding else f.integer("sliding_window", 0)
    return dict(sliding_window=window if sliding else 0, sliding_layers=sliding)


def _window_qwen(f: _Fields, layers: int) -> dict[str, Any]:
    """Qwen: ``layer_types`` when given, else with ``use_sliding_window`` the layers from
    ``max_window_layers`` on use a window of ``sliding_window``."""
    if f.has("layer_types"):
        f.allow("use_sliding_window", "max_window_layers")
        return _window_types(f, layers)
    use = f.flag("use_sliding_window", False)
    start = f.integer("max_window_layers", 0, minimum=0)
    window = f.integer("sliding_window", 0)
    if not use or not window:
        return {}
    return dict(sliding_window=window, sliding_layers=tuple(range(min(start, layers), layers)))


def _refuse_cross_attention(f: _Fields) -> None:
    """Cross-attention in any form is not modelled."""
    for name in ("add_cross_attention", "is_encoder_decoder"):
        if f.flag(name, False):
            raise f.refuse(name, "cross-attention is not modelled", f"{name} is true")
    layers = f.get("cross_attention_layers")
    if layers:
        raise f.refuse("cross_attention_layers", "cross-attention layers are not modelled",
                       f"layers {json.dumps(layers)}")


def _mtp(f: _Fields, name: str) -> int:
    """Multi-token-prediction modules: stated in the IR, not built (docs/frontend.md)."""
    return f.integer(name, 0, minimum=0)


# ---- one reader per family -------------------------------------------------------------------


def _mixtral(f: _Fields) -> dict[str, Any]:
    _silu(f)
    v = _gqa(f, head_dim_field=True, eps=1e-5, theta=1e6)
    v.update(_experts(f, "num_local_experts", "intermediate_size"), norm_topk_prob=True)
    v.update(_window_all(f, v["num_layers"]))
    return v


def _olmoe(f: _Fields) -> dict[str, Any]:
    _silu(f)
    v = _gqa(f, head_dim_field=False, eps=1e-5, theta=1e4)
    bias = f.flag("attention_bias", False)
    v.update(_experts(f, "num_experts", "intermediate_size"), norm_topk_prob=f.flag("norm_topk_prob", False),
             qk_norm="full", qkv_bias=bias, o_bias=bias)
    return v


def _granitemoe(f: _Fields) -> dict[str, Any]:
    _silu(f)
    v = _gqa(f, head_dim_field=False, eps=1e-6, theta=1e4)
    bias = f.flag("attention_bias", False)
    v.update(_experts(f, "num_local_experts", "intermediate_size"), norm_topk_prob=True, qkv_bias=bias, o_bias=bias)
    return v


def _phimoe(f: _Fields) -> dict[str, Any]:
    _silu(f)
    v = _gqa(f, head_dim_field=False, eps=1e-5, theta=1e6)
    bias = f.flag("attention_bias", False)
    v.update(_experts(f, "num_local_experts", "intermediate_size"), norm_topk_prob=True, qkv_bias=bias, o_bias=bias,
             norm="layernorm", norm_bias=True, scoring="sparsemixer", lm_head_bias=f.flag("lm_head_bias", False))
    jitter = f.get("router_jitter_noise")
    if jitter is not None and (isinstance(jitter, bool) or not isinstance(jitter, int | float) or jitter < 0):
        raise f.fail("router_jitter_noise", f"must be a number >= 0, got {json.dumps(jitter)}")
    v["router_jitter"] = float(jitter) if jitter is not None else 0.01
    v.update(_window_all(f, v["num_layers"]))
    return v


def _qwen2_moe(f: _Fields) -> dict[str, Any]:
    _silu(f)
    v = _gqa(f, head_dim_field=False, eps=1e-6, theta=1e4)
    v.update(_experts(f, "num_experts", "moe_intermediate_size"), norm_topk_prob=f.flag("norm_topk_prob", False),
             qkv_bias=f.flag("qkv_bias", True), dense_layers=_qwen_dense(f, v["num_layers"]))
    shared = f.integer("shared_expert_intermediate_size", 0, minimum=0)
    if shared:
        v.update(num_shared_experts=1, shared_intermediate_size=shared, shared_expert_gate=True)
    v["intermediate_size"] = _dense_size(f, v)
    v.update(_window_qwen(f, v["num_layers"]))
    return v


def _qwen3_moe(f: _Fields) -> dict[str, Any]:
    _silu(f)
    v = _gqa(f, head_dim_field=True, eps=1e-6, theta=1e4)
    bias = f.flag("attention_bias", False)
    v.update(_experts(f, "num_experts", "moe_intermediate_size"), norm_topk_prob=f.flag("norm_topk_prob", False),
             qk_norm="head", qkv_bias=bias, o_bias=bias, dense_layers=_qwen_dense(f, v["num_layers"]))
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
    v["intermediate_size"] = _dense_size(f, v)
    v.update(_window_qwen(f, v["num_layers"]))
    return v


def _qwen3_next(f: _Fields, gate_default: bool) -> dict[str, Any]:
    """Qwen3-Next and the Qwen3.5-MoE text model: refused while any layer is linear attention."""
    _silu(f)
    v = _gqa(f, head_dim_field=True, eps=1e-6, theta=1e4)
    layers = v["num_layers"]
    types = _layer_types(f, layers, ("full_attention", "linear_attention"))
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
    v.update(_experts(f, "num_experts", "moe_intermediate_size"), norm_topk_prob=f.flag("norm_topk_prob", False),
             qk_norm="head", qkv_bias=bias, o_bias=bias, dense_layers=_qwen_dense(f, layers),
             attn_output_gate=f.flag("attn_output_gate", gate_default), partial_rotary_factor=_partial_rotary(f),
             mtp_layers=_mtp(f, "mtp_num_hidden_layers"))
    f.allow("mtp_use_dedicated_embeddings")  # MTP is stated, not built
    shared = f.integer("shared_expert_intermediate_size", 0, minimum=0)
    if shared:
        v.update(num_shared_experts=1, shared_intermediate_size=shared, shared_expert_gate=True)
    v["intermediate_size"] = _dense_size(f, v)
    v.update(_window_qwen(f, layers))
    return v


def _deepseek(f: _Fields, version: int) -> dict[str, Any]:
    """DeepSeek-MoE (1), DeepSeek-V2 (2), DeepSeek-V3 (3): MLA from V2 on."""
    _silu(f)
    v = _gqa(f, head_dim_field=False, eps=1e-6, theta=1e4)
    v.update(_experts(f, "n_routed_experts", "moe_intermediate_size"), norm_topk_prob=f.flag("norm_topk_prob", False))
    v.update(_deepseek_dense(f, v["num_layers"]))
    v["intermediate_size"] = _dense_size(f, v)
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
        v["mtp_layers"] = _mtp(f, "num_nextn_predict_layers")
    return v


def _glm4_moe(f: _Fields) -> dict[str, Any]:
    """GLM-4.5: biased q/k/v, partial rotary, optional q/k norm, sigmoid router with DeepSeek-V3's
    correction bias and grouping, shared experts, leading dense layers, MTP layers (stated)."""
    _silu(f)
    v = _gqa(f, head_dim_field=True, eps=1e-5, theta=1e4)
    v.update(_experts(f, "n_routed_experts", "moe_intermediate_size"), norm_topk_prob=f.flag("norm_topk_prob", True))
    v.update(_deepseek_dense(f, v["num_layers"], freq_field=False))
    v["intermediate_size"] = _dense_size(f, v)
    shared = f.integer("n_shared_experts", 1, minimum=0)
    if shared:
        v.update(num_shared_experts=shared, shared_intermediate_size=v["moe_intermediate_size"])
    v.update(qkv_bias=f.flag("attention_bias", False), qk_norm="head" if f.flag("use_qk_norm", False) else "none",
             partial_rotary_factor=_partial_rotary(f), scoring="sigmoid", score_correction_bias=True,
             topk_method="noaux_tc", n_group=f.integer("n_group", 1), topk_group=f.integer("topk_group", 1),
             routed_scaling_factor=f.number("routed_scaling_factor", 1.0),
             mtp_layers=_mtp(f, "num_nextn_predict_layers"))
    return v


def _gpt_oss(f: _Fields) -> dict[str, Any]:
    """gpt-oss: biased q/k/v/o, attention sinks, alternating sliding windows, a biased router, biased
    experts with a clamped SwiGLU."""
    _silu(f)
    v = _gqa(f, head_dim_field=True, eps=1e-5, theta=1.5e5)
    v.update(_experts(f, "num_local_experts", "intermediate_size"), norm_topk_prob=True)
    alias = f.integer("experts_per_token", v["top_k"])
    if alias != v["top_k"]:
        raise f.fail("experts_per_token", f"{alias} disagrees with num_experts_per_tok ({v['top_k']})")
    bias = f.flag("attention_bias", True)
    v.update(qkv_bias=bias, o_bias=bias, attention_sinks=True, router_bias=True, expert_bias=True,
             swiglu_limit=f.number("swiglu_limit", 7.0))
    v.update(_window_types(f, v["num_layers"]))
    return v


def _dbrx(f: _Fields) -> dict[str, Any]:
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


def _jamba(f: _Fields) -> dict[str, Any]:
    """Jamba: modelled only when no layer is a Mamba layer (every layer attention); MoE every
    ``expert_layer_period`` layers from ``expert_layer_offset``; no RoPE."""
    _silu(f)
    v = _gqa(f, head_dim_field=False, eps=1e-6, theta=1e4)
    layers = v["num_layers"]
    period, offset = f.integer("attn_layer_period", 1), f.integer("attn_layer_offset", 0, minimum=0)
    mamba = [i for i in range(layers) if i % period != offset]
    if mamba:
        raise f.refuse("attn_layer_period", "Mamba layers are not modelled",
                       f"attn_layer_period {period} with attn_layer_offset {offset} makes {len(mamba)} of the "
                       f"{layers} layers Mamba (state-space) layers")
    f.allow(*(name for name in f.raw if name.startswith("mamba_")), "use_mamba_kernels", "num_logits_to_keep")
    v.update(_experts(f, "num_experts", "intermediate_size"), norm_topk_prob=False, use_rope=False,
             dense_layers=_period_dense(f, layers))
    v["intermediate_size"] = v["moe_intermediate_size"]
    v.update(_window_all(f, layers))
    return v


def _generic(f: _Fields) -> dict[str, Any]:
    """No ``model_type``: the Llama-style block with the common MoE field names."""
    _silu(f)
    v = _gqa(f, head_dim_field=True, eps=1e-6, theta=1e4)
    layers = v["num_layers"]
    count = f.first(GENERIC_EXPERT_FIELDS)
    if count is None:
        raise f.fail(GENERIC_EXPERT_FIELDS[0], f"missing: an MoE config needs one of {', '.join(GENERIC_EXPERT_FIELDS)}"
                                               " (no MoE layers otherwise)")
    v.update(_experts(f, count, "moe_intermediate_size"), norm_topk_prob=f.flag("norm_topk_prob", False))
    first = _deepseek_dense(f, layers)
    dense = set(first["dense_layers"]) | set(_qwen_dense(f, layers)) | set(_period_dense(f, layers))
    first_k = first["first_k_dense"]
    v.update(first_k_dense=first_k, dense_layers=tuple(sorted(i for i in dense if i >= first_k)))
    v["intermediate_size"] = _dense_size(f, v)
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


@dataclass(frozen=True)
class Family:
    """How one ``model_type`` is read: the reader, its modelled fields and its harmless ones."""

    model_type: str
    title: str
    read: Callable[[_Fields], dict[str, Any]]
    modelled: tuple[str, ...]
    harmless: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()


_GQA = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "tie_word_embeddings", "rms_norm_eps", "rope_theta", "rope_parameters", "hidden_act")
_QWEN_LAYERS = ("mlp_only_layers", "decoder_sparse_step", "use_sliding_window", "max_window_layers",
                "sliding_window", "layer_types")
_DEEPSEEK = ("n_routed_experts", "num_experts_per_tok", "moe_intermediate_size", "intermediate_size",
             "n_shared_experts", "norm_topk_prob", "first_k_dense_replace", "moe_layer_freq", "attention_bias")
_MLA = ("q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "scoring_func",
        "topk_method", "n_group", "topk_group", "routed_scaling_factor")
_DEEPSEEK_HARMLESS = ("aux_loss_alpha", "seq_aux", "pretraining_tp", "ep_size")
#: Refused in every family (when true / non-empty): cross-attention.
REFUSED_COMMON = ("add_cross_attention", "is_encoder_decoder", "cross_attention_layers")

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

#: Configs whose text model is nested: model_type -> (field, model_type of the nested object).
NESTED = {"qwen3_5_moe": ("text_config", "qwen3_5_moe_text")}
NESTED_HARMLESS = ("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id")


def config_path(path: Path) -> Path:
    """``path`` itself, or ``path/config.json`` when it is a folder."""
    if path.is_dir():
        path = path / "config.json"
    if not path.is_file():
        raise FrontendError("no such config.json (expected a file, or a folder holding config.json)",
                            where=str(path))
    return path


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; FrontendError with line:column when it is not JSON."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FrontendError(f"not valid JSON: {exc.msg}", where=f"{path}:{exc.lineno}:{exc.colno}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FrontendError(f"cannot read the file: {exc}", where=str(path)) from None
    if not isinstance(raw, dict):
        raise FrontendError(f"must hold a JSON object, got {type(raw).__name__}", where=str(path))
    return raw


def model_name(path: Path) -> str:
    """The model's name: the folder's name for ``.../name/config.json``, else the file's stem."""
    return path.parent.name if path.name == "config.json" and path.parent.name else path.stem


def _family(f: _Fields, model_type: str) -> Family:
    """The reader of ``model_type``; refusals for dense, refused and unknown types."""
    if model_type in FAMILIES:
        return FAMILIES[model_type]
    if model_type in DENSE_MODEL_TYPES:
        raise f.fail("model_type", f"'{model_type}' is a dense model: no MoE layers (mozartc maps "
                                   "Mixture-of-Experts models)")
    if model_type in REFUSED_MODEL_TYPES:
        raise f.fail("model_type", f"'{model_type}': {REFUSED_MODEL_TYPES[model_type]}")
    known = sorted(t for t in (*FAMILIES, *NESTED) if t)
    raise f.fail("model_type", f"unknown model_type '{model_type}'; mozartc reads {', '.join(known)} "
                               "(docs/frontend.md)")


def _read(f: _Fields) -> dict[str, Any]:
    """MoEConfig fields of the (possibly nested) config in ``f``."""
    model_type = f.string("model_type", "")
    _refuse_cross_attention(f)
    if model_type in NESTED:
        field, inner_type = NESTED[model_type]
        text = f.obj(field)
        if text is None:
            raise f.fail(field, f"missing: a {model_type} config keeps its text model there")
        inner = text.string("model_type", inner_type, (inner_type,))
        family = FAMILIES[inner]
        _refuse_cross_attention(text)
        values = family.read(text)
        text.check_all_known(family)
        tied = f.flag("tie_word_embeddings", False)  # the top level's, unless the text model has its own
        if not text.has("tie_word_embeddings"):
            values["tie_word_embeddings"] = tied
        if f.has("vision_config"):
            raise f.refuse("vision_config", "the vision encoder is not modelled",
                           f"to capture the text model alone, save the '{field}' object as its own config.json")
        f.allow(*NESTED_HARMLESS)
        f.check_all_known(family)
        return values
    family = _family(f, model_type)
    values = family.read(f)
    f.check_all_known(family)
    return values


def _no_moe_layers(values: dict[str, Any], where: str) -> None:
    """Refuse a config whose interleaving rules leave every layer dense."""
    layers = values.get("num_layers", 0)
    first_k, dense = values.get("first_k_dense", 0), set(values.get("dense_layers", ()))
    if layers and all(i < first_k or i in dense for i in range(layers)):
        raise FrontendError(f"no MoE layers: the interleaving fields leave all {layers} layers dense", where=where)


def config_from_dict(raw: dict[str, Any], name: str, where: str) -> MoEConfig:
    """Read the fields of ``raw`` (see the module docstring) into a :class:`MoEConfig`."""
    values = _read(_Fields(raw, where))
    _no_moe_layers(values, where)
    try:
        return MoEConfig(name=name, source=where, **values)
    except FrontendError as exc:
        raise FrontendError(exc.message, where=where) from None


def load_config(path: str | Path) -> MoEConfig:
    """The :class:`MoEConfig` of a ``config.json`` file or a folder holding one."""
    file = config_path(Path(path))
    return config_from_dict(read_json(file), model_name(file), str(file))
