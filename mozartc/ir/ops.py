"""The op set of the mozartc IR: each op's operands, result kind, attributes and extra checks.

This table is the single source of truth that the verifier enforces and ``docs/ir.md`` documents.
Every op that holds weights carries ``params`` (parameter count, measured on the captured module),
``param_bytes`` (``params * bytes(dtype)``) and ``flops_per_token`` (forward FLOPs for one token,
counting a multiply-add as 2 FLOPs). Ops may carry attributes not listed here (passes annotate them,
e.g. ``clusters``); listed attributes must have the listed kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mozartc.ir.attrs import Attr, Ident
from mozartc.ir.core import Op
from mozartc.ir.types import EventType, RoutingType, TensorType, Type

# Attribute kinds: a name and a predicate on the value.
_KINDS: dict[str, Callable[[Attr], bool]] = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "pos_int": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
    "nonneg_int": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "float": lambda v: isinstance(v, float | int) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str) and not isinstance(v, Ident),
    "ident": lambda v: isinstance(v, Ident),
    "int_list": lambda v: isinstance(v, list) and all(_KINDS["int"](x) for x in v),
    "int_matrix": lambda v: isinstance(v, list) and all(_KINDS["int_list"](x) for x in v),
    "any": lambda v: True,
}

KIND_TEXT: dict[str, str] = {
    "int": "an integer", "pos_int": "a positive integer", "nonneg_int": "a non-negative integer",
    "float": "a number", "bool": "true or false", "string": "a string", "ident": "an identifier",
    "int_list": "a list of integers", "int_matrix": "a list of integer lists", "any": "any value",
}


def attr_matches(kind: str, value: Attr) -> bool:
    """True when ``value`` is of attribute kind ``kind`` (see ``KIND_TEXT``)."""
    return _KINDS[kind](value)


Check = Callable[[Op, list[Type]], list[str]]


@dataclass(frozen=True)
class OpSpec:
    """What the verifier knows about one op name."""

    name: str
    summary: str
    operands: tuple[str, ...]
    result: str  # "tensor" | "routing" | "event" | "none"
    attrs: dict[str, str] = field(default_factory=dict)
    optional: dict[str, str] = field(default_factory=dict)
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    check: Check | None = None
    variadic: bool = False  # operands are any number of dependencies (schedule steps)


COST = {"params": "nonneg_int", "param_bytes": "nonneg_int", "flops_per_token": "nonneg_int"}
ACTIVATIONS = ("swiglu", "gelu", "relu", "silu")


def _tensor(types: list[Type], i: int) -> TensorType | None:
    t = types[i] if i < len(types) else None
    return t if isinstance(t, TensorType) else None


def _same_as_input(op: Op, types: list[Type]) -> list[str]:
    """Result type equals the first operand's, and the last dim equals ``dim``."""
    x = _tensor(types, 0)
    out: list[str] = []
    if x is None:
        return [f"operand %{op.operands[0]} must be a tensor, got {types[0]}"]
    if op.result is not None and op.result.type != x:
        out.append(f"result type {op.result.type} must equal the input type {x}")
    if "dim" in op.attrs and x.shape and x.shape[-1] != op.attrs["dim"]:
        out.append(f"dim = {op.attrs['dim']} but the input's last dimension is {x.shape[-1]}")
    return out


def _check_attention(op: Op, types: list[Type]) -> list[str]:
    out = _same_as_input(op, types)
    heads, kv = op.attrs.get("heads"), op.attrs.get("kv_heads")
    if isinstance(heads, int) and isinstance(kv, int) and kv > 0 and heads % kv:
        out.append(f"heads ({heads}) must be a multiple of kv_heads ({kv})")
    return out


def _check_router(op: Op, types: list[Type]) -> list[str]:
    out: list[str] = []
    experts, top_k = op.attrs.get("experts"), op.attrs.get("top_k")
    if isinstance(experts, int) and isinstance(top_k, int) and top_k > experts:
        out.append(f"top_k ({top_k}) exceeds experts ({experts})")
    groups, kept = op.attrs.get("n_group"), op.attrs.get("topk_group")
    if isinstance(groups, int) and isinstance(experts, int) and groups > 0 and experts % groups:
        out.append(f"experts ({experts}) must be a multiple of n_group ({groups})")
    if isinstance(groups, int) and isinstance(kept, int) and kept > groups:
        out.append(f"topk_group ({kept}) exceeds n_group ({groups})")
    x = _tensor(types, 0)
    if x is None:
        return [*out, f"operand %{op.operands[0]} must be a tensor, got {types[0]}"]
    if "dim" in op.attrs and x.shape and x.shape[-1] != op.attrs["dim"]:
        out.append(f"dim = {op.attrs['dim']} but the input's last dimension is {x.shape[-1]}")
    tokens = x.numel // x.shape[-1] if x.shape and x.shape[-1] else 0
    rtype = op.result.type if op.result is not None else None
    if not isinstance(rtype, RoutingType):
        out.append(f"result must be routing<{tokens}x{top_k}>, got {rtype}")
    elif (rtype.tokens, rtype.k) != (tokens, top_k):
        out.append(f"result must be routing<{tokens}x{top_k}> (tokens x top_k), got {rtype}")
    return out


