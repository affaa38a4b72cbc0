"""The synthetic generator as it was before the fast kernel (commit 883ba17), kept as the reference.

Plain numpy: ``rng.random`` float32 uniforms, ``np.argpartition`` and a stable ``np.argsort``, one
chunk of ``CHUNK`` tokens at a time. ``tests/traces/test_race.py`` checks that
``mozartc.traces.synth.synthesize`` draws the same expert ids from the same seed.
"""

from __future__ import annotations

import numpy as np

from mozartc.traces.synth import SynthParams

CHUNK = 1 << 14


def reference_topk(num_layers: int, num_experts: int, top_k: int, tokens: int, seed: int,
                   p: SynthParams) -> np.ndarray:
    """``topk [layers, tokens, k]`` of the old ``synthesize`` (int64)."""
    rng = np.random.default_rng(seed)
    return np.stack([_layer(rng, num_experts, top_k, tokens, p) for _ in range(num_layers)])


def _layer(rng: np.random.Generator, num_experts: int, top_k: int, tokens: int, p: SynthParams) -> np.ndarray:
    log_pop = -p.skew * np.log1p(rng.permutation(num_experts).astype(np.float64))
    points = _sphere(rng, num_experts, p.dim) if p.structure > 0 else None
    out = np.empty((tokens, top_k), dtype=np.int64)
    for start in range(0, tokens, CHUNK):
        n = min(CHUNK, tokens - start)
        if points is not None:
            inv_w = _neg_affinity(rng, n, points, log_pop, p)
            np.exp(inv_w, out=inv_w)
        else:
            inv_w = np.broadcast_to(np.exp(-log_pop).astype(np.float32), (n, num_experts))
        key = rng.random(size=(n, num_experts), dtype=np.float32)
        np.subtract(np.float32(1.0), key, out=key)
        np.log(key, out=key)
        key *= inv_w
        part = np.argpartition(key, num_experts - top_k, axis=1)[:, num_experts - top_k:]
        order = np.argsort(-np.take_along_axis(key, part, axis=1), axis=1, kind="stable")
        out[start:start + n] = np.take_along_axis(part, order, axis=1)
    return out


def _neg_affinity(rng: np.random.Generator, n: int, points: np.ndarray, log_pop: np.ndarray,
                  p: SynthParams) -> np.ndarray:
    u = (-p.structure * _sphere(rng, n, p.dim)).astype(np.float32)
    z = np.ascontiguousarray(points.T, dtype=np.float32)
    out = np.empty((n, points.shape[0]), dtype=np.float32)
    if p.dim > 8:
        np.matmul(u, z, out=out)
    else:
        np.multiply(u[:, :1], z[0], out=out)
        for d in range(1, p.dim):
            out += u[:, d:d + 1] * z[d]
    out -= log_pop.astype(np.float32)
    return out


def _sphere(rng: np.random.Generator, count: int, dim: int) -> np.ndarray:
    x = rng.normal(size=(count, dim))
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
