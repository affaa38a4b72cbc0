"""Model configuration: the architecture facts a reference MoE transformer is built from.

A :class:`MoEConfig` comes from a built-in preset (:mod:`mozartc.frontend.presets`) or from a
Hugging Face ``config.json`` (:mod:`mozartc.frontend.hf_config`). It holds architecture only; the
parameter counts that the IR carries are measured on the module built from it, never taken from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mozartc.errors import FrontendError


@dataclass(frozen=True)
class MoEConfig:
    """Architecture of a decoder-only MoE transformer (paper Table 1 plus config.json fields).

    Layer ``i`` is dense (a SwiGLU MLP of ``intermediate_size``) when ``i < first_k_dense`` or when
    ``i`` is listed in ``dense_layers``; every other layer is an MoE layer with ``num_experts``
    routed SwiGLU experts of ``moe_intermediate_size``, a top-``top_k`` softmax router and
    ``num_shared_experts`` always-active experts (fused into one MLP of
    ``num_shared_experts * shared_intermediate_size``, as DeepSeek-MoE does).
    """

    name: str
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    num_experts: int
    top_k: int
    moe_intermediate_size: int
    intermediate_size: int = 0
    num_shared_experts: int = 0
    shared_intermediate_size: int = 0
    first_k_dense: int = 0
    dense_layers: tuple[int, ...] = ()
    tie_word_embeddings: bool = False
    norm_topk_prob: bool = False
    qk_norm: str = "none"  # "none" | "head" (Qwen3: RMSNorm over head_dim) | "full" (OLMoE: over q/k width)
    rms_norm_eps: float = 1e-6
    use_rope: bool = True
    rope_theta: float = 10000.0
    # Multi-head latent attention (DeepSeek-V2); ``kv_lora_rank > 0`` selects it. ``q_lora_rank = 0``
    # means q is one projection (V2-Lite); ``head_dim`` is then ``qk_nope_head_dim + qk_rope_head_dim``.
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    source: str = field(default="preset", compare=False)

    def __post_init__(self) -> None:
        problems = list(_config_problems(self))
        if problems:
            raise FrontendError("; ".join(problems), where=f"model config '{self.name}'")

    @property
    def is_mla(self) -> bool:
        """True when attention is DeepSeek-V2 multi-head latent attention."""
        return self.kv_lora_rank > 0

    def is_moe_layer(self, index: int) -> bool:
        """True when layer ``index`` holds routed experts (not dense)."""
        return index >= self.first_k_dense and index not in self.dense_layers

    @property
    def moe_layer_indices(self) -> tuple[int, ...]:
        """Indices of the MoE layers, in order."""
        return tuple(i for i in range(self.num_layers) if self.is_moe_layer(i))

    @property
    def num_moe_layers(self) -> int:
        """Number of MoE layers."""
        return len(self.moe_layer_indices)


def _config_problems(cfg: MoEConfig) -> list[str]:
    """Cross-field checks of a config; returns one message per problem."""
    problems: list[str] = []
    positive = (
        "vocab_size", "hidden_size", "num_layers", "num_heads", "num_kv_heads", "head_dim",
        "num_experts", "top_k", "moe_intermediate_size",
    )
    for name in positive:
        value = getattr(cfg, name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            problems.append(f"{name} must be a positive integer, got {value!r}")
    if problems:
        return problems
    if cfg.num_heads % cfg.num_kv_heads:
        problems.append(
            f"num_attention_heads ({cfg.num_heads}) must be a multiple of num_key_value_heads "
            f"({cfg.num_kv_heads})"
        )
    if cfg.top_k > cfg.num_experts:
        problems.append(f"num_experts_per_tok ({cfg.top_k}) exceeds the number of experts ({cfg.num_experts})")
    if cfg.num_shared_experts < 0:
        problems.append(f"n_shared_experts must be >= 0, got {cfg.num_shared_experts}")
    if cfg.num_shared_experts and cfg.shared_intermediate_size <= 0:
        problems.append("shared experts need a positive shared intermediate size")
    has_dense = cfg.first_k_dense > 0 or bool(cfg.dense_layers)
    if has_dense and cfg.intermediate_size <= 0:
        problems.append("dense layers need a positive intermediate_size")
    if not 0 <= cfg.first_k_dense <= cfg.num_layers:
        problems.append(f"first_k_dense_replace ({cfg.first_k_dense}) must lie in 0..{cfg.num_layers}")
    if any(not 0 <= i < cfg.num_layers for i in cfg.dense_layers):
        problems.append(f"dense layer indices {list(cfg.dense_layers)} must lie in 0..{cfg.num_layers - 1}")
    mla = (cfg.q_lora_rank, cfg.kv_lora_rank, cfg.qk_nope_head_dim, cfg.qk_rope_head_dim, cfg.v_head_dim)
    if any(v < 0 for v in mla):
        problems.append(f"MLA ranks and head dims must be >= 0, got {mla}")
    if cfg.kv_lora_rank > 0 and min(cfg.qk_nope_head_dim, cfg.qk_rope_head_dim, cfg.v_head_dim) <= 0:
        problems.append("MLA attention (kv_lora_rank > 0) needs positive qk_nope_head_dim, "
                        "qk_rope_head_dim and v_head_dim")
    if cfg.qk_norm not in ("none", "head", "full"):
        problems.append(f"qk_norm must be 'none', 'head' or 'full', got {cfg.qk_norm!r}")
    return problems
