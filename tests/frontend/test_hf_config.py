"""config.json reading: the shipped configs equal the presets; DeepSeek-V2 MLA and Qwen sparse steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mozartc.frontend import capture, get_preset, resolve_config
from tests.frontend.frontend_helpers import CONFIGS, PAPER_PRESETS, params_active, params_total

V2_LITE = {
    "model_type": "deepseek_v2", "vocab_size": 102400, "hidden_size": 2048, "intermediate_size": 10944,
    "moe_intermediate_size": 1408, "num_hidden_layers": 27, "num_attention_heads": 16,
    "num_key_value_heads": 16, "n_shared_experts": 2, "n_routed_experts": 64, "num_experts_per_tok": 6,
    "first_k_dense_replace": 1, "moe_layer_freq": 1, "q_lora_rank": None, "kv_lora_rank": 512,
    "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "tie_word_embeddings": False,
}


@pytest.mark.parametrize("name", PAPER_PRESETS)
def test_shipped_configs_equal_presets(name: str) -> None:
    cfg = resolve_config(str(CONFIGS / name))
    assert cfg == get_preset(name) and cfg.source.endswith("config.json")


def test_deepseek_v2_lite_mla(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(V2_LITE))
    module = capture(str(tmp_path))
    attn = next(module.ops_named("attention"))
    # q_proj 2048x3072, kv_a 2048x576, kv_a_norm 512, kv_b 512x4096, o 2048x2048
    assert attn.attrs["params"] == 2048 * 3072 + 2048 * 576 + 512 + 512 * 4096 + 2048 * 2048
    assert attn.attrs["variant"] == "mla"
    assert abs(params_total(module) - 15.7e9) / 15.7e9 < 0.01  # public: 15.7B
    assert params_active(module) < 3e9


def test_qwen_sparse_step_and_mlp_only(tmp_path: Path) -> None:
    raw = json.loads((CONFIGS / "qwen3-30b-a3b" / "config.json").read_text())
    raw.update(num_hidden_layers=4, decoder_sparse_step=2, mlp_only_layers=[3])
    (tmp_path / "config.json").write_text(json.dumps(raw))
    cfg = resolve_config(str(tmp_path / "config.json"))
    assert cfg.moe_layer_indices == (1,) and cfg.dense_layers == (0, 2, 3)
    assert cfg.name == tmp_path.name


def test_generic_model_type(tmp_path: Path) -> None:
    raw = {"vocab_size": 100, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
           "num_local_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 8}
    (tmp_path / "x.json").write_text(json.dumps(raw))
    cfg = resolve_config(str(tmp_path / "x.json"))
    assert (cfg.num_experts, cfg.head_dim, cfg.num_kv_heads, cfg.name) == (4, 8, 2, "x")
