"""The torch.fx frontend: model spec -> reference (or user) nn.Module -> fx graph -> mozartc IR.

Public API (importing this package does not import torch; the functions do, when called)::

    resolve_config(spec) -> MoEConfig           preset name, or config.json path / folder (no torch)
    trace_shape(spec) -> TraceShape              its routing shape, for the trace generator (no torch)
    build_model(config, device="meta") -> nn.Module
    capture(spec, *, seq_len=SEQ_LEN, micro_batch=MICRO_BATCH, dtype="f16", extra_blocks=None) -> ir.Module
    BlockInfo, MoETracer                         the block-description hook and the fx tracer

See docs/frontend.md for the lowering contract (ops, attributes, FLOPs formulas) and the hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mozartc.defaults import MICRO_BATCH, SEQ_LEN
from mozartc.frontend.config import MoEConfig
from mozartc.frontend.presets import PRESETS, get_preset, preset_names
from mozartc.frontend.resolve import resolve_config, trace_shape

if TYPE_CHECKING:
    from torch import nn

    from mozartc.frontend.blocks import BlockInfo
    from mozartc.frontend.tracer import ExtraBlocks, MoETracer
    from mozartc.ir.core import Module

__all__ = [
    "PRESETS", "BlockInfo", "MoEConfig", "MoETracer", "build_model", "capture", "get_preset",
    "preset_names", "resolve_config", "trace_shape",
]


def build_model(config: MoEConfig, device: str = "meta") -> nn.Module:
    """The reference MoE transformer for ``config`` built on ``device`` (``meta``: shapes only)."""
    from mozartc.frontend.modules import build_reference

    return build_reference(config, device)


def capture(spec: str | nn.Module, *, seq_len: int = SEQ_LEN, micro_batch: int = MICRO_BATCH, dtype: str = "f16",
            extra_blocks: ExtraBlocks | None = None) -> Module:
    """Capture ``spec`` (preset, config.json, ``file.py:factory`` or an nn.Module) into verified IR.

    Raises :class:`mozartc.errors.FrontendError` for any input that cannot be captured.
    """
    from mozartc.frontend.api import capture as _capture

    return _capture(spec, seq_len=seq_len, micro_batch=micro_batch, dtype=dtype, extra_blocks=extra_blocks)


def __getattr__(name: str) -> Any:
    # Loaded on first use: the tracer needs torch, the block hook the IR package (its parser included).
    if name == "MoETracer":
        from mozartc.frontend.tracer import MoETracer

        return MoETracer
    if name == "BlockInfo":
        from mozartc.frontend.blocks import BlockInfo

        return BlockInfo
    raise AttributeError(f"module 'mozartc.frontend' has no attribute {name!r}")
