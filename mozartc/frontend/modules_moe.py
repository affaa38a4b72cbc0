"""The FFN half of a decoder layer: SwiGLU units, the dense :class:`DenseMLP` and the MoE block.

:class:`SparseMoeBlock` holds a :class:`TopKRouter` (softmax or sigmoid scores, a logit bias, a
selection-only correction bias, grouped selection, PhiMoE's sparsemixer), :class:`RoutedExperts`
(stacked weights ``gate_proj``/``up_proj``: ``[E, F, D]``, ``down_proj``: ``[E, D, F]``; biases and
gpt-oss's clamped SwiGLU) and optional :class:`SharedExperts` (gated or not). The block itself is
traced through; its parts are leaves with ``mozartc_describe()``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mozartc.frontend.blocks import BlockInfo
from mozartc.frontend.config import MoEConfig
from mozartc.frontend.modules_basic import init_normal
from mozartc.ir.attrs import Attr, Ident


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
