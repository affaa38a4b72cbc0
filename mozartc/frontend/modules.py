"""Reference MoE transformer modules, built from a :class:`MoEConfig`, traceable by torch.fx.

The module tree follows Hugging Face naming so module paths read the same as in the public models::

    MoEForCausalLM
      model: MoEModel
        embed_tokens: Embedding                      -> embed
        layers.i: DecoderLayer
          input_layernorm: RMSNorm | LayerNorm       -> rmsnorm (LayerNorm: variant = layernorm)
          self_attn: Attention | MLAttention         -> attention
          post_attention_layernorm: RMSNorm | LayerNorm
          mlp: DenseMLP                              -> mlp            (dense layers)
             | SparseMoeBlock                        (MoE layers; traced through, not a leaf)
                 gate: TopKRouter                    -> router
                 experts: RoutedExperts              -> experts
                 shared_experts: SharedExperts       -> shared_experts (optional)
        norm: RMSNorm | LayerNorm                    -> rmsnorm
      lm_head: LMHead                                -> lm_head (tied: shares embed's weight)

One class per block serves every family; the config's variant fields (docs/frontend.md) switch on
LayerNorm (with or without bias), q/k/v and o biases, a fused ``Wqkv``, attention sinks, an output
gate, partial rotary, sliding windows, router scoring / bias / grouping, expert biases with a clamped
SwiGLU, a gated shared expert and an LM-head bias. Every leaf class defines ``mozartc_describe()``
(see :mod:`mozartc.frontend.blocks`). Every module runs a real forward on CPU; :class:`TopKRouter`
returns ``(topk_weights, topk_ids)`` so profilers can hook it. Routed expert weights are stacked
parameters (``gate_proj``/``up_proj``: ``[E, F, D]``, ``down_proj``: ``[E, D, F]``), so 256 experts
build in one allocation each.
"""

from __future__ import annotations

import math

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


def swiglu(x: torch.Tensor, gate: torch.Tensor, up: torch.Tensor, down: torch.Tensor) -> torch.Tensor:
    """``down(silu(gate(x)) * up(x))`` with weights ``gate, up: [F, D]``, ``down: [D, F]``."""
    return F.linear(F.silu(F.linear(x, gate)) * F.linear(x, up), down)


GPT_OSS_ALPHA = 1.702


def clamped_swiglu(gate: torch.Tensor, up: torch.Tensor, limit: float) -> torch.Tensor:
    """gpt-oss's gated unit: ``(clamp(up, -l, l) + 1) * g * sigmoid(1.702 g)`` with ``g = min(gate, l)``."""
    g = gate.clamp(max=limit)
    return (up.clamp(-limit, limit) + 1) * g * torch.sigmoid(g * GPT_OSS_ALPHA)


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
    """``count`` always-active shared experts fused into one SwiGLU FFN of ``count * ffn_dim``.

    With ``gated`` (Qwen2-MoE, Qwen3-Next) the output is scaled by ``sigmoid(shared_expert_gate(x))``,
    a ``[1, dim]`` projection (HF: ``mlp.shared_expert_gate``; here inside the block so its ``dim``
    weights are counted with the shared expert).
    """

    def __init__(self, dim: int, ffn_dim: int, count: int, gated: bool = False) -> None:
        super().__init__(dim, ffn_dim * count)
        self.count, self.expert_ffn_dim = count, ffn_dim
        self.shared_expert_gate = nn.Linear(dim, 1, bias=False) if gated else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x)
        if self.shared_expert_gate is not None:
            y = y * torch.sigmoid(self.shared_expert_gate(x))
        return y

    def mozartc_describe(self) -> BlockInfo:
        """shared_experts: ``experts`` (count), ``dim``, ``ffn_dim`` per expert (``gated``); FLOPs ``2*params``."""
        attrs: dict[str, Attr] = {
            "experts": self.count, "dim": self.dim, "ffn_dim": self.expert_ffn_dim, "act": Ident("swiglu"),
        }
        if self.shared_expert_gate is not None:
            attrs["gated"] = True
        return BlockInfo("shared_experts", attrs)


