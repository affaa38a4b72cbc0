"""The fast generator kernel against plain numpy: same uniforms, same top-k, same traces as before."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.traces.race import Scratch, one_minus_uniform, top_k_desc, uniform_words
from mozartc.traces.synth import SYNTH_PRESETS, SynthParams, synthesize
from tests.traces.synth_reference import reference_topk


@pytest.mark.parametrize("counts", [(10,), (7, 5, 3), (1, 1, 4, 9), (0, 3, 0, 2)])
@pytest.mark.parametrize("warmup", [0, 1, 2])
def test_uniform_words_replay_numpy_float32_uniforms(counts: tuple[int, ...], warmup: int) -> None:
    """Odd counts leave PCG64's half-word for the next call; a permutation may leave one too."""
    ours, theirs = np.random.default_rng(5), np.random.default_rng(5)
    for rng in (ours, theirs):
        rng.permutation(warmup * 17 + 3)
    for count in counts:
        expected = theirs.random(count, dtype=np.float32)
        words = uniform_words(ours.bit_generator, count)
        assert np.array_equal((words >> 8).astype(np.float32) * np.float32(2.0**-24), expected)
        one_minus = one_minus_uniform(words.reshape(1, -1), Scratch())[0]
        assert np.array_equal(one_minus.view(np.uint32), (np.float32(1.0) - expected).view(np.uint32))
    a, b = ours.bit_generator.state, theirs.bit_generator.state
    assert (a["state"], a["has_uint32"]) == (b["state"], b["has_uint32"])  # uinteger is stale unless kept
    assert np.array_equal(ours.random(3, dtype=np.float32), theirs.random(3, dtype=np.float32))


def _reference_top_k(key: np.ndarray, k: int) -> np.ndarray:
    """The replaced generator's selection: argpartition, then a stable sort by descending key."""
    width = key.shape[1]
    part = np.argpartition(key, width - k, axis=1)[:, width - k:]
    order = np.argsort(-np.take_along_axis(key, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 40), width=st.integers(1, 70), data=st.data())
def test_top_k_matches_stable_sort(rows: int, width: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(1, width))
    levels = data.draw(st.sampled_from([3, 50, 1 << 20]))  # few levels: many exact ties
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    key = -(rng.integers(0, levels, size=(rows, width)).astype(np.float32) * np.float32(0.37))  # 0 included
    ours = top_k_desc(key, k, Scratch())
    assert np.array_equal(ours, _reference_top_k(key, k))
    chosen = np.take_along_axis(key, ours, axis=1)
    assert (np.diff(chosen, axis=1) <= 0).all()  # largest first
    assert (chosen[:, -1] >= np.sort(key, axis=1)[:, width - k]).all()  # nothing larger left out


def test_top_k_near_ties_and_wide_rows() -> None:
    """Keys one ulp apart (equal after the id bits are packed in) and more ids than a uint32 holds."""
    base = np.float32(-1.5)
    near = np.array([[np.nextafter(base, np.float32(-2)), base, -3.0, np.nextafter(base, np.float32(0))]],
                    dtype=np.float32)
    assert top_k_desc(near, 3, Scratch()).tolist() == [[3, 1, 0]]
    tied = np.array([[-2.0, -1.0, -3.0, -1.0, -1.0, -0.5]], dtype=np.float32)
    assert np.array_equal(top_k_desc(tied, 3, Scratch()), _reference_top_k(tied, 3))
    rng = np.random.default_rng(1)
    wide = -rng.random((3, 5000), dtype=np.float32)
    wide[:, 4321] = wide[:, 17]
    assert np.array_equal(top_k_desc(wide, 9, Scratch()), _reference_top_k(wide, 9))


CASES = [
    (3, 128, 8, 5000, 0, SYNTH_PRESETS["mixed-text"]),
    (2, 60, 4, 17000, 3, SYNTH_PRESETS["paper"]),  # two chunks
    (2, 16, 4, 3000, 1, SYNTH_PRESETS["uniform"]),
    (3, 31, 5, 16500, 5, SynthParams(0.3, 2.0, 4)),  # odd experts: half-words across chunks
    (2, 7, 7, 3000, 2, SynthParams(0.1, 4.0, 3)),  # k = N_e
    (2, 9, 1, 3000, 2, SynthParams(0.1, 4.0, 10)),  # k = 1, the matmul path
]


@pytest.mark.parametrize(("layers", "experts", "k", "tokens", "seed", "params"), CASES)
def test_same_ids_as_the_reference_generator(layers: int, experts: int, k: int, tokens: int, seed: int,
                                             params: SynthParams) -> None:
    expected = reference_topk(layers, experts, k, tokens, seed, params)
    for jobs in (1, 3):
        trace = synthesize(layers, experts, k, tokens, seed=seed, params=params, jobs=jobs)
        assert np.array_equal(trace.topk, expected), f"jobs={jobs}"
