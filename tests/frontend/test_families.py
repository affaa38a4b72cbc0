"""Coverage by model_type: every published fixture against its published counts, every refusal by name,
the interleaving rules, nested configs, and each family's hand-made config counted by hand."""

from __future__ import annotations

import fnmatch
import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch

from mozartc.errors import FrontendError
from mozartc.frontend import build_model, capture, get_preset, resolve_config
from mozartc.frontend.hf_config import config_from_dict
from mozartc.frontend.hf_families import FAMILIES
from mozartc.frontend.hf_fields import COMMON_HARMLESS, Fields
from mozartc.frontend.hf_shared import REFUSED_COMMON
from mozartc.frontend.modules_attention import attend
from mozartc.frontend.modules_moe import TopKRouter
from mozartc.ir import Module, parse_module, print_module, verify
from tests.conftest import CliResult
from tests.frontend.family_configs import SMALL, small, write_config
from tests.frontend.frontend_helpers import FIXTURES, embedding_params, head_params, params_active, params_total

# ---- published counts -----------------------------------------------------------------------------
# fixture: published total (as written in data/configs/SOURCES.md), published active, and the
# accounting of active parameters that reproduces the published figure:
#   "all":          mozartc's params_active (every parameter one token touches, the embedding table too)
#   "no-embedding": without the input embedding table (a token reads one row of it)
#   "no-embedding-head": without the embedding table and the LM head
# Measured (seq_len 256, f16): total, and active in that accounting.
PUBLISHED: dict[str, tuple[str, str, str]] = {
    "mixtral-8x7b": ("46.7e9", "12.9e9", "all"),                  # 46,702,792,704 / 12,879,925,248
    "qwen1.5-moe-a2.7b": ("14.3e9", "2.7e9", "all"),              # 14,315,784,192 / 2,689,173,504
    "qwen3-235b-a22b": ("235e9", "22e9", "all"),                  # 235,093,634,560 / 22,190,763,520
    "qwen3-coder-480b": ("480e9", "35e9", "all"),                 # 480,154,875,392 / 35,474,765,312
    "deepseek-v2-lite": ("15.7e9", "2.4e9", "none"),              # 15,706,484,224 / see ACTIVE_UNMATCHED
    "deepseek-v2": ("236e9", "21e9", "all"),                      # 235,741,434,880 / 21,375,800,320
    "deepseek-v3": ("671e9", "37e9", "all"),                      # 671,026,419,200 / 37,552,297,472
    "olmoe-1b-7b-0924": ("6.9e9", "1.3e9", "all"),                # 6,919,161,856 / 1,282,017,280
    "granite-3.0-3b-a800m": ("3.3e9", "800e6", "no-embedding"),   # 3,298,788,864 / 807,372,288
    "granite-3.0-1b-a400m": ("1.3e9", "400e6", "no-embedding"),   # 1,334,625,280 / 378,323,968
    "gpt-oss-20b": ("21e9", "3.6e9", "no-embedding"),             # 20,914,757,184 / 3,608,307,264
    "gpt-oss-120b": ("117e9", "5.1e9", "no-embedding"),           # 116,829,156,672 / 5,132,849,472
    "dbrx": ("132e9", "36e9", "all"),                             # 131,596,523,520 / 36,469,708,800
    "glm-4.5-air": ("106e9", "12e9", "no-embedding-head"),        # 106,852,251,264 / 12,182,615,680
    "phi-3.5-moe-instruct": ("41.873e9", "6.6e9", "all"),         # 41,873,153,344 / 6,640,999,744 (reconstructed)
}
# More precise published totals where a source gives one (HF safetensors counts, SOURCES.md).
PRECISE_TOTAL = {"gpt-oss-20b": 20.9e9, "gpt-oss-120b": 116.8e9}
# DeepSeek-V2-Lite's "2.4B activated" is reproduced by no accounting within its rounding: measured
# 2,661,150,208 (all, +10.9%), 2,451,435,008 (no embedding, +2.1%), 2,241,719,808 (neither, -6.6%).
ACTIVE_UNMATCHED = {"deepseek-v2-lite"}

