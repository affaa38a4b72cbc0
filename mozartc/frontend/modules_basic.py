"""The small leaf modules of the reference model: RMSNorm, LayerNorm, token embedding, LM head.

Each defines ``mozartc_describe()`` (see :mod:`mozartc.frontend.blocks`); :data:`INIT_STD` is the
normal init of every weight matrix the reference modules create (embedding, LM head, router, experts).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mozartc.frontend.blocks import BlockInfo
from mozartc.frontend.config import MoEConfig
from mozartc.ir.attrs import Attr, Ident

INIT_STD = 0.02


def init_normal(weight: torch.Tensor) -> None:
    """Draw ``weight`` from ``N(0, INIT_STD^2)``; a meta tensor holds no values, so it is left alone
    (``nn.init`` on a meta tensor imports ``torch._dynamo``: seconds per compile for nothing)."""
    if not weight.is_meta:
        nn.init.normal_(weight, std=INIT_STD)


class RMSNorm(nn.Module):
    """``y = x / sqrt(mean(x^2) + eps) * weight`` over the last dimension (``dim`` parameters)."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var = x.float().pow(2).mean(-1, keepdim=True)
        return (x.float() * torch.rsqrt(var + self.eps)).to(x.dtype) * self.weight

    def mozartc_describe(self) -> BlockInfo:
        """rmsnorm: ``dim``, ``eps``; FLOPs per token ``4 * dim``."""
        return BlockInfo("rmsnorm", {"dim": self.weight.shape[0], "eps": float(self.eps)})


class LayerNorm(nn.Module):
    """``y = (x - mean) / sqrt(var + eps) * weight (+ bias)`` over the last dimension.

    ``dim`` parameters, ``2 * dim`` with ``bias`` (PhiMoE); DBRX's has no bias.
    """

    def __init__(self, dim: int, eps: float = 1e-5, bias: bool = False) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.layer_norm(x.float(), (self.weight.shape[0],), None, None, self.eps).to(x.dtype) * self.weight
        return y + self.bias if self.bias is not None else y

    def mozartc_describe(self) -> BlockInfo:
        """rmsnorm op with ``variant = layernorm`` (and ``bias = true``); FLOPs ``6 * dim`` (+ ``dim``)."""
        attrs: dict[str, Attr] = {"dim": self.weight.shape[0], "eps": float(self.eps), "variant": Ident("layernorm")}
        if self.bias is not None:
            attrs["bias"] = True
        return BlockInfo("rmsnorm", attrs)


def make_norm(cfg: MoEConfig, dim: int) -> nn.Module:
    """The config's normalisation over ``dim``: RMSNorm, or LayerNorm (with ``norm_bias``)."""
    if cfg.norm == "layernorm":
        return LayerNorm(dim, cfg.rms_norm_eps, cfg.norm_bias)
    return RMSNorm(dim, cfg.rms_norm_eps)


class Embedding(nn.Module):
    """Token embedding table ``[vocab, dim]``; 0 FLOPs (a lookup)."""

    def __init__(self, vocab: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(vocab, dim))
        init_normal(self.weight)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return F.embedding(ids, self.weight)

    def mozartc_describe(self) -> BlockInfo:
        """embed: ``vocab``, ``dim``."""
        return BlockInfo("embed", {"vocab": self.weight.shape[0], "dim": self.weight.shape[1]})


class LMHead(nn.Module):
    """Logits ``x @ W^T`` with ``W: [vocab, dim]``; ``weight`` is the embedding's when tied."""

    def __init__(self, vocab: int, dim: int, tied_weight: nn.Parameter | None = None, bias: bool = False) -> None:
        super().__init__()
        if tied_weight is not None:
            self.weight = tied_weight
        else:
            self.weight = nn.Parameter(torch.empty(vocab, dim))
            init_normal(self.weight)
        self.bias = nn.Parameter(torch.zeros(vocab)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)

    def mozartc_describe(self) -> BlockInfo:
        """lm_head: ``vocab``, ``dim`` (``bias``); FLOPs per token ``2 * dim * vocab`` (+ ``vocab``)."""
        attrs: dict[str, Attr] = {"vocab": self.weight.shape[0], "dim": self.weight.shape[1]}
        if self.bias is not None:
            attrs["bias"] = True
        return BlockInfo("lm_head", attrs)
