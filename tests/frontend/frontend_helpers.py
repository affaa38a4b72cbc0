"""Shared helpers for the frontend tests: paths and IR parameter counts."""

from __future__ import annotations

from pathlib import Path

from mozartc.ir import Module

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "examples" / "configs"
FIXTURES = ROOT / "tests" / "frontend" / "data" / "configs"
PAPER_PRESETS = ("qwen3-30b-a3b", "olmoe-1b-7b-0924", "deepseek-moe-16b-base")


def params_total(module: Module) -> int:
    """Sum of ``params`` over all ops."""
    return sum(int(op.attrs.get("params", 0)) for op in module.ops())  # type: ignore[arg-type]


def params_active(module: Module) -> int:
    """Every non-routed-expert param plus ``top_k * expert_params`` per MoE layer."""
    dense = sum(int(op.attrs.get("params", 0)) for op in module.ops() if op.name != "experts")  # type: ignore[arg-type]
    routed = sum(int(op.attrs["top_k"]) * int(op.attrs["expert_params"])  # type: ignore[arg-type]
                 for op in module.ops_named("experts"))
    return dense + routed


def embedding_params(module: Module) -> int:
    """``params`` of the ``embed`` op (the whole table; a tied LM head shares it)."""
    return int(next(module.ops_named("embed")).attrs["params"])  # type: ignore[arg-type]


def head_params(module: Module) -> int:
    """``params`` of the ``lm_head`` op (0 when tied)."""
    return int(next(module.ops_named("lm_head")).attrs["params"])  # type: ignore[arg-type]
