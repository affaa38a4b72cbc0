"""Model specs to configs and routing shapes, in plain Python (no torch).

A spec is a preset name or a Hugging Face ``config.json`` (or a folder holding one); ``file.py:factory``
specs name user modules, which only :mod:`mozartc.frontend.api` (torch) can build. Commands that need
a model's shape but not its module (``mozartc traces synth``) resolve it here and never load torch.
"""

from __future__ import annotations

from pathlib import Path

from mozartc.errors import FrontendError
from mozartc.frontend.config import MoEConfig
from mozartc.frontend.presets import PRESETS, get_preset
from mozartc.traces.shape import TraceShape


def is_factory_spec(spec: str) -> bool:
    """True for ``file.py:factory`` specs."""
    path, sep, name = spec.rpartition(":")
    return bool(sep) and path.endswith(".py") and name.isidentifier()


def resolve_config(spec: str) -> MoEConfig:
    """The :class:`MoEConfig` of a preset name or a ``config.json`` path / folder."""
    if spec in PRESETS:
        return get_preset(spec)
    path = Path(spec)
    if path.exists() or spec.endswith(".json") or "/" in spec:
        from mozartc.frontend.hf_config import load_config

        return load_config(path)
    return get_preset(spec)  # raises the unknown-preset error listing the valid names


def shape_of(config: MoEConfig) -> TraceShape:
    """The routing shape of ``config``: its MoE layers, routed experts, top-k and shared experts."""
    return TraceShape(layer_ids=config.moe_layer_indices, num_experts=config.num_experts, top_k=config.top_k,
                      num_shared_experts=config.num_shared_experts, model=config.name)


def trace_shape(spec: str) -> TraceShape:
    """The routing shape of the model ``spec`` (preset name or config.json path / folder)."""
    if is_factory_spec(spec):
        raise FrontendError("a synthetic trace needs a preset or a config.json; a user module "
                            "(file.py:factory) has no config to read its shape from", where=spec)
    return shape_of(resolve_config(spec))
