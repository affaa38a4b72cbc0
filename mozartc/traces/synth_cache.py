"""Synthetic traces kept in the result cache, so a compile that draws the same trace again reads it.

A synthetic trace depends only on its shape (layers, experts, top-k), the token count, the seed, the
generator's parameters and the generator's code, so the cache (:mod:`mozartc.cache`, namespace
``synthetic-trace``) stores its ``topk`` array under the sha256 of those (:func:`trace_key`; the code
enters as the digest of ``synth.py``, ``race.py`` and ``substream.py``, with the mozartc and numpy versions). A hit
gives a :class:`RoutingTrace` equal to the one :func:`synthesize` draws: the same ids, dtype and
metadata (``layer_ids`` only label the layers; they do not change the draws).
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import numpy as np

from mozartc.cache import ResultCache, code_fingerprint, content_key
from mozartc.traces.format import RoutingTrace, _file_dtype, _index_dtype
from mozartc.traces.synth import (
    DEFAULT_PRESET,
    SYNTH_PRESETS,
    SynthParams,
    default_jobs,
    synthesize,
    synthetic_source,
)

#: the cache namespace of synthetic traces
NAMESPACE = "synthetic-trace"
#: bump when what is stored changes
FORMAT = 1
_SOURCES = ("synth.py", "race.py", "substream.py")


@lru_cache(maxsize=1)
def generator_fingerprint() -> dict[str, str]:
    """The mozartc and numpy versions and the sha256 of the generator's sources (once per process)."""
    folder = Path(__file__).resolve().parent
    return code_fingerprint([folder / name for name in _SOURCES], ("numpy",))


def trace_key(num_layers: int, num_experts: int, top_k: int, tokens: int, seed: int, params: SynthParams) -> str:
    """The content key of a synthetic trace (module docstring)."""
    return content_key({"format": FORMAT, **generator_fingerprint(), "layers": num_layers, "experts": num_experts,
                        "top_k": top_k, "tokens": tokens, "seed": seed, "params": asdict(params)})


def synthesize_cached(cache: ResultCache | None, num_layers: int, num_experts: int, top_k: int, tokens: int, *,
                      seed: int = 0, params: SynthParams | None = None,
                      layer_ids: tuple[int, ...] = ()) -> RoutingTrace:
    """:func:`synthesize` (model name empty, no shared experts), read from ``cache`` when it holds the
    trace and stored there when it does not; ``cache=None`` always draws. A large trace is drawn on
    every core (:func:`default_jobs`; the same ids)."""
    p = params or SYNTH_PRESETS[DEFAULT_PRESET]
    jobs = default_jobs(num_layers, tokens, num_experts)
    if cache is None:
        return synthesize(num_layers, num_experts, top_k, tokens, seed=seed, params=p, layer_ids=layer_ids, jobs=jobs)
    key = trace_key(num_layers, num_experts, top_k, tokens, seed, p)
    stored = np.dtype(_file_dtype(num_experts))  # one byte an id up to 256 experts, as trace files
    topk = cache.get_array(NAMESPACE, key, (num_layers, tokens, top_k), stored)
    if topk is not None:
        return RoutingTrace(topk=topk.astype(_index_dtype(num_experts)), num_experts=num_experts, top_k=top_k,
                            source=synthetic_source(seed, p), layer_ids=layer_ids, where="<synthetic>", owned=True)
    trace = synthesize(num_layers, num_experts, top_k, tokens, seed=seed, params=p, layer_ids=layer_ids, jobs=jobs)
    cache.put_array(NAMESPACE, key, trace.topk.astype(stored))
    return trace