def _check_experts(op: Op, types: list[Type]) -> list[str]:
    out = _same_as_input(op, types[:1])
    experts, top_k = op.attrs.get("experts"), op.attrs.get("top_k")
    if isinstance(experts, int) and isinstance(top_k, int) and top_k > experts:
        out.append(f"top_k ({top_k}) exceeds experts ({experts})")
    routing = types[1] if len(types) > 1 else None
    if not isinstance(routing, RoutingType):
        out.append(f"operand %{op.operands[1]} must be routing, got {routing}")
    elif routing.k != top_k:
        out.append(f"top_k = {top_k} but the routing operand selects {routing.k} experts per token")
    per, total = op.attrs.get("expert_params"), op.attrs.get("params")
    if isinstance(per, int) and isinstance(total, int) and isinstance(experts, int) and per * experts != total:
        out.append(f"params ({total}) must equal experts x expert_params ({experts} x {per})")
    clusters, shards = op.attrs.get("clusters"), op.attrs.get("expert_shards")
    if isinstance(shards, list) and isinstance(experts, int) and (
            len(shards) != experts or any(not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in shards)):
        out.append(f"expert_shards must give a positive shard count for each of the {experts} experts")
    elif isinstance(clusters, list) and isinstance(experts, int):
        times = [s if isinstance(s, int) else 1 for s in shards] if isinstance(shards, list) else [1] * experts
        flat = sorted(e for c in clusters if isinstance(c, list) for e in c if isinstance(e, int))
        wanted = sorted(e for e in range(experts) for _ in range(times[e]))
        if flat != wanted:
            out.append(f"clusters must hold every expert 0..{experts - 1} exactly once"
                       + (" per shard (expert_shards)" if isinstance(shards, list) else ""))
        if isinstance(shards, list) and any(len(c) != 1 for c in clusters if isinstance(c, list)):
            out.append("with split experts (expert_shards) every cluster holds exactly one shard")
    return out


def _check_add(op: Op, types: list[Type]) -> list[str]:
    if len(types) == 2 and types[0] != types[1]:
        return [f"operands must have equal types, got {types[0]} and {types[1]}"]
    return _same_as_input(op, types)


def _check_embed(op: Op, types: list[Type]) -> list[str]:
    x = _tensor(types, 0)
    if x is None or x.dtype not in ("i64", "i32"):
        return [f"operand %{op.operands[0]} must be an integer tensor of token ids, got {types[0]}"]
    rtype = op.result.type if op.result is not None else None
    if not isinstance(rtype, TensorType) or rtype.shape != (*x.shape, op.attrs.get("dim")):
        return [f"result must be tensor<{'x'.join(map(str, x.shape))}x{op.attrs.get('dim')}x..>, got {rtype}"]
    return []


def _check_lm_head(op: Op, types: list[Type]) -> list[str]:
    x = _tensor(types, 0)
    if x is None:
        return [f"operand %{op.operands[0]} must be a tensor, got {types[0]}"]
    out: list[str] = []
    if x.shape and x.shape[-1] != op.attrs.get("dim"):
        out.append(f"dim = {op.attrs.get('dim')} but the input's last dimension is {x.shape[-1]}")
    rtype = op.result.type if op.result is not None else None
    want = (*x.shape[:-1], op.attrs.get("vocab"))
    if not isinstance(rtype, TensorType) or rtype.shape != want:
        out.append(f"result shape must be {'x'.join(map(str, want))}, got {rtype}")
    return out


def _check_step(op: Op, types: list[Type]) -> list[str]:
    """Schedule steps depend on events only."""
    bad = [name for name, t in zip(op.operands, types, strict=True) if not isinstance(t, EventType)]
    return [f"dependency %{bad[0]} must be an event (a schedule step)"] if bad else []


# Schedule steps (the stream-schedule pass): operands are the steps this one waits for.
_STEP = {"phase": "ident", "mb": "nonneg_int", "layer": "nonneg_int"}
STEP_PHASES = ("fwd", "bwd", "update")
SCHEDULE_SPECS = tuple(
    OpSpec(name, summary, ("deps",), "event", {**_STEP, **extra}, optional, choices={"phase": STEP_PHASES},
           check=_check_step, variadic=True)
    for name, summary, extra, optional in (
        ("load_weights", "Stream a block's weights from DRAM into chiplet SRAM.",
         {"block": "ident", "bytes": "nonneg_int"}, {}),
        ("compute", "Run a block's math on its chiplets (attention, experts, dense MLP, shared experts).",
         {"block": "ident", "flops": "nonneg_int"}, {}),
        ("dispatch", "All-to-all: send each token's activations to the chiplets of its experts.",
         {"bytes": "nonneg_int"}, {}),
        ("combine", "All-to-all back: return expert outputs to the attention chiplet (reduced in switches).",
         {"bytes": "nonneg_int"}, {}),
        ("save_act", "Write activations needed by the backward pass to DRAM (block: whose chiplets save).",
         {"bytes": "nonneg_int"}, {"block": "ident"}),
        ("load_act", "Read saved activations back for the backward pass (block: whose chiplets read).",
         {"bytes": "nonneg_int"}, {"block": "ident"}),
        ("load_grads", "Read a block's partial gradients (accumulated over micro-batches) from DRAM.",
         {"block": "ident", "bytes": "nonneg_int"}, {}),
        ("store_grads", "Write a block's partial gradients to DRAM.", {"block": "ident", "bytes": "nonneg_int"}, {}),
        ("update", "Optimizer step of a block on its chiplets.", {"block": "ident", "flops": "nonneg_int"}, {}),
        ("store_weights", "Write updated weights (and optimizer state) back to DRAM.",
         {"block": "ident", "bytes": "nonneg_int"}, {}),
    )
)

