"""Self-attention of the reference model: grouped-query :class:`Attention` and DeepSeek's latent
:class:`MLAttention`, with RoPE (full or partial) and causal softmax attention (sliding window, sinks).

Both define ``mozartc_describe()`` (kind ``attention``); their FLOPs are the lowering's formula
(:mod:`mozartc.frontend.costs`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mozartc.frontend.blocks import BlockInfo
from mozartc.frontend.config import MoEConfig
from mozartc.frontend.modules_basic import RMSNorm
from mozartc.ir.attrs import Attr, Ident


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


def apply_partial_rope(x: torch.Tensor, theta: float, rotary_dim: int) -> torch.Tensor:
    """RoPE on the first ``rotary_dim`` dims of each head, the rest passed through (GLM-4.5, Qwen3-Next)."""
    if rotary_dim >= x.shape[-1]:
        return apply_rope(x, theta)
    return torch.cat((apply_rope(x[..., :rotary_dim], theta), x[..., rotary_dim:]), dim=-1)


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float, window: int = 0,
           sinks: torch.Tensor | None = None) -> torch.Tensor:
    """Causal softmax attention over ``[B, H, S, d]`` tensors.

    ``window > 0``: query ``i`` sees keys ``j`` with ``i - window < j <= i`` (a sliding window);
    ``sinks`` (``[H]``): one extra logit per head in the softmax's denominator, dropped afterwards
    (gpt-oss). Without either this is ``scaled_dot_product_attention(is_causal=True)``.
    """
    if not window and sinks is None:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
    s = q.shape[-2]
    pos = torch.arange(s, device=q.device)
    allowed = pos[None, :] <= pos[:, None]
    if window:
        allowed = allowed & (pos[:, None] - pos[None, :] < window)
    scores = (q.float() @ k.float().transpose(-1, -2)) * scale
    scores = scores.masked_fill(~allowed, float("-inf"))
    if sinks is not None:
        sink = sinks.float().view(1, -1, 1, 1).expand(*scores.shape[:-1], 1)
        scores = torch.cat((scores, sink), dim=-1)
        probs = F.softmax(scores - scores.amax(dim=-1, keepdim=True), dim=-1)[..., :-1]
    else:
        probs = F.softmax(scores, dim=-1)
    return (probs @ v.float()).to(q.dtype)


class Attention(nn.Module):
    """Grouped-query self-attention: q/k/v/o projections, optional q/k RMSNorm, optional RoPE.

    Params: ``dim*H*hd + 2*dim*KV*hd + H*hd*dim`` plus the q/k norm weights (``qk_norm = head``:
    ``2*hd``; ``full``: ``H*hd + KV*hd``). Variants (all from the config): ``qkv_bias`` (``(H+2KV)*hd``
    more), ``o_bias`` (``dim``), ``fused_qkv`` (one ``Wqkv`` projection, same size), ``attention_sinks``
    (``sinks [H]``), ``attn_output_gate`` (``q_proj`` twice as wide: query and a sigmoid gate on the
    attention output), partial rotary and a sliding window (layer ``index`` in ``sliding_layers``).
    FLOPs per token (see the lowering): ``2 * projection params + biases + sinks +
    4 * min(seq_len, window) * H * hd + 4 * (H + KV) * hd`` (the last term with q/k norm).
    """

    def __init__(self, cfg: MoEConfig, index: int = 0) -> None:
        super().__init__()
        h, kv, hd, d = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim, cfg.hidden_size
        self.heads, self.kv_heads, self.head_dim, self.dim = h, kv, hd, d
        self.qk_norm, self.use_rope, self.rope_theta = cfg.qk_norm, cfg.use_rope, cfg.rope_theta
        self.rotary_dim, self.window, self.output_gate = cfg.rotary_dim, cfg.window(index), cfg.attn_output_gate
        self.q_proj: nn.Linear | None = None
        self.k_proj: nn.Linear | None = None
        self.v_proj: nn.Linear | None = None
        self.Wqkv: nn.Linear | None = None
        q_width = 2 * h * hd if cfg.attn_output_gate else h * hd
        if cfg.fused_qkv:
            self.Wqkv = nn.Linear(d, q_width + 2 * kv * hd, bias=cfg.qkv_bias)
        else:
            self.q_proj = nn.Linear(d, q_width, bias=cfg.qkv_bias)
            self.k_proj = nn.Linear(d, kv * hd, bias=cfg.qkv_bias)
            self.v_proj = nn.Linear(d, kv * hd, bias=cfg.qkv_bias)
        self.o_proj = nn.Linear(h * hd, d, bias=cfg.o_bias)
        self.sinks = nn.Parameter(torch.zeros(h)) if cfg.attention_sinks else None
        self.q_norm: RMSNorm | None = None
        self.k_norm: RMSNorm | None = None
        if cfg.qk_norm == "head":
            self.q_norm, self.k_norm = RMSNorm(hd, cfg.rms_norm_eps), RMSNorm(hd, cfg.rms_norm_eps)
        elif cfg.qk_norm == "full":
            self.q_norm, self.k_norm = RMSNorm(h * hd, cfg.rms_norm_eps), RMSNorm(kv * hd, cfg.rms_norm_eps)

    def _qkv(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self.Wqkv is not None:
            kv_width = self.kv_heads * self.head_dim
            q_width = self.Wqkv.out_features - 2 * kv_width
            q, k, v = self.Wqkv(x).split([q_width, kv_width, kv_width], dim=-1)
            return q, k, v
        assert self.q_proj is not None and self.k_proj is not None and self.v_proj is not None
        return self.q_proj(x), self.k_proj(x), self.v_proj(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, _ = x.shape
        q, k, v = self._qkv(x)
        gate = None
        if self.output_gate:
            q, gate = q.view(b, s, self.heads, 2 * self.head_dim).chunk(2, dim=-1)
            q, gate = q.reshape(b, s, -1), gate.reshape(b, s, -1)
        if self.qk_norm == "full" and self.q_norm is not None and self.k_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        q = q.view(b, s, self.heads, self.head_dim)
        k = k.view(b, s, self.kv_heads, self.head_dim)
        if self.qk_norm == "head" and self.q_norm is not None and self.k_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = v.view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        if self.use_rope:
            q = apply_partial_rope(q, self.rope_theta, self.rotary_dim)
            k = apply_partial_rope(k, self.rope_theta, self.rotary_dim)
        group = self.heads // self.kv_heads
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        out = attend(q, k, v, 1.0 / math.sqrt(self.head_dim), self.window, self.sinks)
        out = out.transpose(1, 2).reshape(b, s, self.heads * self.head_dim)
        if gate is not None:
            out = out * torch.sigmoid(gate)
        return self.o_proj(out)

    def mozartc_describe(self) -> BlockInfo:
        """attention: ``heads``, ``kv_heads``, ``head_dim``, ``dim``, ``qk_norm``, and each variant in use."""
        attrs: dict[str, Attr] = {
            "heads": self.heads, "kv_heads": self.kv_heads, "head_dim": self.head_dim, "dim": self.dim,
            "qk_norm": Ident(self.qk_norm),
        }
        first = self.Wqkv if self.Wqkv is not None else self.q_proj
        flags = {"qkv_bias": first is not None and first.bias is not None, "o_bias": self.o_proj.bias is not None,
                 "fused_qkv": self.Wqkv is not None, "sinks": self.sinks is not None,
                 "output_gate": self.output_gate}
        attrs.update({key: True for key, on in flags.items() if on})
        if self.use_rope and self.rotary_dim < self.head_dim:
            attrs["rotary_dim"] = self.rotary_dim
        if self.window:
            attrs["sliding_window"] = self.window
        return BlockInfo("attention", attrs)


class MLAttention(nn.Module):
    """DeepSeek-V2 multi-head latent attention (MLA) with the public projection shapes.

    q: ``q_a_proj [q_lora, D]``, ``q_a_layernorm``, ``q_b_proj [H*(nope+rope), q_lora]`` (or one
    ``q_proj [H*(nope+rope), D]`` when ``q_lora_rank = 0``); kv: ``kv_a_proj_with_mqa
    [kv_lora+rope, D]``, ``kv_a_layernorm``, ``kv_b_proj [H*(nope+v), kv_lora]``; ``o_proj [D, H*v]``.
    FLOPs per token: ``2 * projection params + 2 * seq_len * H * ((nope+rope) + v) + 4 * (q_lora +
    kv_lora)`` (the last term: the two latent RMSNorms).
    """

    def __init__(self, cfg: MoEConfig, index: int = 0) -> None:
        super().__init__()
        d, h = cfg.hidden_size, cfg.num_heads
        self.heads, self.dim, self.rope_theta, self.window = h, d, cfg.rope_theta, cfg.window(index)
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
        out = attend(q, k, v, 1.0 / math.sqrt(self.nope + self.rope), self.window)
        return self.o_proj(out.transpose(1, 2).reshape(b, s, h * self.v_dim))

    def mozartc_describe(self) -> BlockInfo:
        """attention (variant mla): head_dim is the q/k head dim; extra MLA shape attributes."""
        attrs: dict[str, Attr] = {
            "heads": self.heads, "kv_heads": self.heads, "head_dim": self.nope + self.rope, "dim": self.dim,
            "qk_norm": Ident("none"), "variant": Ident("mla"), "q_lora_rank": self.q_lora,
            "kv_lora_rank": self.kv_lora, "qk_rope_head_dim": self.rope, "v_head_dim": self.v_dim,
            "norm_width": self.q_lora + self.kv_lora,
        }
        if self.window:
            attrs["sliding_window"] = self.window
        return BlockInfo("attention", attrs)
