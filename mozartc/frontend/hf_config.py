"""Read a Hugging Face ``config.json`` into a :class:`MoEConfig`, checking every field it uses.

Field names by ``model_type`` (anything else is read with the generic names, i.e. the union below):

=================== ================================ ====================================================
MoEConfig           Qwen3-MoE / generic              DeepSeek-MoE / V2              OLMoE
=================== ================================ ====================================================
num_experts         num_experts                      n_routed_experts               num_experts
top_k               num_experts_per_tok              num_experts_per_tok            num_experts_per_tok
moe_intermediate    moe_intermediate_size            moe_intermediate_size          intermediate_size
intermediate_size   intermediate_size (dense)        intermediate_size (dense)      (none)
shared experts      shared_expert_intermediate_size  n_shared_experts x             --
                    (Qwen2-MoE, one expert)          moe_intermediate_size
dense layers        mlp_only_layers,                 first_k_dense_replace,         --
                    decoder_sparse_step              moe_layer_freq
head_dim            head_dim, else hidden/heads      qk_nope + qk_rope (MLA)        hidden/heads
q/k norm            head (qwen3_moe)                 none                           full
=================== ================================ ====================================================

Common: vocab_size, hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads
(default: num_attention_heads), tie_word_embeddings (default false), norm_topk_prob (default
false), rms_norm_eps, rope_theta; MLA (DeepSeek-V2): q_lora_rank (null = none), kv_lora_rank,
qk_nope_head_dim, qk_rope_head_dim, v_head_dim. Any problem raises :class:`FrontendError` with
``where`` = the file and the field named in the message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mozartc.errors import FrontendError
from mozartc.frontend.config import MoEConfig

EXPERT_FIELDS = ("num_experts", "n_routed_experts", "num_local_experts")
QK_NORM = {"qwen3_moe": "head", "olmoe": "full"}
EXPERT_SIZE_IS_INTERMEDIATE = ("olmoe", "mixtral")


class _Fields:
    """Typed access to the raw JSON object; every failure names the file and the field."""

    def __init__(self, raw: dict[str, Any], where: str) -> None:
        self.raw, self.where = raw, where

    def fail(self, field: str, message: str) -> FrontendError:
        return FrontendError(f"field '{field}': {message}", where=self.where)

    def has(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def first(self, names: tuple[str, ...]) -> str | None:
        return next((n for n in names if self.has(n)), None)

    def integer(self, name: str, default: int | None = None, minimum: int = 1) -> int:
        value = self.raw.get(name)
        if value is None:
            if default is None:
                raise self.fail(name, "missing (required)")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"must be an integer, got {json.dumps(value)}")
        if value < minimum:
            raise self.fail(name, f"must be >= {minimum}, got {value}")
        return value

    def number(self, name: str, default: float) -> float:
        value = self.raw.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(name, f"must be a positive number, got {json.dumps(value)}")
        return float(value)

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(name, f"must be true or false, got {json.dumps(value)}")
        return value

    def int_list(self, name: str) -> list[int]:
        value = self.raw.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            raise self.fail(name, f"must be a list of integers, got {json.dumps(value)}")
        return list(value)


def config_path(path: Path) -> Path:
    """``path`` itself, or ``path/config.json`` when it is a folder."""
    if path.is_dir():
        path = path / "config.json"
    if not path.is_file():
        raise FrontendError("no such config.json (expected a file, or a folder holding config.json)",
                            where=str(path))
    return path


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; FrontendError with line:column when it is not JSON."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FrontendError(f"not valid JSON: {exc.msg}", where=f"{path}:{exc.lineno}:{exc.colno}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FrontendError(f"cannot read the file: {exc}", where=str(path)) from None
    if not isinstance(raw, dict):
        raise FrontendError(f"must hold a JSON object, got {type(raw).__name__}", where=str(path))
    return raw


def model_name(path: Path) -> str:
    """The model's name: the folder's name for ``.../name/config.json``, else the file's stem."""
    return path.parent.name if path.name == "config.json" and path.parent.name else path.stem


