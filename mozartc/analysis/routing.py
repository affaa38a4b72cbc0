"""The routing trace behind a mapped module, recoverable by any later pass.

``expert-cluster`` records where its trace came from (``clustering.trace_source``: a file path, or
the synthetic generator's preset, token count and seed) and leaves the trace in the pass context;
a later pass that needs per-token routing (e.g. ``a2a-dedup`` counting tokens per DRAM group) takes
it from the context or rebuilds the identical trace from the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mozartc.errors import PassError, TraceError
from mozartc.ir.attrs import Attr, Ident
from mozartc.traces.format import RoutingTrace, load_trace

if TYPE_CHECKING:
    from mozartc.cache import ResultCache


@dataclass(frozen=True)
class TraceSource:
    """Where a module's routing trace came from: ``file`` (path) or ``synthetic`` (preset, tokens, seed)."""

    kind: str
    path: str = ""
    preset: str = ""
    tokens: int = 0
    seed: int = 0

    def to_attr(self) -> dict[str, Attr]:
        """The IR attribute form."""
        if self.kind == "file":
            return {"kind": Ident("file"), "path": self.path}
        return {"kind": Ident("synthetic"), "preset": self.preset, "tokens": self.tokens, "seed": self.seed}

    @staticmethod
    def from_attr(value: object) -> TraceSource:
        """Read the IR attribute form back; :class:`PassError` when the module has none."""
        if not isinstance(value, dict) or value.get("kind") not in ("file", "synthetic"):
            raise PassError("the module records no routing trace source: run expert-cluster first")
        if value["kind"] == "file":
            return TraceSource("file", path=str(value.get("path", "")))
        tokens, seed = value.get("tokens"), value.get("seed")
        if not isinstance(tokens, int) or not isinstance(seed, int):
            raise PassError("synthetic trace source needs integer tokens and seed")
        return TraceSource("synthetic", preset=str(value.get("preset", "")), tokens=tokens, seed=seed)


def routing_for_layers(source: TraceSource, layer_ids: tuple[int, ...], experts: int, top_k: int,
                       cache: ResultCache | None = None) -> RoutingTrace:
    """The trace of ``source`` restricted to the module's MoE layers ``layer_ids`` (in that order).

    A file's layers are matched by layer id, or taken in order when it has exactly one per MoE layer.
    A synthetic trace is read from ``cache`` when it holds it (:mod:`mozartc.traces.synth_cache`).
    """
    if source.kind == "synthetic":
        from mozartc.traces.synth import synth_params
        from mozartc.traces.synth_cache import synthesize_cached

        return synthesize_cached(cache, len(layer_ids), experts, top_k, source.tokens, seed=source.seed,
                                 params=synth_params(source.preset), layer_ids=layer_ids)
    trace = load_trace(source.path)
    where = source.path
    if (trace.num_experts, trace.top_k) != (experts, top_k):
        raise TraceError(f"trace has {trace.num_experts} experts top-{trace.top_k} but the model's "
                         f"experts ops have {experts} experts top-{top_k}", where=where)
    if set(layer_ids) <= set(trace.layer_ids):
        pick = [trace.layer_ids.index(i) for i in layer_ids]
    elif trace.num_layers == len(layer_ids):
        pick = list(range(len(layer_ids)))
    else:
        raise TraceError(f"trace layers {list(trace.layer_ids)} do not cover the model's MoE layers "
                         f"{list(layer_ids)}", where=where)
    if pick == list(range(trace.num_layers)) and trace.layer_ids == layer_ids:
        return trace
    return RoutingTrace(topk=trace.topk[pick], num_experts=experts, top_k=top_k, model=trace.model,
                        source=trace.source, layer_ids=layer_ids, num_shared_experts=trace.num_shared_experts,
                        where=where)


def tokens_touching(topk: np.ndarray, owner_of_expert: np.ndarray, owners: int) -> list[int]:
    """Per owner (cluster, chiplet or group), the tokens that select at least one of its experts."""
    hit = np.zeros((topk.shape[0], owners), dtype=bool)
    hit[np.arange(topk.shape[0])[:, None], owner_of_expert[topk]] = True
    return [int(x) for x in hit.sum(axis=0)]


def tokens_touching_any(topk: np.ndarray, holds: np.ndarray) -> list[int]:
    """Per owner, the tokens that select at least one expert it holds part of.

    ``holds [experts, owners]`` is True where the owner holds (a shard of) the expert: an expert
    split over several owners touches each of them.
    """
    return [int(x) for x in holds[topk].any(axis=1).sum(axis=0)]
