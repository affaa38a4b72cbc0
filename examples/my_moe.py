"""A user-written MoE model captured through the documented hook: ``mozartc compile examples/my_moe.py:build``.

Nothing here comes from mozartc's reference modules. The model is OLMoE-1B-7B-0924-shaped (16 layers,
hidden 2048, 16 heads of 128 with q/k RMSNorm over the full width, 64 SwiGLU experts top-8 of 1024,
vocab 50304, untied), so its capture gives the same parameter counts as the ``olmoe-1b-7b-0924`` preset.

Two classes define ``mozartc_describe()`` and so are kept as one fx leaf each:

- ``SelfAttention`` describes itself as ``attention``;
- ``FusedMoE`` (router and all experts in one module with stacked weights) describes itself as
  ``moe``, and ``parts`` says which of its weights are the router and which the experts; mozartc
  lowers it to ``router`` + ``experts`` ops.

``nn.Embedding``, ``nn.RMSNorm`` and the final ``nn.Linear`` (outside every layer: the LM head) are
recognised without a hook.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mozartc.frontend import BlockInfo

VOCAB, DIM, LAYERS, HEADS, HEAD_DIM = 50304, 2048, 16, 16, 128
EXPERTS, TOP_K, EXPERT_FFN = 64, 8, 1024


class SelfAttention(nn.Module):
    """Multi-head attention with q/k RMSNorm over the whole projection (OLMoE style)."""

    def __init__(self, dim: int, heads: int, head_dim: int) -> None:
        super().__init__()
        self.heads, self.head_dim, self.dim = heads, head_dim, dim
        self.qkv = nn.Linear(dim, 3 * heads * head_dim, bias=False)
        self.out = nn.Linear(heads * head_dim, dim, bias=False)
        self.q_norm = nn.RMSNorm(heads * head_dim, eps=1e-5)
        self.k_norm = nn.RMSNorm(heads * head_dim, eps=1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, _ = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k = self.q_norm(q), self.k_norm(k)
        q, k, v = (t.view(b, s, self.heads, self.head_dim).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1 / math.sqrt(self.head_dim))
        return self.out(y.transpose(1, 2).reshape(b, s, -1))

    def mozartc_describe(self) -> BlockInfo:
        return BlockInfo("attention", {"heads": self.heads, "kv_heads": self.heads, "head_dim": self.head_dim,
                                       "dim": self.dim, "qk_norm": "full"})


class FusedMoE(nn.Module):
    """Router plus all routed SwiGLU experts in one module (weights ``w13: [E, 2F, D]``, ``w2: [E, D, F]``)."""

    def __init__(self, dim: int, experts: int, top_k: int, ffn: int) -> None:
        super().__init__()
        self.dim, self.experts, self.top_k, self.ffn = dim, experts, top_k, ffn
        self.router = nn.Linear(dim, experts, bias=False)
        self.w13 = nn.Parameter(torch.randn(experts, 2 * ffn, dim) * 0.02)
        self.w2 = nn.Parameter(torch.randn(experts, dim, ffn) * 0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, self.dim)
        weights, ids = torch.topk(self.router(flat).softmax(dim=-1), self.top_k, dim=-1)
        out = torch.zeros_like(flat)
        for e in range(self.experts):
            token, slot = torch.where(ids == e)
            gate, up = F.linear(flat[token], self.w13[e]).chunk(2, dim=-1)
            y = F.linear(F.silu(gate) * up, self.w2[e])
            out.index_add_(0, token, y * weights[token, slot].unsqueeze(-1))
        return out.view_as(x)

    def mozartc_describe(self) -> BlockInfo:
        return BlockInfo(
            "moe",
            {"experts": self.experts, "top_k": self.top_k, "dim": self.dim, "ffn_dim": self.ffn,
             "norm_topk_prob": False},
            parts={"router": ("router",), "experts": ("w13", "w2")},
        )


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn_norm = nn.RMSNorm(DIM, eps=1e-5)
        self.attn = SelfAttention(DIM, HEADS, HEAD_DIM)
        self.ffn_norm = nn.RMSNorm(DIM, eps=1e-5)
        self.moe = FusedMoE(DIM, EXPERTS, TOP_K, EXPERT_FFN)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.attn_norm(x))
        return x + self.moe(self.ffn_norm(x))


class MyMoE(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.tok = nn.Embedding(VOCAB, DIM)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.norm = nn.RMSNorm(DIM, eps=1e-5)
        self.head = nn.Linear(DIM, VOCAB, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.tok(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def build() -> nn.Module:
    """The model; mozartc calls this under ``torch.device("meta")``, so it allocates nothing."""
    return MyMoE()
