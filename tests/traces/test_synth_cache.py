"""Synthetic traces in the result cache: a hit equals the drawn trace; the key follows every input."""

from __future__ import annotations

from pathlib import Path

import pytest

from mozartc.cache import ResultCache
from mozartc.traces.format import RoutingTrace
from mozartc.traces.synth import synth_params, synthesize
from mozartc.traces.synth_cache import NAMESPACE, synthesize_cached, trace_key

SHAPE = (3, 16, 2)  # layers, experts, top-k
TOKENS = 500


def _same(a: RoutingTrace, b: RoutingTrace) -> bool:
    """Every field equal, the ids as bytes of the same dtype."""
    return (a.topk.dtype == b.topk.dtype and a.topk.shape == b.topk.shape and a.topk.tobytes() == b.topk.tobytes()
            and (a.num_experts, a.top_k, a.model, a.source, a.layer_ids, a.num_shared_experts, a.where)
            == (b.num_experts, b.top_k, b.model, b.source, b.layer_ids, b.num_shared_experts, b.where))


def _draw(cache: ResultCache | None, seed: int = 1) -> RoutingTrace:
    layers, experts, top_k = SHAPE
    return synthesize_cached(cache, layers, experts, top_k, TOKENS, seed=seed, layer_ids=(1, 3, 5))


def test_a_hit_equals_the_drawn_trace(tmp_path: Path) -> None:
    drawn = synthesize(*SHAPE, TOKENS, seed=1, layer_ids=(1, 3, 5))
    cache = ResultCache(tmp_path)
    first = _draw(cache)
    assert (cache.stats.misses, cache.stats.writes, cache.stats.hits) == (1, 1, 0)
    second = _draw(cache)
    assert cache.stats.hits == 1
    assert _same(first, drawn) and _same(second, drawn) and _same(_draw(None), drawn)


def test_the_key_follows_every_input() -> None:
    params = synth_params()
    base = trace_key(3, 16, 2, TOKENS, 1, params)
    others = [trace_key(4, 16, 2, TOKENS, 1, params), trace_key(3, 32, 2, TOKENS, 1, params),
              trace_key(3, 16, 4, TOKENS, 1, params), trace_key(3, 16, 2, TOKENS + 1, 1, params),
              trace_key(3, 16, 2, TOKENS, 2, params), trace_key(3, 16, 2, TOKENS, 1, synth_params(skew=0.5))]
    assert len({base, *others}) == 1 + len(others)


@pytest.mark.parametrize("damage", [b"", b"not an npy file", "truncate"])
def test_a_damaged_entry_is_drawn_again_and_rewritten(tmp_path: Path, damage: bytes | str) -> None:
    cache = ResultCache(tmp_path)
    drawn = _draw(cache)
    entry = next((tmp_path / "v1" / NAMESPACE).rglob("*.npy"))
    entry.write_bytes(entry.read_bytes()[:100] if damage == "truncate" else damage)  # type: ignore[arg-type]
    again = ResultCache(tmp_path)
    assert _same(_draw(again), drawn)
    assert (again.stats.corrupt, again.stats.writes) == (1, 1)
    assert _same(_draw(ResultCache(tmp_path)), drawn)


def test_info_counts_array_entries(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    _draw(cache)
    assert cache.info().entries == {NAMESPACE: 1}
    assert cache.clear().entries == {NAMESPACE: 1} and cache.info().entries == {}
