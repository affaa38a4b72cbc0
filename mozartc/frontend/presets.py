"""Built-in model presets: the three paper models (PAPER.md section 8), ``deepseek-v3`` and ``tiny-moe``.

Values follow each model's public ``config.json``; the paper's Table 1 agrees with them. The
``deepseek-v3`` preset equals what ``tests/frontend/data/configs/deepseek-v3/config.json`` reads to.
"""

from __future__ import annotations

from mozartc.errors import FrontendError
from mozartc.frontend.config import MoEConfig

PRESETS: dict[str, MoEConfig] = {
    # Qwen/Qwen3-30B-A3B config.json: 48 layers, 128 experts top-8, moe_intermediate_size 768,
    # 32 query heads / 4 kv heads of head_dim 128, q/k RMSNorm over head_dim, untied embeddings.
    "qwen3-30b-a3b": MoEConfig(
        name="qwen3-30b-a3b", vocab_size=151936, hidden_size=2048, num_layers=48, num_heads=32,
        num_kv_heads=4, head_dim=128, num_experts=128, top_k=8, moe_intermediate_size=768,
        intermediate_size=6144, norm_topk_prob=True, qk_norm="head", rms_norm_eps=1e-6, rope_theta=1000000.0,
    ),
    # allenai/OLMoE-1B-7B-0924 config.json: 16 layers, 64 experts top-8 of size 1024 (its
    # intermediate_size), 16 heads, q/k RMSNorm over the full projection width, untied embeddings.
    "olmoe-1b-7b-0924": MoEConfig(
        name="olmoe-1b-7b-0924", vocab_size=50304, hidden_size=2048, num_layers=16, num_heads=16,
        num_kv_heads=16, head_dim=128, num_experts=64, top_k=8, moe_intermediate_size=1024,
        norm_topk_prob=False, qk_norm="full", rms_norm_eps=1e-5,
    ),
    # deepseek-ai/deepseek-moe-16b-base config.json: 28 layers, first one dense (10944), 64 routed
    # experts top-6 of 1408 plus 2 shared experts of 1408 each, 16 heads, untied embeddings.
    "deepseek-moe-16b-base": MoEConfig(
        name="deepseek-moe-16b-base", vocab_size=102400, hidden_size=2048, num_layers=28, num_heads=16,
        num_kv_heads=16, head_dim=128, num_experts=64, top_k=6, moe_intermediate_size=1408,
        intermediate_size=10944, num_shared_experts=2, shared_intermediate_size=1408, first_k_dense=1,
        norm_topk_prob=False, rms_norm_eps=1e-6,
    ),
    # deepseek-ai/DeepSeek-V3 config.json: 61 layers, the first 3 dense (18432), then 58 MoE layers of
    # 256 routed experts (2048) top-8 plus 1 shared; sigmoid router with e_score_correction_bias,
    # 8 groups of which the best 4 are kept (noaux_tc), weights renormalised and scaled by 2.5;
    # MLA: 128 heads, q_lora 1536, kv_lora 512, qk nope 128 + rope 64, v 128; vocab 129280, untied.
    # Its one multi-token-prediction module (num_nextn_predict_layers) is stated, not built: 671 B is
    # the main model (the card's 685 B on Hugging Face include 14 B of MTP weights).
    "deepseek-v3": MoEConfig(
        name="deepseek-v3", vocab_size=129280, hidden_size=7168, num_layers=61, num_heads=128,
        num_kv_heads=128, head_dim=192, num_experts=256, top_k=8, moe_intermediate_size=2048,
        intermediate_size=18432, num_shared_experts=1, shared_intermediate_size=2048, first_k_dense=3,
        norm_topk_prob=True, rms_norm_eps=1e-6, rope_theta=10000.0, q_lora_rank=1536, kv_lora_rank=512,
        qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128, scoring="sigmoid", score_correction_bias=True,
        n_group=8, topk_group=4, topk_method="noaux_tc", routed_scaling_factor=2.5, mtp_layers=1,
    ),
    # The workhorse of tests and demos: 4 layers, 32 experts top-4, small dims; maps in about a second.
    "tiny-moe": MoEConfig(
        name="tiny-moe", vocab_size=512, hidden_size=64, num_layers=4, num_heads=4, num_kv_heads=2,
        head_dim=16, num_experts=32, top_k=4, moe_intermediate_size=32, intermediate_size=128,
        num_shared_experts=1, shared_intermediate_size=32, first_k_dense=1, norm_topk_prob=True,
    ),
}


def preset_names() -> list[str]:
    """Names of the built-in presets, sorted."""
    return sorted(PRESETS)


def get_preset(name: str) -> MoEConfig:
    """The preset called ``name``; a :class:`FrontendError` listing the valid names otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise FrontendError(
            f"unknown model preset '{name}'; expected one of: {', '.join(preset_names())}, "
            "a path to a config.json (or a folder holding one), or file.py:factory"
        ) from None