# fixture: (field named in the error, what the message says)
REFUSED = {
    "jamba-v0.1": ("attn_layer_period", "Mamba layers are not modelled"),
    "qwen3-next-80b-a3b": ("full_attention_interval", "linear attention is not modelled"),
    "qwen3.5-35b-a3b": ("text_config.layer_types", "linear attention is not modelled"),
    "llama-3.1-8b": ("model_type", "no MoE layers"),
}


def tolerance(published: str) -> float:
    """2% of the published figure, or half a unit of its last significant digit if that is more (the
    figure is a rounding: "1.3e9" stands for [1.25e9, 1.35e9); trailing zeros of "400e6" are not
    significant)."""
    mantissa, _, exponent = published.partition("e")
    if "." in mantissa:
        unit = 10.0 ** -len(mantissa.split(".")[1])
    else:
        unit = 10.0 ** (len(mantissa) - len(mantissa.rstrip("0")))
    value = float(published)
    return max(0.02 * value, 0.5 * unit * 10.0 ** int(exponent or 0))


def test_tolerance_rule() -> None:
    assert tolerance("46.7e9") == pytest.approx(0.02 * 46.7e9)
    assert tolerance("1.3e9") == pytest.approx(0.05e9)
    assert tolerance("400e6") == pytest.approx(50e6)
    assert tolerance("480e9") == pytest.approx(0.02 * 480e9)


@pytest.fixture(scope="module")
def fixtures_ir() -> dict[str, Module]:
    return {name: capture(str(FIXTURES / name)) for name in PUBLISHED}


def test_every_fixture_is_classified() -> None:
    folders = {p.name for p in FIXTURES.iterdir() if (p / "config.json").is_file()}
    assert folders == set(PUBLISHED) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_total(fixtures_ir: dict[str, Module], name: str) -> None:
    module = fixtures_ir[name]
    verify(module)
    total = params_total(module)
    published = PUBLISHED[name][0]
    assert abs(total - float(published)) <= tolerance(published), (name, total)
    if name in PRECISE_TOTAL:
        assert abs(total - PRECISE_TOTAL[name]) / PRECISE_TOTAL[name] < 0.002


def active_in(module: Module, accounting: str) -> int:
    active = params_active(module)
    if accounting in ("no-embedding", "no-embedding-head"):
        active -= embedding_params(module)
    if accounting == "no-embedding-head":
        active -= head_params(module)
    return active


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_active(fixtures_ir: dict[str, Module], name: str) -> None:
    _, published, accounting = PUBLISHED[name]
    module = fixtures_ir[name]
    if name in ACTIVE_UNMATCHED:
        for way in ("all", "no-embedding", "no-embedding-head"):
            assert abs(active_in(module, way) - float(published)) > tolerance(published)
        return
    active = active_in(module, accounting)
    assert abs(active - float(published)) <= tolerance(published), (name, active)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_fixture_names_the_field(name: str) -> None:
    field, what = REFUSED[name]
    with pytest.raises(FrontendError) as err:
        capture(str(FIXTURES / name))
    assert err.value.where == str(FIXTURES / name / "config.json")
    assert f"field '{field}'" in err.value.message and what in err.value.message


@pytest.mark.parametrize(("name", "message"), [("llama-3.1-8b", "no MoE layers"),
                                               ("jamba-v0.1", "Mamba layers are not modelled")])
def test_cli_exits_2_on_refused_models(cli: Any, name: str, message: str) -> None:
    result: CliResult = cli("compile", FIXTURES / name, "--emit", "ir")
    assert result.code == 2 and message in result.err and "config.json" in result.err
    assert "Traceback" not in result.err


def test_capture_of_every_fixture_is_fast_and_round_trips(fixtures_ir: dict[str, Module]) -> None:
    for module in fixtures_ir.values():
        text = print_module(module)
        assert print_module(parse_module(text)) == text


# ---- the field lists are what the readers read ----------------------------------------------------


def _declared(name: str, entries: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, e) or e.startswith(name + ".") for e in entries)