def sparsemixer(logits: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """PhiMoE's top-2 routing at inference: each pick is the arg-max; its weight is a softmax over the
    logits within a relative ``2 * eps`` of that maximum (the first pick masked out for the second)."""
    weights, ids = [], []
    scores = logits
    for _ in range(2):
        top, idx = scores.max(dim=-1, keepdim=True)
        far = (top - logits) / logits.abs().clamp(min=top) > 2 * eps
        gates = F.softmax(scores.masked_fill(far, float("-inf")), dim=-1)
        weights.append(gates.gather(-1, idx))
        ids.append(idx)
        scores = scores.scatter(-1, idx, float("-inf"))
    return torch.cat(weights, dim=-1), torch.cat(ids, dim=-1)


class TopKRouter(nn.Module):
    """Top-k router: ``scores = softmax(x @ W^T (+ b))`` (or ``sigmoid``), keep the ``top_k`` largest.

    Returns ``(topk_weights, topk_ids)``, each ``[..., top_k]``; with ``norm_topk_prob`` the kept
    weights are renormalised to sum to 1, then scaled by ``routed_scaling_factor``. Variants (from the
    config): a logit ``bias [E]`` (gpt-oss); ``e_score_correction_bias [E]`` added to the scores for
    the selection only (DeepSeek-V3 ``noaux_tc``, GLM-4.5); grouped selection (``n_group`` groups of
    experts scored by their best expert, or by their best two with ``noaux_tc``; experts outside the
    best ``topk_group`` groups are not chosen); PhiMoE's ``sparsemixer`` (top-2).
    FLOPs per token ``2 * dim * experts`` (+ ``experts`` per bias).
    """

    def __init__(self, dim: int, experts: int, top_k: int, norm_topk_prob: bool,
                 cfg: MoEConfig | None = None) -> None:
        super().__init__()
        self.dim, self.experts, self.top_k, self.norm_topk_prob = dim, experts, top_k, norm_topk_prob
        self.weight = nn.Parameter(torch.empty(experts, dim))
        init_normal(self.weight)
        self.scoring, self.n_group, self.topk_group, self.topk_method = "softmax", 1, 1, "greedy"
        self.scale, self.jitter = 1.0, 0.0
        self.bias: nn.Parameter | None = None
        self.e_score_correction_bias: nn.Parameter | None = None
        if cfg is not None:
            self.scoring, self.n_group, self.topk_group = cfg.scoring, cfg.n_group, cfg.topk_group
            self.topk_method, self.scale, self.jitter = cfg.topk_method, cfg.routed_scaling_factor, cfg.router_jitter
            if cfg.router_bias:
                self.bias = nn.Parameter(torch.zeros(experts))
            if cfg.score_correction_bias:  # set by the load-balancing rule, not by gradients
                self.e_score_correction_bias = nn.Parameter(torch.zeros(experts), requires_grad=False)

    def _choose(self, scores: torch.Tensor) -> torch.Tensor:
        """Expert ids of the top-k, within the best ``topk_group`` groups when grouped."""
        choice = scores if self.e_score_correction_bias is None else scores + self.e_score_correction_bias
        if self.n_group > 1:
            grouped = choice.unflatten(-1, (self.n_group, self.experts // self.n_group))
            if self.topk_method == "noaux_tc":
                group_score = grouped.topk(min(2, grouped.shape[-1]), dim=-1).values.sum(-1)
            else:
                group_score = grouped.amax(dim=-1)
            keep = torch.zeros_like(group_score, dtype=torch.bool).scatter(
                -1, group_score.topk(self.topk_group, dim=-1).indices, True)
            choice = grouped.masked_fill(~keep.unsqueeze(-1), float("-inf")).flatten(-2)
        return torch.topk(choice, self.top_k, dim=-1).indices

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = F.linear(x, self.weight, self.bias).float()
        if self.scoring == "sparsemixer":
            weights, ids = sparsemixer(logits, self.jitter)
        else:
            scores = torch.sigmoid(logits) if self.scoring == "sigmoid" else F.softmax(logits, dim=-1)
            ids = self._choose(scores)
            weights = scores.gather(-1, ids)
            if self.norm_topk_prob:
                weights = weights / (weights.sum(dim=-1, keepdim=True) + 1e-20)
        return (weights * self.scale).to(x.dtype), ids

    def mozartc_describe(self) -> BlockInfo:
        """router: ``experts``, ``top_k``, ``dim``, ``norm_topk_prob``, and each variant in use."""
        attrs: dict[str, Attr] = {
            "experts": self.experts, "top_k": self.top_k, "dim": self.dim, "norm_topk_prob": self.norm_topk_prob,
        }
        if self.scoring != "softmax":
            attrs["scoring"] = Ident(self.scoring)
        if self.bias is not None:
            attrs["bias"] = True
        if self.e_score_correction_bias is not None:
            attrs["score_bias"] = True
        if self.n_group > 1:
            attrs.update(n_group=self.n_group, topk_group=self.topk_group, topk_method=Ident(self.topk_method))
        if self.scale != 1.0:
            attrs["routed_scaling_factor"] = float(self.scale)
        return BlockInfo("router", attrs)


class RoutedExperts(nn.Module):
    """``experts`` SwiGLU experts with stacked weights; each token goes to its ``top_k`` experts.

    ``y_t = sum_j w_tj * expert_{id_tj}(x_t)``. One expert has ``3 * dim * ffn_dim`` params (with
    ``bias``: ``+ 2 * ffn_dim + dim``, gpt-oss); FLOPs per token ``top_k * (2 * weights + biases)`` of
    one expert. ``swiglu_limit > 0`` uses gpt-oss's clamped gated unit (same FLOPs).
    """

    def __init__(self, dim: int, ffn_dim: int, experts: int, top_k: int, bias: bool = False,
                 swiglu_limit: float = 0.0) -> None:
        super().__init__()
        self.dim, self.ffn_dim, self.experts, self.top_k = dim, ffn_dim, experts, top_k
        self.swiglu_limit = swiglu_limit
        self.gate_proj = nn.Parameter(torch.empty(experts, ffn_dim, dim))
        self.up_proj = nn.Parameter(torch.empty(experts, ffn_dim, dim))
        self.down_proj = nn.Parameter(torch.empty(experts, dim, ffn_dim))
        for p in (self.gate_proj, self.up_proj, self.down_proj):
            init_normal(p)
        self.gate_proj_bias: nn.Parameter | None = None
        self.up_proj_bias: nn.Parameter | None = None
        self.down_proj_bias: nn.Parameter | None = None
        if bias:
            self.gate_proj_bias = nn.Parameter(torch.zeros(experts, ffn_dim))
            self.up_proj_bias = nn.Parameter(torch.zeros(experts, ffn_dim))
            self.down_proj_bias = nn.Parameter(torch.zeros(experts, dim))

    def expert(self, e: int, x: torch.Tensor) -> torch.Tensor:
        """Expert ``e`` applied to the rows of ``x``."""
        if self.gate_proj_bias is None and not self.swiglu_limit:
            return swiglu(x, self.gate_proj[e], self.up_proj[e], self.down_proj[e])
        b_gate, b_up, b_down = ((p[e] if p is not None else None)
                                for p in (self.gate_proj_bias, self.up_proj_bias, self.down_proj_bias))
        gate, up = F.linear(x, self.gate_proj[e], b_gate), F.linear(x, self.up_proj[e], b_up)
        hidden = clamped_swiglu(gate, up, self.swiglu_limit) if self.swiglu_limit else F.silu(gate) * up
        return F.linear(hidden, self.down_proj[e], b_down)

    def forward(self, x: torch.Tensor, topk_weights: torch.Tensor, topk_ids: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, self.dim)
        ids = topk_ids.reshape(-1, self.top_k)
        weights = topk_weights.reshape(-1, self.top_k)
        out = torch.zeros_like(flat)
        for e in torch.unique(ids).tolist():
            token, slot = torch.where(ids == e)
            y = self.expert(e, flat[token])
            out.index_add_(0, token, y * weights[token, slot].unsqueeze(-1))
        return out.reshape(x.shape)

    def mozartc_describe(self) -> BlockInfo:
        """experts: ``experts``, ``top_k``, ``dim``, ``ffn_dim``, ``act = swiglu`` (``bias``, ``swiglu_limit``)."""
        attrs: dict[str, Attr] = {
            "experts": self.experts, "top_k": self.top_k, "dim": self.dim, "ffn_dim": self.ffn_dim,
            "act": Ident("swiglu"),
        }
        if self.gate_proj_bias is not None:
            attrs["bias"] = True
        if self.swiglu_limit:
            attrs["swiglu_limit"] = float(self.swiglu_limit)
        return BlockInfo("experts", attrs)


class SparseMoeBlock(nn.Module):
    """An MoE FFN: router, routed experts, optional shared experts (summed). Traced through by fx."""

    def __init__(self, cfg: MoEConfig) -> None:
        super().__init__()
        d = cfg.hidden_size
        self.gate = TopKRouter(d, cfg.num_experts, cfg.top_k, cfg.norm_topk_prob, cfg)
        self.experts = RoutedExperts(d, cfg.moe_intermediate_size, cfg.num_experts, cfg.top_k, cfg.expert_bias,
                                     cfg.swiglu_limit)
        self.shared_experts: SharedExperts | None = None
        if cfg.num_shared_experts:
            self.shared_experts = SharedExperts(d, cfg.shared_intermediate_size, cfg.num_shared_experts,
                                                cfg.shared_expert_gate)

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
        self.input_layernorm = make_norm(cfg, d)
        self.self_attn: nn.Module = MLAttention(cfg, index) if cfg.is_mla else Attention(cfg, index)
        self.post_attention_layernorm = make_norm(cfg, d)
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
        self.norm = make_norm(cfg, cfg.hidden_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed_tokens(tokens)
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


class MoEForCausalLM(nn.Module):
    """The reference model: ``tokens [B, S] int64 -> logits [B, S, vocab]``.

    Multi-token-prediction modules (``cfg.mtp_layers``) are not built: like Hugging Face transformers,
    which drops them when loading DeepSeek-V3 or GLM-4.5, the model is the main model only; capture
    records their number as the module attribute ``mtp_layers``.
    """

    def __init__(self, cfg: MoEConfig) -> None:
        super().__init__()
        self.config = cfg
        self.model = MoEModel(cfg)
        tied = self.model.embed_tokens.weight if cfg.tie_word_embeddings else None
        self.lm_head = LMHead(cfg.vocab_size, cfg.hidden_size, tied, cfg.lm_head_bias)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.lm_head(self.model(tokens))


def build_reference(cfg: MoEConfig, device: str = "meta") -> MoEForCausalLM:
    """Build :class:`MoEForCausalLM` for ``cfg`` directly on ``device`` (meta: no memory, no init cost)."""
    with torch.device(device):
        return MoEForCausalLM(cfg)
