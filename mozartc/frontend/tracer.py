"""The fx tracer that keeps recognised blocks (attention, router, experts, ...) as leaf ops.

:class:`MoETracer` is a ``torch.fx.Tracer`` whose leaves are the modules :func:`find_describer`
recognises (see :mod:`mozartc.frontend.blocks`) plus torch's own leaf modules (``nn.Linear``, ...).
Everything else is traced through, so container modules (a decoder layer, an MoE block that is not
described) become plain fx nodes the lowering can inspect or reject with a clear message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import fx, nn

from mozartc.errors import FrontendError
from mozartc.frontend.blocks import DESCRIBE_METHOD, BlockInfo, DescribeFn
from mozartc.ir.attrs import Attr, Ident

ExtraBlocks = Mapping[type, DescribeFn]


def _describe_embedding(module: nn.Embedding) -> BlockInfo:
    return BlockInfo("embed", {"vocab": module.num_embeddings, "dim": module.embedding_dim})


def _describe_rmsnorm(module: nn.RMSNorm) -> BlockInfo:
    eps = module.eps if module.eps is not None else torch.finfo(torch.float32).eps
    return BlockInfo("rmsnorm", {"dim": int(module.normalized_shape[-1]), "eps": float(eps)})


def _describe_layernorm(module: nn.LayerNorm) -> BlockInfo:
    attrs: dict[str, Attr] = {"dim": int(module.normalized_shape[-1]), "eps": float(module.eps),
                              "variant": Ident("layernorm")}
    if module.bias is not None:
        attrs["bias"] = True
    return BlockInfo("rmsnorm", attrs)


BUILTIN_DESCRIBERS: dict[type, DescribeFn] = {
    nn.Embedding: _describe_embedding,
    nn.RMSNorm: _describe_rmsnorm,
    nn.LayerNorm: _describe_layernorm,
}


def find_describer(module: nn.Module, extra_blocks: ExtraBlocks | None = None) -> DescribeFn | None:
    """The describe function for ``module``: ``extra_blocks`` (by class, base classes included) first,
    then the ``mozartc_describe`` method, then the built-in torch modules; None if unrecognised."""
    for cls in type(module).__mro__:
        if extra_blocks and cls in extra_blocks:
            return extra_blocks[cls]
    method = getattr(module, DESCRIBE_METHOD, None)
    if callable(method):
        return lambda _m: method()
    for cls in type(module).__mro__:
        if cls in BUILTIN_DESCRIBERS:
            return BUILTIN_DESCRIBERS[cls]
    return None


class MoETracer(fx.Tracer):
    """An fx tracer whose leaves are the recognised blocks (and torch's built-in leaf modules)."""

    def __init__(self, extra_blocks: ExtraBlocks | None = None) -> None:
        super().__init__()
        self.extra_blocks: dict[type, DescribeFn] = dict(extra_blocks or {})

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if find_describer(m, self.extra_blocks) is not None:
            return True
        return super().is_leaf_module(m, module_qualified_name)

    def current_path(self) -> str:
        """Path of the module being traced right now ('' for the root)."""
        stack: Mapping[str, Any] = getattr(self, "module_stack", {}) or {}
        if not stack:
            return ""
        qualname, _cls = list(stack.values())[-1]
        return str(qualname)


def trace(root: nn.Module, where: str, extra_blocks: ExtraBlocks | None = None) -> fx.Graph:
    """Trace ``root`` with :class:`MoETracer`.

    A failure inside a module's ``forward`` (e.g. data-dependent control flow in an unrecognised MoE
    block) becomes a :class:`FrontendError` naming that module's path and the hook to use.
    """
    tracer = MoETracer(extra_blocks)
    try:
        return tracer.trace(root)
    except FrontendError:
        raise
    except Exception as exc:
        path = tracer.current_path() or type(root).__name__
        raise FrontendError(
            f"{path}: torch.fx cannot trace this module ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}); if it is an MoE block, give its "
            "class a mozartc_describe() method returning BlockInfo (see docs/frontend.md) or pass "
            "extra_blocks={ItsClass: describe_fn} so it is kept as one leaf",
            where=where,
        ) from None