def _fields_read(raw: dict[str, Any], model_type: str) -> set[str]:
    fields = Fields(raw, "x.json")
    FAMILIES[model_type].read(fields)
    return fields.seen & set(raw)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_fixture_fields_are_declared(name: str) -> None:
    raw = json.loads((FIXTURES / name / "config.json").read_text())
    family = FAMILIES[raw["model_type"]]
    declared = (*family.modelled, *family.refused, *family.harmless, *REFUSED_COMMON, "model_type")
    read = _fields_read(raw, raw["model_type"])
    assert {n for n in read if not _declared(n, declared)} == set()
    unread = {n for n in raw if n not in read and n not in COMMON_HARMLESS and not _declared(n, family.harmless)}
    assert unread <= {"model_type"}


@pytest.mark.parametrize("model_type", sorted(t for t in SMALL if t != "qwen3_5_moe"))
def test_small_config_fields_are_declared(model_type: str) -> None:
    family = FAMILIES[model_type]
    declared = (*family.modelled, *family.refused, *family.harmless, *REFUSED_COMMON, "model_type")
    assert {n for n in _fields_read(small(model_type), model_type) if not _declared(n, declared)} == set()


# ---- DeepSeek-V3: the preset equals the fixture; MTP stated, not counted ---------------------------


def test_deepseek_v3_preset_equals_fixture(fixtures_ir: dict[str, Module]) -> None:
    assert resolve_config(str(FIXTURES / "deepseek-v3")) == get_preset("deepseek-v3")
    preset = capture("deepseek-v3")
    fixture = fixtures_ir["deepseek-v3"]
    assert print_module(preset) == print_module(fixture)
    assert params_total(preset) == 671_026_419_200 and params_active(preset) == 37_552_297_472
    layers = preset.layers()
    assert len(layers) == 61 and sum(r.attrs["kind"] == "moe" for r in layers) == 58
    router = next(preset.ops_named("router"))
    assert (router.attrs["experts"], router.attrs["top_k"], router.attrs["n_group"], router.attrs["topk_group"]) == (
        256, 8, 8, 4)
    assert router.attrs["score_bias"] is True and router.attrs["params"] == 256 * 7168 + 256
    assert {op.attrs["experts"] for op in preset.ops_named("shared_experts")} == {1}
    attn = next(preset.ops_named("attention"))
    d, h, ql, kvl = 7168, 128, 1536, 512
    assert attn.attrs["params"] == (d * ql + ql + ql * h * 192 + d * (kvl + 64) + kvl + kvl * h * 256 + h * 128 * d)
    # one multi-token-prediction module is stated, and in no op: the count is the 671 B main model
    assert preset.attrs["mtp_layers"] == 1 and params_total(preset) < 672e9


def test_glm_mtp_stated(fixtures_ir: dict[str, Module]) -> None:
    module = fixtures_ir["glm-4.5-air"]
    assert module.attrs["mtp_layers"] == 1 and len(module.layers()) == 46


# ---- interleaving rules on hand-made configs -------------------------------------------------------


def moe_layers(raw: dict[str, Any]) -> tuple[int, ...]:
    return config_from_dict(raw, "hand", "hand.json").moe_layer_indices


def test_decoder_sparse_step_and_mlp_only_layers() -> None:
    base = small("qwen2_moe", num_hidden_layers=8, mlp_only_layers=[], decoder_sparse_step=1)
    assert moe_layers(base) == (0, 1, 2, 3, 4, 5, 6, 7)
    assert moe_layers({**base, "decoder_sparse_step": 2}) == (1, 3, 5, 7)  # MoE iff (i+1) % 2 == 0
    assert moe_layers({**base, "decoder_sparse_step": 3}) == (2, 5)
    assert moe_layers({**base, "decoder_sparse_step": 2, "mlp_only_layers": [3, 6]}) == (1, 5, 7)


def test_first_k_dense_replace_and_moe_layer_freq() -> None:
    base = small("deepseek_v3", num_hidden_layers=8, first_k_dense_replace=0, moe_layer_freq=1)
    assert moe_layers(base) == (0, 1, 2, 3, 4, 5, 6, 7)
    assert moe_layers({**base, "first_k_dense_replace": 3}) == (3, 4, 5, 6, 7)
    assert moe_layers({**base, "first_k_dense_replace": 1, "moe_layer_freq": 2}) == (2, 4, 6)  # i % 2 == 0
    assert moe_layers({**base, "first_k_dense_replace": 2, "moe_layer_freq": 3}) == (3, 6)
    glm = small("glm4_moe", num_hidden_layers=5, first_k_dense_replace=2)
    assert moe_layers(glm) == (2, 3, 4)


