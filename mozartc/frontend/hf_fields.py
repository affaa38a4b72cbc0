"""Typed, recorded access to the fields of a ``config.json`` object, and a family's field lists.

:class:`Fields` reads one JSON object: typed getters whose failures name the file and the field, and a
record of every field read, so :meth:`Fields.check_all_known` can refuse a field that is neither read
nor harmless. :class:`Family` declares, for one ``model_type``, its reader and the fields it models,
ignores as harmless (besides :data:`COMMON_HARMLESS`) and refuses.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mozartc.errors import FrontendError

#: Fields of any config that change no parameter and no FLOP (``PretrainedConfig`` bookkeeping,
#: generation defaults, token ids, dtypes, dropout, initialisation, context length and RoPE scaling,
#: quantisation of the released weights, auxiliary-loss weights).
COMMON_HARMLESS = frozenset({
    "_name_or_path", "_commit_hash", "_attn_implementation", "_attn_implementation_autoset",
    "architectures", "auto_map", "transformers_version", "torch_dtype", "dtype", "use_bfloat16",
    "use_cache", "return_dict", "output_hidden_states", "output_attentions", "output_router_logits",
    "torchscript", "tf_legacy_loss", "pruned_heads", "chunk_size_feed_forward", "is_decoder",
    "tie_encoder_decoder", "cross_attention_hidden_size", "finetuning_task", "id2label", "label2id",
    "num_labels", "problem_type", "task_specific_params", "tokenizer_class", "prefix",
    "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "decoder_start_token_id",
    "max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups",
    "diversity_penalty", "temperature", "top_k", "top_p", "typical_p", "repetition_penalty",
    "length_penalty", "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "bad_words_ids",
    "num_return_sequences", "output_scores", "return_dict_in_generate", "forced_bos_token_id",
    "forced_eos_token_id", "remove_invalid_values", "exponential_decay_length_penalty",
    "suppress_tokens", "begin_suppress_tokens",
    "initializer_range", "max_position_embeddings", "rope_scaling", "quantization_config",
    "attention_dropout", "hidden_dropout", "router_aux_loss_coef", "router_z_loss_coef",
})


class Fields:
    """Typed access to a JSON object; records every field it reads; failures name the file and field."""

    def __init__(self, raw: dict[str, Any], where: str, prefix: str = "") -> None:
        self.raw, self.where, self.prefix = raw, where, prefix
        self.seen: set[str] = set()

    def key(self, name: str) -> str:
        """The field's name in messages (``text_config.layer_types`` for nested objects)."""
        return self.prefix + name

    def fail(self, field: str, message: str) -> FrontendError:
        return FrontendError(f"field '{self.key(field)}': {message}", where=self.where)

    def refuse(self, field: str, what: str, detail: str) -> FrontendError:
        """The error for an architecture feature mozartc does not model."""
        return self.fail(field, f"{what} ({detail})")

    def allow(self, *names: str) -> None:
        """Mark fields as accounted for (harmless, or checked elsewhere)."""
        self.seen.update(names)

    def get(self, name: str) -> Any:
        self.seen.add(name)
        return self.raw.get(name)

    def has(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def first(self, names: tuple[str, ...]) -> str | None:
        return next((n for n in names if self.has(n)), None)

    def integer(self, name: str, default: int | None = None, minimum: int = 1) -> int:
        value = self.get(name)
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
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(name, f"must be a positive number, got {json.dumps(value)}")
        return float(value)

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(name, f"must be true or false, got {json.dumps(value)}")
        return value

    def string(self, name: str, default: str, choices: tuple[str, ...] | None = None) -> str:
        value = self.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.fail(name, f"must be a string, got {json.dumps(value)}")
        if choices is not None and value not in choices:
            raise self.fail(name, f"'{value}' is not modelled; mozartc models {', '.join(repr(c) for c in choices)}")
        return value

    def int_list(self, name: str) -> list[int]:
        value = self.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            raise self.fail(name, f"must be a list of integers, got {json.dumps(value)}")
        return list(value)

    def str_list(self, name: str) -> list[str] | None:
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
            raise self.fail(name, f"must be a list of strings, got {json.dumps(value)}")
        return list(value)

    def obj(self, name: str) -> Fields | None:
        """The nested object ``name`` (fields named ``name.x`` in messages), or None when absent."""
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(name, f"must be a JSON object, got {json.dumps(value)}")
        return Fields(value, self.where, f"{self.key(name)}.")

    def check_all_known(self, family: Family) -> None:
        """Refuse the first field that is neither read nor harmless for ``family``."""
        known = self.seen | COMMON_HARMLESS | set(family.harmless)
        for name in self.raw:
            if name in known or name.startswith("_"):
                continue
            guess = difflib.get_close_matches(name, sorted(known | set(family.modelled)), n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            raise self.fail(name, f"not a known field of {family.title} configs{hint}: mozartc refuses fields "
                                  "it does not know, since it cannot tell whether they change the architecture "
                                  "(docs/frontend.md lists the fields of each model_type)")


@dataclass(frozen=True)
class Family:
    """How one ``model_type`` is read: the reader, its modelled fields and its harmless ones."""

    model_type: str
    title: str
    read: Callable[[Fields], dict[str, Any]]
    modelled: tuple[str, ...]
    harmless: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
