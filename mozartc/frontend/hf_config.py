"""Read a Hugging Face ``config.json`` into a :class:`MoEConfig`: one reader per ``model_type``.

Every field of the file is accounted for. A field is either *modelled* (read and turned into the
architecture), *harmless* (a training, runtime or bookkeeping field that changes no parameter and no
FLOP: dtypes, token ids, dropout, initialisation, context length, RoPE scaling, quantisation, aux-loss
weights, scalar multipliers) or *refused*: a :class:`FrontendError` naming the file, the field and what
is not modelled (Mamba layers, linear attention, cross-attention, a vision encoder, a non-SiLU FFN, ...).
A field that is none of these is refused too, because mozartc cannot tell whether it changes the
architecture. So is an unknown ``model_type`` and a model without MoE layers. A config without
``model_type`` is read with the generic (Llama-style) names.

This module finds the reader of the file's ``model_type`` and refuses dense, state-space and unknown
types. The readers and :data:`~mozartc.frontend.hf_families.FAMILIES` (per ``model_type``, the fields each
reader models and those it ignores as harmless besides
:data:`~mozartc.frontend.hf_fields.COMMON_HARMLESS`; docs/frontend.md has the table) are in
:mod:`mozartc.frontend.hf_families`; the field accounting is :class:`~mozartc.frontend.hf_fields.Fields`.
Qwen3.5-MoE configs keep the text model under ``text_config``, which is read as the config (fields
named ``text_config.x``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mozartc.errors import FrontendError
from mozartc.frontend.config import MoEConfig
from mozartc.frontend.hf_families import FAMILIES
from mozartc.frontend.hf_fields import Family, Fields
from mozartc.frontend.hf_shared import refuse_cross_attention

#: ``model_type`` values of dense (non-MoE) decoders: refused with "no MoE layers".
DENSE_MODEL_TYPES = frozenset({
    "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3", "gemma3_text", "phi", "phi3",
    "olmo", "olmo2", "granite", "gpt2", "gpt_neox", "gptj", "falcon", "mpt", "starcoder2", "cohere",
    "cohere2", "glm", "glm4", "internlm2", "exaone", "stablelm", "bloom", "opt",
})

#: ``model_type`` values refused as a whole, with the reason.
REFUSED_MODEL_TYPES = {
    "mamba": "Mamba layers are not modelled (a state-space model)",
    "mamba2": "Mamba layers are not modelled (a state-space model)",
    "falcon_mamba": "Mamba layers are not modelled (a state-space model)",
    "granitemoehybrid": "Mamba layers are not modelled (Granite 4 hybrid)",
    "nemotron_h": "Mamba layers are not modelled (Nemotron-H hybrid)",
    "mllama": "cross-attention layers are not modelled (Llama 3.2 Vision)",
    "llama4": "its vision encoder and chunked/NoPE attention layers are not modelled",
    "switch_transformers": "encoder-decoder models (cross-attention) are not modelled",
    "nllb_moe": "encoder-decoder models (cross-attention) are not modelled",
}

#: Configs whose text model is nested: model_type -> (field, model_type of the nested object).
NESTED = {"qwen3_5_moe": ("text_config", "qwen3_5_moe_text")}
NESTED_HARMLESS = ("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id")


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


def _family(f: Fields, model_type: str) -> Family:
    """The reader of ``model_type``; refusals for dense, refused and unknown types."""
    if model_type in FAMILIES:
        return FAMILIES[model_type]
    if model_type in DENSE_MODEL_TYPES:
        raise f.fail("model_type", f"'{model_type}' is a dense model: no MoE layers (mozartc maps "
                                   "Mixture-of-Experts models)")
    if model_type in REFUSED_MODEL_TYPES:
        raise f.fail("model_type", f"'{model_type}': {REFUSED_MODEL_TYPES[model_type]}")
    known = sorted(t for t in (*FAMILIES, *NESTED) if t)
    raise f.fail("model_type", f"unknown model_type '{model_type}'; mozartc reads {', '.join(known)} "
                               "(docs/frontend.md)")


def _read(f: Fields) -> dict[str, Any]:
    """MoEConfig fields of the (possibly nested) config in ``f``."""
    model_type = f.string("model_type", "")
    refuse_cross_attention(f)
    if model_type in NESTED:
        field, inner_type = NESTED[model_type]
        text = f.obj(field)
        if text is None:
            raise f.fail(field, f"missing: a {model_type} config keeps its text model there")
        inner = text.string("model_type", inner_type, (inner_type,))
        family = FAMILIES[inner]
        refuse_cross_attention(text)
        values = family.read(text)
        text.check_all_known(family)
        tied = f.flag("tie_word_embeddings", False)  # the top level's, unless the text model has its own
        if not text.has("tie_word_embeddings"):
            values["tie_word_embeddings"] = tied
        if f.has("vision_config"):
            raise f.refuse("vision_config", "the vision encoder is not modelled",
                           f"to capture the text model alone, save the '{field}' object as its own config.json")
        f.allow(*NESTED_HARMLESS)
        f.check_all_known(family)
        return values
    family = _family(f, model_type)
    values = family.read(f)
    f.check_all_known(family)
    return values


def _no_moe_layers(values: dict[str, Any], where: str) -> None:
    """Refuse a config whose interleaving rules leave every layer dense."""
    layers = values.get("num_layers", 0)
    first_k, dense = values.get("first_k_dense", 0), set(values.get("dense_layers", ()))
    if layers and all(i < first_k or i in dense for i in range(layers)):
        raise FrontendError(f"no MoE layers: the interleaving fields leave all {layers} layers dense", where=where)


def config_from_dict(raw: dict[str, Any], name: str, where: str) -> MoEConfig:
    """Read the fields of ``raw`` (see the module docstring) into a :class:`MoEConfig`."""
    values = _read(Fields(raw, where))
    _no_moe_layers(values, where)
    try:
        return MoEConfig(name=name, source=where, **values)
    except FrontendError as exc:
        raise FrontendError(exc.message, where=where) from None


def load_config(path: str | Path) -> MoEConfig:
    """The :class:`MoEConfig` of a ``config.json`` file or a folder holding one."""
    file = config_path(Path(path))
    return config_from_dict(read_json(file), model_name(file), str(file))