def test_expert_layer_period_and_offset() -> None:
    jamba = small("jamba", num_hidden_layers=8, expert_layer_period=2, expert_layer_offset=1)
    assert moe_layers(jamba) == (1, 3, 5, 7)  # as Jamba-v0.1: MoE every other layer from layer 1
    assert moe_layers({**jamba, "expert_layer_period": 3, "expert_layer_offset": 0}) == (0, 3, 6)
    assert moe_layers({**jamba, "expert_layer_period": 4, "expert_layer_offset": 2}) == (2, 6)
    generic = {**BASE_GENERIC, "num_hidden_layers": 6, "expert_layer_period": 3, "expert_layer_offset": 2}
    assert moe_layers(generic) == (2, 5)
    with pytest.raises(FrontendError, match="expert_layer_offset"):
        moe_layers({**jamba, "expert_layer_offset": 2})


BASE_GENERIC: dict[str, Any] = {"vocab_size": 64, "hidden_size": 16, "num_hidden_layers": 4,
                                "num_attention_heads": 4, "num_local_experts": 4, "num_experts_per_tok": 2,
                                "moe_intermediate_size": 8, "intermediate_size": 20}


def test_no_moe_layers_is_refused() -> None:
    with pytest.raises(FrontendError, match="no MoE layers"):
        moe_layers(small("qwen2_moe", mlp_only_layers=[0, 1, 2, 3]))
    with pytest.raises(FrontendError, match="no MoE layers"):
        moe_layers(small("deepseek_v3", first_k_dense_replace=4))
    with pytest.raises(FrontendError, match=r"'num_experts'.*no MoE layers"):
        moe_layers(small("qwen3_moe", num_experts=0))


# ---- shared experts, nested configs -----------------------------------------------------------------


def test_shared_expert_intermediate_size_zero_means_none() -> None:
    assert config_from_dict(small("qwen3_moe"), "h", "h.json").num_shared_experts == 0
    no_shared = small("qwen2_moe", shared_expert_intermediate_size=0)
    assert config_from_dict(no_shared, "h", "h.json").num_shared_experts == 0
    module = capture(str(FIXTURES / "qwen3-coder-480b"), seq_len=16, micro_batch=1)
    assert not list(module.ops_named("shared_experts"))
    with pytest.raises(FrontendError, match=r"'shared_expert_intermediate_size'.*no shared expert"):
        config_from_dict(small("qwen3_moe", shared_expert_intermediate_size=8), "h", "h.json")


def test_nested_text_config_is_read(tmp_path: Path) -> None:
    raw = small("qwen3_5_moe")
    module = capture(str(write_config(tmp_path / "q35", raw)), seq_len=8, micro_batch=1)
    attn = next(module.ops_named("attention"))
    # gated attention: q_proj gives query and gate (2*H*hd), q/k norm over head_dim, rotary on 0.25 of 8 dims
    D, H, KV, hd, V, E, F = 16, 4, 2, 8, 64, 4, 8
    assert attn.attrs["params"] == D * 2 * H * hd + 2 * D * KV * hd + H * hd * D + 2 * hd
    assert attn.attrs["output_gate"] is True and attn.attrs["rotary_dim"] == 2
    shared = next(module.ops_named("shared_experts"))
    assert shared.attrs["gated"] is True and shared.attrs["params"] == 3 * D * F + D
    layer = 2 * D + attn.attrs["params"] + D * E + E * 3 * D * F + 3 * D * F + D  # type: ignore[operator]
    assert params_total(module) == 2 * V * D + 4 * layer + D
    # the nested object's own problems are named with their path
    bad = small("qwen3_5_moe")
    bad["text_config"]["num_experts_per_tok"] = "two"
    with pytest.raises(FrontendError, match=r"field 'text_config\.num_experts_per_tok'"):
        config_from_dict(bad, "h", "h.json")
    with pytest.raises(FrontendError, match="'vision_config': the vision encoder is not modelled"):
        config_from_dict({**small("qwen3_5_moe"), "vision_config": {"depth": 2}}, "h", "h.json")