def dense_layers(f: _Fields, layers: int, first_k: int) -> tuple[int, ...]:
    """Layers (at or after ``first_k``) without routed experts: Qwen ``mlp_only_layers`` and
    ``decoder_sparse_step`` (MoE iff ``(i+1) % step == 0``), DeepSeek ``moe_layer_freq`` (MoE iff
    ``i % freq == 0``)."""
    only = f.int_list("mlp_only_layers")
    for i in only:
        if not 0 <= i < layers:
            raise f.fail("mlp_only_layers", f"layer index {i} outside 0..{layers - 1}")
    step = f.integer("decoder_sparse_step", 1)
    freq = f.integer("moe_layer_freq", 1)
    dense = {i for i in range(first_k, layers) if i in only or (i + 1) % step or i % freq}
    return tuple(sorted(dense))


def mla_fields(f: _Fields) -> dict[str, int]:
    """DeepSeek-V2 MLA shape fields (empty when ``kv_lora_rank`` is absent)."""
    if not f.has("kv_lora_rank"):
        return {}
    return {
        "q_lora_rank": f.integer("q_lora_rank", 0, minimum=0), "kv_lora_rank": f.integer("kv_lora_rank"),
        "qk_nope_head_dim": f.integer("qk_nope_head_dim"), "qk_rope_head_dim": f.integer("qk_rope_head_dim"),
        "v_head_dim": f.integer("v_head_dim"),
    }


def config_from_dict(raw: dict[str, Any], name: str, where: str) -> MoEConfig:
    """Map the public field names (see the module docstring) onto :class:`MoEConfig`."""
    f = _Fields(raw, where)
    model_type = raw.get("model_type", "")
    if not isinstance(model_type, str):
        raise f.fail("model_type", f"must be a string, got {json.dumps(model_type)}")
    hidden, heads, layers = f.integer("hidden_size"), f.integer("num_attention_heads"), f.integer("num_hidden_layers")
    experts_field = f.first(EXPERT_FIELDS)
    if experts_field is None:
        raise f.fail(EXPERT_FIELDS[0], f"missing: an MoE config needs one of {', '.join(EXPERT_FIELDS)}")
    expert_size_field = "intermediate_size" if model_type in EXPERT_SIZE_IS_INTERMEDIATE else "moe_intermediate_size"
    mla = mla_fields(f)
    head_dim = mla["qk_nope_head_dim"] + mla["qk_rope_head_dim"] if mla else f.integer("head_dim", hidden // heads)
    first_k = f.integer("first_k_dense_replace", 0, minimum=0)
    shared, shared_size = 0, 0
    if f.has("n_shared_experts") or f.has("num_shared_experts"):
        shared = f.integer("n_shared_experts" if f.has("n_shared_experts") else "num_shared_experts", minimum=0)
        shared_size = f.integer(expert_size_field) if shared else 0
    elif f.has("shared_expert_intermediate_size"):
        shared, shared_size = 1, f.integer("shared_expert_intermediate_size")
    dense = dense_layers(f, layers, min(first_k, layers))
    needs_dense = bool(dense) or first_k > 0
    if expert_size_field == "intermediate_size":  # OLMoE: intermediate_size is the expert size
        dense_size = 0
    else:
        dense_size = f.integer("intermediate_size") if needs_dense else f.integer("intermediate_size", 0, minimum=0)
    values: dict[str, Any] = dict(
        name=name, vocab_size=f.integer("vocab_size"), hidden_size=hidden, num_layers=layers, num_heads=heads,
        num_kv_heads=f.integer("num_key_value_heads", heads), head_dim=head_dim,
        num_experts=f.integer(experts_field), top_k=f.integer("num_experts_per_tok"),
        moe_intermediate_size=f.integer(expert_size_field),
        intermediate_size=dense_size,
        num_shared_experts=shared, shared_intermediate_size=shared_size, first_k_dense=first_k,
        dense_layers=dense, tie_word_embeddings=f.flag("tie_word_embeddings", False),
        norm_topk_prob=f.flag("norm_topk_prob", False), qk_norm=QK_NORM.get(model_type, "none"),
        rms_norm_eps=f.number("rms_norm_eps", 1e-6), rope_theta=f.number("rope_theta", 10000.0),
        source=where, **mla,
    )
    try:
        return MoEConfig(**values)
    except FrontendError as exc:
        raise FrontendError(exc.message, where=where) from None


def load_config(path: str | Path) -> MoEConfig:
    """The :class:`MoEConfig` of a ``config.json`` file or a folder holding one."""
    file = config_path(Path(path))
    return config_from_dict(read_json(file), model_name(file), str(file))
