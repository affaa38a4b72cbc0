"""Small hand-made config.json objects, one per model_type (NOT published configs: made for these tests).

Each uses its family's public field names with tiny sizes, so the reference model runs on CPU in
milliseconds and its parameter count can be worked by hand. PhiMoE's only full-size input is a
reconstructed config (data/configs/SOURCES.md), so its hand-made ``phimoe`` entry here carries the hand count.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

BASE: dict[str, Any] = {"vocab_size": 64, "hidden_size": 16, "num_hidden_layers": 4, "num_attention_heads": 4,
                        "num_key_value_heads": 2}

SMALL: dict[str, dict[str, Any]] = {
    "mixtral": {**BASE, "model_type": "mixtral", "intermediate_size": 12, "num_local_experts": 4,
                "num_experts_per_tok": 2, "sliding_window": 3},
    "qwen2_moe": {**BASE, "model_type": "qwen2_moe", "intermediate_size": 20, "moe_intermediate_size": 8,
                  "num_experts": 4, "num_experts_per_tok": 2, "shared_expert_intermediate_size": 24,
                  "decoder_sparse_step": 2, "mlp_only_layers": [3]},
    "qwen3_moe": {**BASE, "model_type": "qwen3_moe", "head_dim": 8, "intermediate_size": 20,
                  "moe_intermediate_size": 8, "num_experts": 4, "num_experts_per_tok": 2, "norm_topk_prob": True,
                  "shared_expert_intermediate_size": 0},
    "deepseek_v3": {**BASE, "model_type": "deepseek_v3", "num_key_value_heads": 4, "intermediate_size": 20,
                    "moe_intermediate_size": 8, "n_routed_experts": 8, "n_shared_experts": 1,
                    "num_experts_per_tok": 2, "first_k_dense_replace": 1, "moe_layer_freq": 1, "n_group": 4,
                    "topk_group": 2, "topk_method": "noaux_tc", "scoring_func": "sigmoid", "norm_topk_prob": True,
                    "routed_scaling_factor": 2.5, "q_lora_rank": 12, "kv_lora_rank": 8, "qk_nope_head_dim": 4,
                    "qk_rope_head_dim": 2, "v_head_dim": 4, "num_nextn_predict_layers": 1},
    "olmoe": {**BASE, "model_type": "olmoe", "num_key_value_heads": 4, "intermediate_size": 8, "num_experts": 4,
              "num_experts_per_tok": 2},
    "phimoe": {**BASE, "model_type": "phimoe", "intermediate_size": 8, "num_local_experts": 4,
               "num_experts_per_tok": 2, "attention_bias": True, "lm_head_bias": True, "sliding_window": 5,
               "router_jitter_noise": 0.01, "input_jitter_noise": 0.0, "rms_norm_eps": 1e-5},
    "granitemoe": {**BASE, "model_type": "granitemoe", "intermediate_size": 8, "num_local_experts": 4,
                   "num_experts_per_tok": 2, "tie_word_embeddings": True, "embedding_multiplier": 12.0,
                   "residual_multiplier": 0.22, "attention_multiplier": 0.015625, "logits_scaling": 6.0},
    "gpt_oss": {**BASE, "model_type": "gpt_oss", "head_dim": 8, "intermediate_size": 8, "num_local_experts": 4,
                "num_experts_per_tok": 2, "experts_per_token": 2, "sliding_window": 3, "swiglu_limit": 7.0,
                "layer_types": ["sliding_attention", "full_attention"] * 2},
    "glm4_moe": {**BASE, "model_type": "glm4_moe", "head_dim": 8, "intermediate_size": 20,
                 "moe_intermediate_size": 8, "n_routed_experts": 4, "n_shared_experts": 1, "num_experts_per_tok": 2,
                 "first_k_dense_replace": 1, "attention_bias": True, "use_qk_norm": True,
                 "partial_rotary_factor": 0.5, "num_nextn_predict_layers": 1},
    "dbrx": {"model_type": "dbrx", "vocab_size": 64, "d_model": 16, "n_heads": 4, "n_layers": 2,
             "attn_config": {"kv_n_heads": 2, "clip_qkv": 8, "rope_theta": 500000},
             "ffn_config": {"ffn_hidden_size": 8, "moe_num_experts": 4, "moe_top_k": 2}},
    "jamba": {**BASE, "model_type": "jamba", "intermediate_size": 8, "num_experts": 4, "num_experts_per_tok": 2,
              "attn_layer_period": 1, "attn_layer_offset": 0, "expert_layer_period": 2, "expert_layer_offset": 1,
              "mamba_d_state": 16},
    "qwen3_5_moe": {"model_type": "qwen3_5_moe", "tie_word_embeddings": False, "text_config": {
        **BASE, "model_type": "qwen3_5_moe_text", "head_dim": 8, "moe_intermediate_size": 8, "num_experts": 4,
        "num_experts_per_tok": 2, "shared_expert_intermediate_size": 8, "attn_output_gate": True,
        "layer_types": ["full_attention"] * 4, "full_attention_interval": 1,
        "rope_parameters": {"rope_theta": 10000000, "partial_rotary_factor": 0.25}}},
}


def small(model_type: str, **changes: Any) -> dict[str, Any]:
    """A copy of the hand-made config of ``model_type`` with ``changes`` (None deletes a field)."""
    raw = copy.deepcopy(SMALL[model_type])
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


def write_config(folder: Path, raw: dict[str, Any]) -> Path:
    """``folder/config.json`` holding ``raw``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.json"
    path.write_text(json.dumps(raw))
    return path