# ---- other refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "field", "message"), [
    ({**SMALL["olmoe"], "model_type": "olmoe_v9"}, "model_type", "unknown model_type 'olmoe_v9'"),
    ({**SMALL["olmoe"], "model_type": "mamba2"}, "model_type", "Mamba layers are not modelled"),
    ({**SMALL["mixtral"], "cross_attention_layers": [1, 3]}, "cross_attention_layers",
     "cross-attention layers are not modelled"),
    ({**SMALL["mixtral"], "is_encoder_decoder": True}, "is_encoder_decoder", "cross-attention is not modelled"),
    ({**SMALL["mixtral"], "hidden_act": "gelu"}, "hidden_act", "'gelu' FFNs are not modelled"),
    ({**SMALL["mixtral"], "num_local_expert": 8}, "num_local_expert", "did you mean 'num_local_experts'"),
    ({**SMALL["olmoe"], "shared_expert_intermediate_size": 8}, "shared_expert_intermediate_size",
     "not a known field of OLMoE configs"),
    ({**SMALL["deepseek_v3"], "attention_bias": True}, "attention_bias", "MLA with biases is not modelled"),
    ({**SMALL["deepseek_v3"], "topk_method": "random"}, "topk_method", "'random' is not modelled"),
    ({**SMALL["jamba"], "attn_layer_period": 2}, "attn_layer_period", "Mamba layers are not modelled"),
    ({**SMALL["gpt_oss"], "layer_types": ["chunked_attention"] * 4}, "layer_types", "'chunked_attention'"),
    ({**SMALL["qwen3_moe"], "use_qk_norm": False}, "use_qk_norm", "not modelled"),
    ({**SMALL["phimoe"], "num_experts_per_tok": 3}, "", "sparsemixer routing selects exactly 2 experts"),
    ({**SMALL["dbrx"], "ffn_config": {**SMALL["dbrx"]["ffn_config"], "ffn_act_fn": {"name": "gelu"}}},
     "ffn_config.ffn_act_fn.name", "'gelu' FFNs are not modelled"),
    ({**SMALL["dbrx"], "attn_config": {**SMALL["dbrx"]["attn_config"], "alibi": True}}, "attn_config.alibi",
     "not a known field of DBRX configs"),
])
def test_refusals_name_the_field(tmp_path: Path, raw: dict[str, Any], field: str, message: str) -> None:
    path = write_config(tmp_path / "m", raw)
    with pytest.raises(FrontendError) as err:
        capture(str(path))
    assert err.value.where == str(path)
    assert message in err.value.message
    if field:
        assert err.value.message.startswith(f"field '{field}'")


def test_unknown_field_is_refused_with_a_hint(tmp_path: Path) -> None:
    raw = {**SMALL["qwen2_moe"], "shared_expert_intermediate": 24}
    with pytest.raises(FrontendError, match="did you mean 'shared_expert_intermediate_size'"):
        capture(str(write_config(tmp_path / "m", raw)))


# ---- every family: hand counts, FLOPs, a real CPU forward --------------------------------------------

V, D, H, KV = 64, 16, 4, 2


def counts(model_type: str, seq_len: int = 8) -> tuple[Module, dict[str, Any]]:
    raw = SMALL[model_type]
    module = capture(build_model(config_from_dict(raw, model_type, "hand.json")), seq_len=seq_len, micro_batch=1)
    ops = {op.result.name: op for op in module.ops() if op.result is not None}
    return module, ops


def test_phimoe_hand_made_config() -> None:
    """PhiMoE, hand-worked on a tiny config (the reconstructed Phi-3.5-MoE fixture checks the full size)."""
    module, ops = counts("phimoe")
    hd, F, E = 4, 8, 4
    attn = (D * H * hd + H * hd) + 2 * (D * KV * hd + KV * hd) + (H * hd * D + D)  # q/k/v/o all biased
    assert ops["l0.attn"].attrs["params"] == attn
    assert ops["l0.norm1"].attrs["params"] == 2 * D and ops["l0.norm1"].attrs["variant"] == "layernorm"
    assert ops["l0.norm1"].attrs["flops_per_token"] == 7 * D
    assert ops["logits"].attrs["params"] == V * D + V and ops["logits"].attrs["bias"] is True
    assert ops["logits"].attrs["flops_per_token"] == 2 * D * V + V
    assert ops["l0.router"].attrs["scoring"] == "sparsemixer"
    layer = 2 * 2 * D + attn + D * E + E * 3 * D * F
    assert params_total(module) == V * D + 4 * layer + 2 * D + V * D + V == 12064
    assert ops["l0.attn"].attrs["sliding_window"] == 5  # PhiMoE's window applies to every layer


