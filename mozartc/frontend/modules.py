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

This module assembles the layers and the model; the leaves live in :mod:`~mozartc.frontend.modules_basic`
(norms, embedding, LM head), :mod:`~mozartc.frontend.modules_attention` (attention, MLA, RoPE) and
:mod:`~mozartc.frontend.modules_moe` (dense MLP, router, routed and shared experts, the MoE block).
"""

from __future__ import annotations

import torch
from torch import nn

from mozartc.frontend.config import MoEConfig
from mozartc.frontend.modules_attention import Attention, MLAttention
from mozartc.frontend.modules_basic import Embedding, LMHead, make_norm
from mozartc.frontend.modules_moe import DenseMLP, SparseMoeBlock


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
