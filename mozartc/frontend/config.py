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
    routed SwiGLU experts of ``moe_intermediate_size``, a top-``top_k`` router and
    ``num_shared_experts`` always-active experts (fused into one MLP of
    ``num_shared_experts * shared_intermediate_size``, as DeepSeek-MoE does).

    The fields after ``v_head_dim`` are the per-family variants of docs/frontend.md (norms, biases,
    attention sinks, sliding windows, router scoring and grouping, ...); their defaults give the
    plain Llama-style block of the paper's three models.
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
    # Norms: "rmsnorm" or "layernorm" (mean-subtracting; ``norm_bias``: with a bias, as PhiMoE).
    norm: str = "rmsnorm"
    norm_bias: bool = False
    # Attention: biases of the q/k/v and of the o projection, one fused ``Wqkv`` projection (DBRX),
    # a learned softmax sink per head (gpt-oss), a sigmoid output gate that doubles q_proj (Qwen3-Next),
    # rotary embedding on ``partial_rotary_factor`` of each head, and a sliding window of
    # ``sliding_window`` tokens in the layers ``sliding_layers``.
    qkv_bias: bool = False
    o_bias: bool = False
    fused_qkv: bool = False
    attention_sinks: bool = False
    attn_output_gate: bool = False
    partial_rotary_factor: float = 1.0
    sliding_window: int = 0
    sliding_layers: tuple[int, ...] = ()
    # Router: scores ("softmax", "sigmoid" or PhiMoE's top-2 "sparsemixer"), a bias on the logits
    # (gpt-oss), DeepSeek-V3's ``e_score_correction_bias`` (selection only), grouped selection
    # (``n_group`` groups, the best ``topk_group`` kept; ``topk_method`` says how groups are scored),
    # the routed output scale, and the sparsemixer's ``router_jitter_noise``.
    scoring: str = "softmax"
    router_bias: bool = False
    score_correction_bias: bool = False
    n_group: int = 1
    topk_group: int = 1
    topk_method: str = "greedy"
    routed_scaling_factor: float = 1.0
    router_jitter: float = 0.01
    # Experts: biases of every routed expert's projections (gpt-oss) and its clamped SwiGLU limit
    # (0: plain SwiGLU); a sigmoid gate (``D`` weights) on the shared expert's output (Qwen2-MoE).
    expert_bias: bool = False
    swiglu_limit: float = 0.0
    shared_expert_gate: bool = False
    lm_head_bias: bool = False
    # Multi-token-prediction modules of the checkpoint (DeepSeek-V3, GLM-4.5): recorded, not built.
    mtp_layers: int = 0
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

    def window(self, index: int) -> int:
        """The sliding-window size of layer ``index``'s attention (0: full causal attention)."""
        return self.sliding_window if index in self.sliding_layers else 0

    @property
    def rotary_dim(self) -> int:
        """Dimensions of each q/k head that get rotary embeddings (even, at most ``head_dim``)."""
        return 2 * int(self.head_dim * self.partial_rotary_factor // 2)

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
    problems.extend(_variant_problems(cfg))
    return problems


CHOICES = {
    "norm": ("rmsnorm", "layernorm"),
    "scoring": ("softmax", "sigmoid", "sparsemixer"),
    "topk_method": ("greedy", "group_limited_greedy", "noaux_tc"),
}


def _variant_problems(cfg: MoEConfig) -> list[str]:
    """Checks of the per-family variant fields."""
    problems = [f"{name} must be one of {', '.join(repr(c) for c in options)}, got {getattr(cfg, name)!r}"
                for name, options in CHOICES.items() if getattr(cfg, name) not in options]
    if cfg.norm_bias and cfg.norm != "layernorm":
        problems.append("norm_bias needs norm = 'layernorm' (RMSNorm has no bias)")
    if not 0.0 < cfg.partial_rotary_factor <= 1.0:
        problems.append(f"partial_rotary_factor must lie in (0, 1], got {cfg.partial_rotary_factor}")
    elif cfg.rotary_dim < 2:
        problems.append(f"partial_rotary_factor {cfg.partial_rotary_factor} of head_dim {cfg.head_dim} "
                        "leaves no rotary dimension pair")
    if cfg.sliding_window < 0:
        problems.append(f"sliding_window must be >= 0, got {cfg.sliding_window}")
    if cfg.sliding_layers and cfg.sliding_window <= 0:
        problems.append("sliding_layers need a positive sliding_window")
    if any(not 0 <= i < cfg.num_layers for i in cfg.sliding_layers):
        problems.append(f"sliding layer indices {list(cfg.sliding_layers)} must lie in 0..{cfg.num_layers - 1}")
    if cfg.n_group < 1 or cfg.topk_group < 1 or cfg.topk_group > cfg.n_group:
        problems.append(f"n_group ({cfg.n_group}) and topk_group ({cfg.topk_group}) must satisfy "
                        "1 <= topk_group <= n_group")
    elif cfg.num_experts % cfg.n_group:
        problems.append(f"n_routed_experts ({cfg.num_experts}) must be a multiple of n_group ({cfg.n_group})")
    elif cfg.n_group > 1 and cfg.top_k > cfg.topk_group * (cfg.num_experts // cfg.n_group):
        problems.append(f"num_experts_per_tok ({cfg.top_k}) exceeds the experts of the topk_group "
                        f"({cfg.topk_group}) kept groups")
    if cfg.scoring == "sparsemixer" and cfg.top_k != 2:
        problems.append(f"sparsemixer routing selects exactly 2 experts, num_experts_per_tok is {cfg.top_k}")
    if cfg.routed_scaling_factor <= 0 or cfg.router_jitter < 0 or cfg.swiglu_limit < 0:
        problems.append("routed_scaling_factor must be > 0, router_jitter and swiglu_limit >= 0")
    if cfg.mtp_layers < 0:
        problems.append(f"mtp_layers must be >= 0, got {cfg.mtp_layers}")
    if cfg.is_mla and (cfg.qkv_bias or cfg.o_bias or cfg.fused_qkv or cfg.attention_sinks or cfg.attn_output_gate):
        problems.append("MLA attention (kv_lora_rank > 0) takes none of the GQA variants (biases, fused qkv, "
                        "sinks, output gate)")
    return problems