def test_gpt_oss_sinks_biases_and_windows() -> None:
    module, ops = counts("gpt_oss", seq_len=8)
    hd, F, E, k, S, W = 8, 8, 4, 2, 8, 3
    proj = D * H * hd + 2 * D * KV * hd + H * hd * D
    vec = H * hd + 2 * KV * hd + D + H  # q/k/v/o biases and one sink per head
    assert ops["l0.attn"].attrs["params"] == proj + vec
    assert ops["l0.attn"].attrs["sinks"] is True and ops["l0.attn"].attrs["sliding_window"] == W
    assert "sliding_window" not in ops["l1.attn"].attrs
    assert ops["l0.attn"].attrs["flops_per_token"] == 2 * proj + vec + 4 * W * H * hd  # min(S, W) keys
    assert ops["l1.attn"].attrs["flops_per_token"] == 2 * proj + vec + 4 * S * H * hd
    expert = 3 * D * F + 2 * F + D
    assert ops["l0.experts"].attrs["expert_params"] == expert
    assert ops["l0.experts"].attrs["flops_per_token"] == k * (2 * 3 * D * F + 2 * F + D)
    assert ops["l0.router"].attrs["params"] == D * E + E and ops["l0.router"].attrs["flops_per_token"] == 2 * D * E + E
    # a window longer than the sequence changes nothing
    short, short_ops = counts("gpt_oss", seq_len=2)
    assert short_ops["l0.attn"].attrs["flops_per_token"] == short_ops["l1.attn"].attrs["flops_per_token"]
    assert params_total(module) == params_total(short) == 15600


def test_dbrx_fused_qkv_and_layernorm_without_bias() -> None:
    module, ops = counts("dbrx")
    hd, F, E = 4, 8, 4
    assert ops["l0.attn"].attrs["fused_qkv"] is True
    assert ops["l0.attn"].attrs["params"] == D * (H + 2 * KV) * hd + H * hd * D
    assert ops["l0.norm1"].attrs["params"] == D and "bias" not in ops["l0.norm1"].attrs
    assert ops["l0.norm1"].attrs["flops_per_token"] == 6 * D
    layer = 2 * D + D * (H + 2 * KV) * hd + H * hd * D + D * E + E * 3 * D * F
    assert params_total(module) == 2 * V * D + 2 * layer + D


def test_qwen2_moe_gated_shared_expert_and_qkv_bias() -> None:
    _, ops = counts("qwen2_moe")
    hd = D // H
    assert ops["l1.shared"].attrs["params"] == 3 * D * 24 + D and ops["l1.shared"].attrs["gated"] is True
    assert ops["l1.attn"].attrs["params"] == D * H * hd + 2 * D * KV * hd + H * hd * D + (H + 2 * KV) * hd
    assert ops["l1.attn"].attrs["qkv_bias"] is True and "o_bias" not in ops["l1.attn"].attrs
    assert ops["l0.mlp"].attrs["ffn_dim"] == 20


def test_glm_bias_qk_norm_partial_rotary_and_router() -> None:
    module, ops = counts("glm4_moe")
    hd, E = 8, 4
    assert ops["l0.attn"].attrs["params"] == D * H * hd + 2 * D * KV * hd + H * hd * D + (H + 2 * KV) * hd + 2 * hd
    assert ops["l0.attn"].attrs["rotary_dim"] == 4 and ops["l0.attn"].attrs["qk_norm"] == "head"
    assert ops["l1.router"].attrs["params"] == D * E + E and ops["l1.router"].attrs["scoring"] == "sigmoid"
    assert module.attrs["mtp_layers"] == 1


def test_granite_multipliers_change_no_size() -> None:
    raw = SMALL["granitemoe"]
    plain = {k: v for k, v in raw.items() if not k.endswith(("multiplier", "scaling"))}
    a = capture(build_model(config_from_dict(raw, "g", "g.json")), seq_len=4, micro_batch=1)
    b = capture(build_model(config_from_dict(plain, "g", "g.json")), seq_len=4, micro_batch=1)
    assert print_module(a) == print_module(b)
    assert next(a.ops_named("lm_head")).attrs["tied"] is True


