"""Capture of the presets, config.json files and the user example: verified IR with the right counts."""

from __future__ import annotations

import dataclasses

import pytest

from mozartc.frontend import MoEConfig, build_model, capture, get_preset
from mozartc.ir import Ident, Module, parse_module, print_module, verify
from tests.frontend.frontend_helpers import CONFIGS, PAPER_PRESETS, ROOT, params_active, params_total

EXPECTED = {  # paper Table 1: layers, MoE layers, experts, shared, top_k, total params
    "qwen3-30b-a3b": (48, 48, 128, 0, 8, 30.5e9),
    "olmoe-1b-7b-0924": (16, 16, 64, 0, 8, 6.92e9),
    "deepseek-moe-16b-base": (28, 27, 64, 2, 6, 16.4e9),
}


def moe_layers(module: Module) -> int:
    return sum(1 for r in module.layers() if r.attrs["kind"] == Ident("moe"))


@pytest.mark.parametrize("name", [*PAPER_PRESETS, "tiny-moe"])
def test_preset_verifies_and_round_trips(captured: dict[str, Module], name: str) -> None:
    module = captured[name]
    verify(module)
    text = print_module(module)
    assert print_module(parse_module(text)) == text
    assert module.name == name.replace("-", "_")
    assert module.attrs["model"] == name
    assert module.attrs["dtype"] == Ident("f16") and module.attrs["seq_len"] == 256


@pytest.mark.parametrize("name", PAPER_PRESETS)
def test_paper_counts(captured: dict[str, Module], name: str) -> None:
    layers, moe, experts, shared, top_k, total = EXPECTED[name]
    module = captured[name]
    assert len(module.layers()) == layers and moe_layers(module) == moe
    exp = list(module.ops_named("experts"))
    assert {op.attrs["experts"] for op in exp} == {experts}
    assert {op.attrs["top_k"] for op in exp} == {top_k}
    assert {op.attrs["experts"] for op in module.ops_named("shared_experts")} == ({shared} if shared else set())
    assert abs(params_total(module) - total) / total < 0.01


def test_qwen3_active_params(captured: dict[str, Module]) -> None:
    assert abs(params_active(captured["qwen3-30b-a3b"]) - 3.3e9) / 3.3e9 < 0.05


def test_olmoe_active_params(captured: dict[str, Module]) -> None:
    assert abs(params_active(captured["olmoe-1b-7b-0924"]) - 1.3e9) / 1.3e9 < 0.05


def test_counts_are_measured_from_parameters() -> None:
    for name in PAPER_PRESETS:
        model = build_model(get_preset(name))
        assert params_total(capture(name)) == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", PAPER_PRESETS)
def test_config_json_gives_identical_ir(captured: dict[str, Module], name: str) -> None:
    for spec in (CONFIGS / name, CONFIGS / name / "config.json"):
        assert print_module(capture(str(spec))) == print_module(captured[name])


def test_user_module_file_matches_olmoe(captured: dict[str, Module]) -> None:
    mine, ref = capture(f"{ROOT}/examples/my_moe.py:build"), captured["olmoe-1b-7b-0924"]
    assert mine.attrs["model"] == "my_moe"
    assert params_total(mine) == params_total(ref)
    assert params_active(mine) == params_active(ref)
    assert len(mine.layers()) == len(ref.layers()) and moe_layers(mine) == moe_layers(ref)
    for key in ("experts", "top_k", "ffn_dim", "expert_params"):
        assert [op.attrs[key] for op in mine.ops_named("experts")] == [
            op.attrs[key] for op in ref.ops_named("experts")]


def test_module_passed_directly() -> None:
    module = capture(build_model(get_preset("tiny-moe")), seq_len=16, micro_batch=2)
    verify(module)
    assert module.attrs["model"] == "moeforcausallm"
    assert print_module(module).count(" = experts(") == 3


def test_capture_options_and_determinism() -> None:
    a = capture("tiny-moe", seq_len=64, micro_batch=2, dtype="bf16")
    assert print_module(a) == print_module(capture("tiny-moe", seq_len=64, micro_batch=2, dtype="bf16"))
    router = next(a.ops_named("router"))
    assert str(router.result.type) == "routing<128x4>"  # type: ignore[union-attr]
    embed = next(a.ops_named("embed"))
    assert embed.attrs["param_bytes"] == 2 * embed.attrs["params"]  # type: ignore[operator]


def test_value_names_are_readable(captured: dict[str, Module]) -> None:
    names = [op.result.name for op in captured["tiny-moe"].ops() if op.result is not None]
    assert names[:3] == ["tokens", "embed", "l0.norm1"]
    assert {"l1.attn", "l1.router", "l1.experts", "l1.shared", "l1.moe", "l1.res2", "l0.mlp", "logits"} <= set(names)


SMALL = MoEConfig(
    name="hand", vocab_size=32, hidden_size=8, num_layers=2, num_heads=2, num_kv_heads=1, head_dim=4,
    num_experts=4, top_k=2, moe_intermediate_size=6, intermediate_size=10, num_shared_experts=1,
    shared_intermediate_size=6, first_k_dense=1, qk_norm="head",
)


def test_hand_computed_params_and_flops() -> None:
    V, D, H, KV, hd, E, k, F, Fd, S = 32, 8, 2, 1, 4, 4, 2, 6, 10, 16
    attn = D * H * hd + 2 * D * KV * hd + H * hd * D + 2 * hd
    expert = 3 * D * F
    per_layer_norms = 2 * D
    total = V * D + 2 * (per_layer_norms + attn) + 3 * D * Fd + (D * E + E * expert + 3 * D * F) + D + V * D
    module = capture(build_model(SMALL), seq_len=S, micro_batch=1)
    assert params_total(module) == total == 1944
    ops = {op.result.name: op for op in module.ops() if op.result is not None}
    proj = attn - 2 * hd
    assert ops["l0.attn"].attrs["flops_per_token"] == 2 * proj + 4 * S * H * hd + 4 * (H + KV) * hd
    assert ops["l1.experts"].attrs["flops_per_token"] == k * 2 * expert
    assert ops["l1.experts"].attrs["expert_params"] == expert
    assert ops["l1.router"].attrs["flops_per_token"] == 2 * D * E
    assert ops["l1.shared"].attrs["flops_per_token"] == 2 * 3 * D * F
    assert ops["l0.mlp"].attrs["flops_per_token"] == 2 * 3 * D * Fd
    assert ops["l0.norm1"].attrs["flops_per_token"] == 4 * D
    assert ops["l1.res1"].attrs["flops_per_token"] == D
    assert ops["logits"].attrs["flops_per_token"] == 2 * D * V


def test_tied_lm_head_counts_once() -> None:
    tied = dataclasses.replace(SMALL, tie_word_embeddings=True)
    module = capture(build_model(tied), seq_len=16, micro_batch=1)
    head = next(module.ops_named("lm_head"))
    assert head.attrs["tied"] is True and head.attrs["params"] == 0
    assert params_total(module) == 1944 - 32 * 8
