"""The torch.fx frontend: model spec -> reference (or user) nn.Module -> fx graph -> mozartc IR.

Public API (importing this package does not import torch; the functions do, when called)::

    resolve_config(spec) -> MoEConfig           preset name, or config.json path / folder
    build_model(config, device="meta") -> nn.Module
    capture(spec, *, seq_len=SEQ_LEN, micro_batch=MICRO_BATCH, dtype="f16", extra_blocks=None) -> ir.Module
    BlockInfo, MoETracer                         the block-description hook and the fx tracer

See docs/frontend.md for the lowering contract (ops, attributes, FLOPs formulas) and the hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mozartc.defaults import MICRO_BATCH, SEQ_LEN
from mozartc.frontend.blocks import BlockInfo
from mozartc.frontend.config import MoEConfig
from mozartc.frontend.presets import PRESETS, get_preset, preset_names

if TYPE_CHECKING:
    from torch import nn

    from mozartc.frontend.tracer import ExtraBlocks, MoETracer
    from mozartc.ir.core import Module

__all__ = [
    "PRESETS", "BlockInfo", "MoEConfig", "MoETracer", "build_model", "capture", "get_preset",
    "preset_names", "resolve_config",
]


def resolve_config(spec: str) -> MoEConfig:
    """The :class:`MoEConfig` named by ``spec``: a preset name or a ``config.json`` path / folder."""
    from mozartc.frontend.api import resolve_config as _resolve

    return _resolve(spec)


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
    if name == "MoETracer":
        from mozartc.frontend.tracer import MoETracer

        return MoETracer
    raise AttributeError(f"module 'mozartc.frontend' has no attribute {name!r}")
