"""The fast generator against the plain numpy one it replaced: same top-k, same points, same traces."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.traces.race import Scratch, top_k_desc
from mozartc.traces.synth import SYNTH_PRESETS, SynthParams, _sphere, synthesize
from tests.traces.synth_reference import reference_topk


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
    (3, 31, 5, 16500, 5, SynthParams(0.3, 2.0, 4)),  # odd experts: uniforms split across 32-bit halves
    (2, 7, 7, 3000, 2, SynthParams(0.1, 4.0, 3)),  # k = N_e
    (2, 9, 1, 3000, 2, SynthParams(0.1, 4.0, 10)),  # k = 1, the matmul path
    (2, 31, 3, 4097, 9, SynthParams(0.2, 3.0, 3)),  # odd blocks of uniforms: a kept 32-bit half handed on
]


@pytest.mark.parametrize(("layers", "experts", "k", "tokens", "seed", "params"), CASES)
def test_same_ids_as_the_reference_generator(layers: int, experts: int, k: int, tokens: int, seed: int,
                                             params: SynthParams) -> None:
    expected = reference_topk(layers, experts, k, tokens, seed, params)
    for jobs in (1, 3):
        trace = synthesize(layers, experts, k, tokens, seed=seed, params=params, jobs=jobs)
        assert np.array_equal(trace.topk, expected), f"jobs={jobs}"


@pytest.mark.parametrize("dim", [1, 3, 7, 8, 12])
def test_sphere_points_equal_numpy_norm(dim: int) -> None:
    x = np.random.default_rng(dim).normal(size=(3000, dim))
    expected = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    assert np.array_equal(_sphere(np.random.default_rng(dim), 3000, dim), expected)