_FFN = {"dim": "pos_int", "ffn_dim": "pos_int", "act": "ident", **COST}

OP_SPECS: dict[str, OpSpec] = {
    spec.name: spec
    for spec in (
        OpSpec("input", "Token ids of one micro-batch: tensor<B x S x i64>.", (), "tensor"),
        OpSpec("embed", "Token embedding lookup (vocab x dim table).", ("tokens",), "tensor",
               {"vocab": "pos_int", "dim": "pos_int", **COST}, check=_check_embed),
        OpSpec("rmsnorm", "RMSNorm over the last dimension (variant = layernorm: LayerNorm).", ("x",), "tensor",
               {"dim": "pos_int", **COST}, {"eps": "float", "variant": "ident", "bias": "bool"},
               {"variant": ("rmsnorm", "layernorm")}, check=_same_as_input),
        OpSpec("attention", "Grouped-query self-attention block (q/k/v/o projections, softmax).", ("x",),
               "tensor", {"heads": "pos_int", "kv_heads": "pos_int", "head_dim": "pos_int", "dim": "pos_int",
                          **COST},
               {"qk_norm": "ident", "causal": "bool", "qkv_bias": "bool", "o_bias": "bool", "fused_qkv": "bool",
                "sinks": "bool", "output_gate": "bool", "rotary_dim": "pos_int", "sliding_window": "pos_int"},
               {"qk_norm": ("none", "head", "full")}, check=_check_attention),
        OpSpec("router", "Top-k router (softmax, sigmoid or sparsemixer scores): picks top_k of experts per token.",
               ("x",), "routing", {"experts": "pos_int", "top_k": "pos_int", "dim": "pos_int", **COST},
               {"norm_topk_prob": "bool", "scoring": "ident", "bias": "bool", "score_bias": "bool",
                "n_group": "pos_int", "topk_group": "pos_int", "topk_method": "ident",
                "routed_scaling_factor": "float"},
               {"scoring": ("softmax", "sigmoid", "sparsemixer"),
                "topk_method": ("greedy", "group_limited_greedy", "noaux_tc")}, check=_check_router),
        OpSpec("experts", "Routed SwiGLU experts applied to each token's top_k choices.", ("x", "routing"),
               "tensor", {"experts": "pos_int", "top_k": "pos_int", "expert_params": "nonneg_int", **_FFN},
               {"clusters": "int_matrix", "expert_shards": "int_list", "C_T": "float", "expert_load": "int_list",
                "cluster_tokens": "int_list", "trace_tokens": "pos_int", "chiplets": "int_list",
                "group_load": "int_list", "a2a_dedup": "bool", "switch_multicast": "bool", "switch_reduce": "bool",
                "relay_chunks": "pos_int", "dispatch_bytes": "int_list", "uplink_bytes": "int_list",
                "group_bytes": "int_list", "bias": "bool", "swiglu_limit": "float"},
               {"act": ACTIVATIONS}, check=_check_experts),
        OpSpec("shared_experts", "Always-active shared experts (fused into one FFN).", ("x",), "tensor",
               {"experts": "pos_int", **_FFN}, {"gated": "bool"}, {"act": ACTIVATIONS}, check=_same_as_input),
        OpSpec("mlp", "Dense FFN of a non-MoE layer.", ("x",), "tensor", dict(_FFN),
               choices={"act": ACTIVATIONS}, check=_same_as_input),
        OpSpec("add", "Elementwise sum (residual connection, expert output combine).", ("a", "b"), "tensor",
               {"flops_per_token": "nonneg_int"}, check=_check_add),
        OpSpec("lm_head", "Output projection to vocabulary logits.", ("x",), "tensor",
               {"vocab": "pos_int", "dim": "pos_int", "tied": "bool", **COST}, {"bias": "bool"},
               check=_check_lm_head),
        OpSpec("output", "Marks the module's result.", ("x",), "none"),
        *SCHEDULE_SPECS,
    )
}

# Region kinds and whether they take an index.
REGION_KINDS: dict[str, bool] = {"layer": True, "schedule": False}

# Module attributes every module has.
MODULE_ATTRS: dict[str, str] = {"dtype": "ident", "seq_len": "pos_int", "micro_batch": "pos_int"}
