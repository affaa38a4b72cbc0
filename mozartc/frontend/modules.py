"""Reference MoE transformer modules, built from a :class:`MoEConfig`, traceable by torch.fx.

The module tree follows Hugging Face naming so module paths read the same as in the public models::

    MoEForCausalLM
      model: MoEModel
        embed_tokens: Embedding                      -> embed
        layers.i: DecoderLayer
          input_layernorm: RMSNorm                   -> rmsnorm
          self_attn: Attention | MLAttention         -> attention
          post_attention_layernorm: RMSNorm          -> rmsnorm
          mlp: DenseMLP                              -> mlp            (dense layers)
             | SparseMoeBlock                        (MoE layers; traced through, not a leaf)
                 gate: TopKRouter                    -> router
                 experts: RoutedExperts              -> experts
                 shared_experts: SharedExperts       -> shared_experts (optional)
        norm: RMSNorm                                -> rmsnorm
      lm_head: LMHead                                -> lm_head (tied: shares embed's weight)

Every leaf class defines ``mozartc_describe()`` (see :mod:`mozartc.frontend.blocks`). Every module
runs a real forward on CPU; :class:`TopKRouter` returns ``(topk_weights, topk_ids)`` so profilers can
hook it. Routed expert weights are stacked parameters (``gate_proj``/``up_proj``: ``[E, F, D]``,
``down_proj``: ``[E, D, F]``), so 128 experts build in one allocation each.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mozartc.frontend.blocks import BlockInfo
from mozartc.frontend.config import MoEConfig
from mozartc.ir.attrs import Ident

INIT_STD = 0.02


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


class Embedding(nn.Module):
    """Token embedding table ``[vocab, dim]``; 0 FLOPs (a lookup)."""

    def __init__(self, vocab: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(vocab, dim))
        nn.init.normal_(self.weight, std=INIT_STD)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return F.embedding(ids, self.weight)

    def mozartc_describe(self) -> BlockInfo:
        """embed: ``vocab``, ``dim``."""
        return BlockInfo("embed", {"vocab": self.weight.shape[0], "dim": self.weight.shape[1]})


class LMHead(nn.Module):
    """Logits ``x @ W^T`` with ``W: [vocab, dim]``; ``weight`` is the embedding's when tied."""

    def __init__(self, vocab: int, dim: int, tied_weight: nn.Parameter | None = None) -> None:
        super().__init__()
        if tied_weight is not None:
            self.weight = tied_weight
        else:
            self.weight = nn.Parameter(torch.empty(vocab, dim))
            nn.init.normal_(self.weight, std=INIT_STD)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight)

    def mozartc_describe(self) -> BlockInfo:
        """lm_head: ``vocab``, ``dim``; FLOPs per token ``2 * dim * vocab``."""
        return BlockInfo("lm_head", {"vocab": self.weight.shape[0], "dim": self.weight.shape[1]})


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """``[x1, x2] -> [-x2, x1]`` over the last dimension (RoPE helper)."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x: torch.Tensor, theta: float) -> torch.Tensor:
    """Rotary position embedding of ``x: [B, H, S, d]`` (positions 0..S-1, base ``theta``)."""
    seq, dim = x.shape[-2], x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, dim, 2, device=x.device, dtype=torch.float32) / dim))
    angles = torch.outer(torch.arange(seq, device=x.device, dtype=torch.float32), inv)
    emb = torch.cat((angles, angles), dim=-1)
    return (x.float() * emb.cos() + rotate_half(x.float()) * emb.sin()).to(x.dtype)


def _sdpa(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
    """Causal softmax attention over ``[B, H, S, d]`` tensors."""
    return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)


class Attention(nn.Module):
    """Grouped-query self-attention: q/k/v/o projections, optional q/k RMSNorm, optional RoPE.

    Params: ``dim*H*hd + 2*dim*KV*hd + H*hd*dim`` plus the q/k norm weights (``qk_norm = head``:
    ``2*hd``; ``full``: ``H*hd + KV*hd``). FLOPs per token (see the lowering):
    ``2 * projection params + 4 * seq_len * H * hd + 4 * (H + KV) * hd`` (the last term with q/k norm).
    """

    def __init__(self, cfg: MoEConfig) -> None:
        super().__init__()
        h, kv, hd, d = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim, cfg.hidden_size
        self.heads, self.kv_heads, self.head_dim, self.dim = h, kv, hd, d
        self.qk_norm, self.use_rope, self.rope_theta = cfg.qk_norm, cfg.use_rope, cfg.rope_theta
        self.q_proj = nn.Linear(d, h * hd, bias=False)
        self.k_proj = nn.Linear(d, kv * hd, bias=False)
        self.v_proj = nn.Linear(d, kv * hd, bias=False)
        self.o_proj = nn.Linear(h * hd, d, bias=False)
        self.q_norm: RMSNorm | None = None
        self.k_norm: RMSNorm | None = None
        if cfg.qk_norm == "head":
            self.q_norm, self.k_norm = RMSNorm(hd, cfg.rms_norm_eps), RMSNorm(hd, cfg.rms_norm_eps)
        elif cfg.qk_norm == "full":
            self.q_norm, self.k_norm = RMSNorm(h * hd, cfg.rms_norm_eps), RMSNorm(kv * hd, cfg.rms_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, _ = x.shape
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        if self.qk_norm == "full" and self.q_norm is not None and self.k_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        q = q.view(b, s, self.heads, self.head_dim)
        k = k.view(b, s, self.kv_heads, self.head_dim)
        if self.qk_norm == "head" and self.q_norm is not None and self.k_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = v.view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        if self.use_rope:
            q, k = apply_rope(q, self.rope_theta), apply_rope(k, self.rope_theta)
        group = self.heads // self.kv_heads
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        out = _sdpa(q, k, v, 1.0 / math.sqrt(self.head_dim))
        return self.o_proj(out.transpose(1, 2).reshape(b, s, self.heads * self.head_dim))

    def mozartc_describe(self) -> BlockInfo:
        """attention: ``heads``, ``kv_heads``, ``head_dim``, ``dim``, ``qk_norm``."""
        return BlockInfo("attention", {
            "heads": self.heads, "kv_heads": self.kv_heads, "head_dim": self.head_dim, "dim": self.dim,
            "qk_norm": Ident(self.qk_norm),
        })


class MLAttention(nn.Module):
    """DeepSeek-V2 multi-head latent attention (MLA) with the public projection shapes.

    q: ``q_a_proj [q_lora, D]``, ``q_a_layernorm``, ``q_b_proj [H*(nope+rope), q_lora]`` (or one
    ``q_proj [H*(nope+rope), D]`` when ``q_lora_rank = 0``); kv: ``kv_a_proj_with_mqa
    [kv_lora+rope, D]``, ``kv_a_layernorm``, ``kv_b_proj [H*(nope+v), kv_lora]``; ``o_proj [D, H*v]``.
    FLOPs per token: ``2 * projection params + 2 * seq_len * H * ((nope+rope) + v) + 4 * (q_lora +
    kv_lora)`` (the last term: the two latent RMSNorms).
    """

    def __init__(self, cfg: MoEConfig) -> None:
        super().__init__()
        d, h = cfg.hidden_size, cfg.num_heads
        self.heads, self.dim, self.rope_theta = h, d, cfg.rope_theta
        self.nope, self.rope, self.v_dim = cfg.qk_nope_head_dim, cfg.qk_rope_head_dim, cfg.v_head_dim
        self.q_lora, self.kv_lora = cfg.q_lora_rank, cfg.kv_lora_rank
        qk = self.nope + self.rope
        self.q_proj: nn.Linear | None = None
        self.q_a_proj: nn.Linear | None = None
        self.q_a_layernorm: RMSNorm | None = None
        self.q_b_proj: nn.Linear | None = None
        if self.q_lora:
            self.q_a_proj = nn.Linear(d, self.q_lora, bias=False)
            self.q_a_layernorm = RMSNorm(self.q_lora, cfg.rms_norm_eps)
            self.q_b_proj = nn.Linear(self.q_lora, h * qk, bias=False)
        else:
            self.q_proj = nn.Linear(d, h * qk, bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(d, self.kv_lora + self.rope, bias=False)
        self.kv_a_layernorm = RMSNorm(self.kv_lora, cfg.rms_norm_eps)
        self.kv_b_proj = nn.Linear(self.kv_lora, h * (self.nope + self.v_dim), bias=False)
        self.o_proj = nn.Linear(h * self.v_dim, d, bias=False)

    def _query(self, x: torch.Tensor) -> torch.Tensor:
        if self.q_proj is not None:
            return self.q_proj(x)
        assert self.q_a_proj is not None and self.q_a_layernorm is not None and self.q_b_proj is not None
        return self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, _ = x.shape
        h = self.heads
        q = self._query(x).view(b, s, h, self.nope + self.rope).transpose(1, 2)
        q_nope, q_pe = q.split([self.nope, self.rope], dim=-1)
        ckv, k_pe = self.kv_a_proj_with_mqa(x).split([self.kv_lora, self.rope], dim=-1)
        kv = self.kv_b_proj(self.kv_a_layernorm(ckv)).view(b, s, h, self.nope + self.v_dim).transpose(1, 2)
        k_nope, v = kv.split([self.nope, self.v_dim], dim=-1)
        k_pe = apply_rope(k_pe.view(b, 1, s, self.rope), self.rope_theta).expand(b, h, s, self.rope)
        q = torch.cat((q_nope, apply_rope(q_pe, self.rope_theta)), dim=-1)
        k = torch.cat((k_nope, k_pe), dim=-1)
        out = _sdpa(q, k, v, 1.0 / math.sqrt(self.nope + self.rope))
        return self.o_proj(out.transpose(1, 2).reshape(b, s, h * self.v_dim))

    def mozartc_describe(self) -> BlockInfo:
        """attention (variant mla): head_dim is the q/k head dim; extra MLA shape attributes."""
        return BlockInfo("attention", {
            "heads": self.heads, "kv_heads": self.heads, "head_dim": self.nope + self.rope, "dim": self.dim,
            "qk_norm": Ident("none"), "variant": Ident("mla"), "q_lora_rank": self.q_lora,
            "kv_lora_rank": self.kv_lora, "qk_rope_head_dim": self.rope, "v_head_dim": self.v_dim,
            "norm_width": self.q_lora + self.kv_lora,
        })


def swiglu(x: torch.Tensor, gate: torch.Tensor, up: torch.Tensor, down: torch.Tensor) -> torch.Tensor:
    """``down(silu(gate(x)) * up(x))`` with weights ``gate, up: [F, D]``, ``down: [D, F]``."""
    return F.linear(F.silu(F.linear(x, gate)) * F.linear(x, up), down)


class SwiGLUMLP(nn.Module):
    """A SwiGLU FFN ``dim -> ffn_dim -> dim`` (gate, up, down projections; ``3*dim*ffn_dim`` params)."""

    kind = "mlp"

    def __init__(self, dim: int, ffn_dim: int) -> None:
        super().__init__()
        self.dim, self.ffn_dim = dim, ffn_dim
        self.gate_proj = nn.Linear(dim, ffn_dim, bias=False)
        self.up_proj = nn.Linear(dim, ffn_dim, bias=False)
        self.down_proj = nn.Linear(ffn_dim, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return swiglu(x, self.gate_proj.weight, self.up_proj.weight, self.down_proj.weight)


class DenseMLP(SwiGLUMLP):
    """The FFN of a dense layer; FLOPs per token ``2 * params``."""

    def mozartc_describe(self) -> BlockInfo:
        """mlp: ``dim``, ``ffn_dim``, ``act = swiglu``."""
        return BlockInfo("mlp", {"dim": self.dim, "ffn_dim": self.ffn_dim, "act": Ident("swiglu")})


class SharedExperts(SwiGLUMLP):
    """``count`` always-active shared experts fused into one SwiGLU FFN of ``count * ffn_dim``."""

    def __init__(self, dim: int, ffn_dim: int, count: int) -> None:
        super().__init__(dim, ffn_dim * count)
        self.count, self.expert_ffn_dim = count, ffn_dim

    def mozartc_describe(self) -> BlockInfo:
        """shared_experts: ``experts`` (count), ``dim``, ``ffn_dim`` per shared expert; FLOPs ``2*params``."""
        return BlockInfo("shared_experts", {
            "experts": self.count, "dim": self.dim, "ffn_dim": self.expert_ffn_dim, "act": Ident("swiglu"),
        })


class TopKRouter(nn.Module):
    """Top-k softmax router: ``probs = softmax(x @ W^T)`` (``W: [E, D]``), keep the ``top_k`` largest.

    Returns ``(topk_weights, topk_ids)``, each ``[..., top_k]``; with ``norm_topk_prob`` the kept
    weights are renormalised to sum to 1. FLOPs per token ``2 * dim * experts``.
    """

    def __init__(self, dim: int, experts: int, top_k: int, norm_topk_prob: bool) -> None:
        super().__init__()
        self.dim, self.experts, self.top_k, self.norm_topk_prob = dim, experts, top_k, norm_topk_prob
        self.weight = nn.Parameter(torch.empty(experts, dim))
        nn.init.normal_(self.weight, std=INIT_STD)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        probs = F.softmax(F.linear(x, self.weight).float(), dim=-1)
        weights, ids = torch.topk(probs, self.top_k, dim=-1)
        if self.norm_topk_prob:
            weights = weights / weights.sum(dim=-1, keepdim=True)
        return weights.to(x.dtype), ids

    def mozartc_describe(self) -> BlockInfo:
        """router: ``experts``, ``top_k``, ``dim``, ``norm_topk_prob``."""
        return BlockInfo("router", {
            "experts": self.experts, "top_k": self.top_k, "dim": self.dim, "norm_topk_prob": self.norm_topk_prob,
        })


class RoutedExperts(nn.Module):
    """``experts`` SwiGLU experts with stacked weights; each token goes to its ``top_k`` experts.

    ``y_t = sum_j w_tj * expert_{id_tj}(x_t)``. One expert has ``3 * dim * ffn_dim`` params; FLOPs per
    token ``top_k * 2 * expert_params``.
    """

    def __init__(self, dim: int, ffn_dim: int, experts: int, top_k: int) -> None:
        super().__init__()
        self.dim, self.ffn_dim, self.experts, self.top_k = dim, ffn_dim, experts, top_k
        self.gate_proj = nn.Parameter(torch.empty(experts, ffn_dim, dim))
        self.up_proj = nn.Parameter(torch.empty(experts, ffn_dim, dim))
        self.down_proj = nn.Parameter(torch.empty(experts, dim, ffn_dim))
        for p in (self.gate_proj, self.up_proj, self.down_proj):
            nn.init.normal_(p, std=INIT_STD)

    def forward(self, x: torch.Tensor, topk_weights: torch.Tensor, topk_ids: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, self.dim)
        ids = topk_ids.reshape(-1, self.top_k)
        weights = topk_weights.reshape(-1, self.top_k)
        out = torch.zeros_like(flat)
        for e in torch.unique(ids).tolist():
            token, slot = torch.where(ids == e)
            y = swiglu(flat[token], self.gate_proj[e], self.up_proj[e], self.down_proj[e])
            out.index_add_(0, token, y * weights[token, slot].unsqueeze(-1))
        return out.reshape(x.shape)

    def mozartc_describe(self) -> BlockInfo:
        """experts: ``experts``, ``top_k``, ``dim``, ``ffn_dim``, ``act = swiglu``."""
        return BlockInfo("experts", {
            "experts": self.experts, "top_k": self.top_k, "dim": self.dim, "ffn_dim": self.ffn_dim,
            "act": Ident("swiglu"),
        })


class SparseMoeBlock(nn.Module):
    """An MoE FFN: router, routed experts, optional shared experts (summed). Traced through by fx."""

    def __init__(self, cfg: MoEConfig) -> None:
        super().__init__()
        d = cfg.hidden_size
        self.gate = TopKRouter(d, cfg.num_experts, cfg.top_k, cfg.norm_topk_prob)
        self.experts = RoutedExperts(d, cfg.moe_intermediate_size, cfg.num_experts, cfg.top_k)
        self.shared_experts: SharedExperts | None = None
        if cfg.num_shared_experts:
            self.shared_experts = SharedExperts(d, cfg.shared_intermediate_size, cfg.num_shared_experts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        topk_weights, topk_ids = self.gate(x)
        y = self.experts(x, topk_weights, topk_ids)
        if self.shared_experts is not None:
            y = y + self.shared_experts(x)
        return y


class DecoderLayer(nn.Module):
    """Pre-norm block: ``h = x + attn(norm(x)); out = h + ffn(norm(h))``."""

    def __init__(self, cfg: MoEConfig, index: int) -> None:
        super().__init__()
        d = cfg.hidden_size
        self.input_layernorm = RMSNorm(d, cfg.rms_norm_eps)
        self.self_attn: nn.Module = MLAttention(cfg) if cfg.is_mla else Attention(cfg)
        self.post_attention_layernorm = RMSNorm(d, cfg.rms_norm_eps)
        self.mlp: nn.Module = (
            SparseMoeBlock(cfg) if cfg.is_moe_layer(index) else DenseMLP(d, cfg.intermediate_size)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x + self.self_attn(self.input_layernorm(x))
        return h + self.mlp(self.post_attention_layernorm(h))


class MoEModel(nn.Module):
    """Embedding, decoder layers, final norm."""

    def __init__(self, cfg: MoEConfig) -> None:
        super().__init__()
        self.embed_tokens = Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg, i) for i in range(cfg.num_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed_tokens(tokens)
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


class MoEForCausalLM(nn.Module):
    """The reference model: ``tokens [B, S] int64 -> logits [B, S, vocab]``."""

    def __init__(self, cfg: MoEConfig) -> None:
        super().__init__()
        self.config = cfg
        self.model = MoEModel(cfg)
        tied = self.model.embed_tokens.weight if cfg.tie_word_embeddings else None
        self.lm_head = LMHead(cfg.vocab_size, cfg.hidden_size, tied)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.lm_head(self.model(tokens))


def build_reference(cfg: MoEConfig, device: str = "meta") -> MoEForCausalLM:
    """Build :class:`MoEForCausalLM` for ``cfg`` directly on ``device`` (meta: no memory, no init cost)."""
    with torch.device(device):
        return MoEForCausalLM(cfg)
