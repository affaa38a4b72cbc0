"""A stretch of float32 uniforms drawn from a handed-over state, and skipped where it was handed over."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.traces.substream import Substream, skip_float32

# Draws that leave the stream in different places: float32 uniforms take 32 bits (a half may stay
# kept), bounded integers below 2**32 too, normals and doubles whole 64-bit outputs.
_DRAWS = {
    "float32": lambda rng, n: rng.random(n, dtype=np.float32),
    "float64": lambda rng, n: rng.random(n),
    "normal": lambda rng, n: rng.normal(size=n),
    "permutation": lambda rng, n: rng.permutation(n + 1),
}


def _live(state: dict[str, Any]) -> tuple[object, ...]:
    """What of a PCG64 state later draws read: a kept half only while ``has_uint32`` says it is kept."""
    kept = state["uinteger"] if state["has_uint32"] else None
    return state["state"]["state"], state["state"]["inc"], state["has_uint32"], kept


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), before=st.lists(st.tuples(st.sampled_from(sorted(_DRAWS)), st.integers(0, 9)),
                                                     max_size=4),
       count=st.integers(0, 41))
def test_fill_and_skip_match_drawing_in_order(seed: int, before: list[tuple[str, int]], count: int) -> None:
    one, two = np.random.default_rng(seed), np.random.default_rng(seed)
    for name, n in before:
        _DRAWS[name](one, n)
        _DRAWS[name](two, n)
    drawn = one.random(count, dtype=np.float32)
    handed = np.empty(count, dtype=np.float32)
    Substream().fill(two.bit_generator.state, handed)
    skip_float32(two.bit_generator, count)
    assert np.array_equal(handed, drawn)
    assert _live(two.bit_generator.state) == _live(one.bit_generator.state)
    for name in ("float32", "normal"):  # and everything after reads the same numbers
        assert np.array_equal(_DRAWS[name](two, 5), _DRAWS[name](one, 5))


def test_a_substream_is_reusable_and_leaves_the_owner_alone() -> None:
    rng = np.random.default_rng(4)
    state = rng.bit_generator.state
    sub, first, again = Substream(), np.empty(7, np.float32), np.empty(7, np.float32)
    sub.fill(state, first)
    sub.fill(state, again)
    assert np.array_equal(first, again)
    assert rng.bit_generator.state == state  # filling does not move the owner's stream
    assert np.array_equal(rng.random(7, dtype=np.float32), first)


def test_skip_needs_pcg64() -> None:
    with pytest.raises(TypeError, match="PCG64"):
        skip_float32(np.random.MT19937(0), 3)