@pytest.mark.parametrize("model_type", sorted(SMALL))
def test_every_family_runs_on_cpu_and_its_counts_are_measured(model_type: str) -> None:
    torch.manual_seed(0)
    raw = SMALL[model_type]
    cfg = config_from_dict(raw, model_type, "hand.json")
    model = build_model(cfg, device="cpu")
    with torch.no_grad():
        logits = model(torch.randint(0, cfg.vocab_size, (2, 7)))
    assert logits.shape == (2, 7, cfg.vocab_size) and torch.isfinite(logits).all()
    module = capture(build_model(cfg), seq_len=8, micro_batch=1)
    verify(module)
    assert params_total(module) == sum(p.numel() for p in model.parameters())


# ---- routing and attention variants compute what they say --------------------------------------------


def test_grouped_routing_keeps_topk_group_groups() -> None:
    torch.manual_seed(3)
    cfg = config_from_dict(SMALL["deepseek_v3"], "ds", "ds.json")
    router = TopKRouter(D, cfg.num_experts, cfg.top_k, cfg.norm_topk_prob, cfg)
    with torch.no_grad():
        router.e_score_correction_bias.copy_(torch.linspace(-0.5, 0.5, cfg.num_experts))  # type: ignore[union-attr]
        weights, ids = router(torch.randn(50, D))
    groups = ids // (cfg.num_experts // cfg.n_group)
    assert all(len(set(row.tolist())) <= cfg.topk_group for row in groups)
    assert torch.allclose(weights.sum(-1), torch.full((50,), cfg.routed_scaling_factor), atol=1e-5)


def test_sparsemixer_picks_two_distinct_experts() -> None:
    torch.manual_seed(4)
    cfg = config_from_dict(SMALL["phimoe"], "phi", "phi.json")
    router = TopKRouter(D, cfg.num_experts, cfg.top_k, cfg.norm_topk_prob, cfg)
    logits = torch.randn(40, D)
    with torch.no_grad():
        weights, ids = router(logits)
        raw = logits @ router.weight.T
    assert ids.shape == (40, 2) and bool((ids[:, 0] != ids[:, 1]).all())
    assert bool((ids[:, 0] == raw.argmax(-1)).all())
    assert bool(((weights > 0) & (weights <= 1)).all())


def test_attend_window_and_sinks_match_a_direct_softmax() -> None:
    torch.manual_seed(5)
    q, k, v = (torch.randn(1, 2, 6, 4) for _ in range(3))
    sinks = torch.tensor([0.5, -1.0])
    out = attend(q, k, v, 0.5, window=3, sinks=sinks)
    for h in range(2):
        for i in range(6):
            keys = [j for j in range(6) if i - 3 < j <= i]
            logits = torch.stack([(q[0, h, i] * k[0, h, j]).sum() * 0.5 for j in keys])
            p = torch.exp(logits) / (torch.exp(logits).sum() + math.exp(float(sinks[h])))
            want = sum(p[n] * v[0, h, j] for n, j in enumerate(keys))
            assert torch.allclose(out[0, h, i], want, atol=1e-5)
    plain = attend(q, k, v, 0.5)
    assert torch.allclose(plain, torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.5))


# ---- the docs and the shipped example --------------------------------------------------------------


def test_docs_list_every_family_and_fixture() -> None:
    text = (FIXTURES.parents[3] / "docs" / "frontend.md").read_text()
    for model_type in FAMILIES:
        if model_type and model_type != "qwen3_5_moe_text":
            assert f"| `{model_type}`" in text, model_type
    for name in (*PUBLISHED, *REFUSED):
        assert f"| {name} |" in text, name


def test_shipped_deepseek_v3_config_gives_the_preset(fixtures_ir: dict[str, Module]) -> None:
    from mozartc.ir.summary import summarize
    from tests.frontend.frontend_helpers import CONFIGS

    module = capture(str(CONFIGS / "deepseek-v3"))
    assert print_module(module) == print_module(fixtures_ir["deepseek-v3"])
    assert summarize(module).mtp_layers == 1
