"""Synthetic routing traces with skewed popularity and structured co-activation.

Generative model, independently for every MoE layer (one ``np.random.default_rng(seed)`` drives
all layers in order, so the same seed gives the same bytes):

1. Popularity: a random permutation ``r`` of ``0..N_e-1`` ranks the experts and
   ``log pi_e = -skew * log(1 + r_e)`` (Zipf with exponent ``skew``; ``skew = 0`` is flat).
2. Latent structure: every expert gets a point ``z_e`` uniform on the unit sphere in ``dim``
   dimensions; experts whose points are close form soft groups that fire together.
3. Every token draws a direction ``u_t`` uniform on the same sphere (its "topic").
4. The token's experts are the top-k of the scores
   ``s_te = log pi_e + structure * <u_t, z_e> + g_te`` with ``g_te ~ Gumbel(0, 1)`` iid, i.e. k
   draws without replacement with probability ∝ ``pi_e exp(structure <u_t, z_e>)`` (Gumbel-top-k
   = Plackett-Luce; the structure term is a von Mises-Fisher affinity of concentration ``structure``).
   It is drawn as the equivalent exponential race in float32 (:meth:`_Race.block`, computed by
   :mod:`mozartc.traces.race`): O(T N_e) work a layer.

The random numbers come from one stream in one fixed order (per layer: the expert ranking, the
expert points, then per chunk of ``_CHUNK`` tokens the token directions and the uniforms). The
calling thread draws all but the uniforms; it hands each block's uniforms to the job that uses them
as the stream's state there and skips past them (:mod:`mozartc.traces.substream`), so ``jobs``
threads draw the uniforms and turn them into expert ids, and the bytes do not depend on ``jobs``.
They are the bytes of the plain numpy generator this replaced (``rng.random``, ``np.argpartition``;
``tests/traces/synth_reference.py``): the same stream, the same float32 operations, selected
exactly alike.

``skew = 0, structure = 0`` is exactly uniform routing: every k-subset equally likely. ``skew``
sets the load imbalance (max/mean), ``structure`` the co-activation strength (top-5% pair share
vs a load-matched random router) and so how much clustering can cut ``C_T``; ``dim`` sets how
"clusterable" it is (in few dimensions neighbourhoods are tight). Named parameter sets live in
:data:`SYNTH_PRESETS` (the one place they are stored); docs/clustering.md shows their calibration
against the real traces in ``../shared/traces``.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from mozartc.errors import MozartError, TraceError
from mozartc.traces.format import RoutingTrace, _index_dtype
from mozartc.traces.race import Scratch, top_k_desc
from mozartc.traces.shape import TraceShape
from mozartc.traces.substream import Substream, skip_float32

# Tokens whose directions and uniforms are drawn at a time (fixes the order of the random stream).
_CHUNK = 1 << 14
# Tokens one job turns into expert ids: its float32 [tokens, N_e] arrays stay in a core's L2 cache.
_BLOCK = 1 << 11
# Up to this latent dim the dot product is outer products summed, above it one matmul a chunk.
_OUTER_MAX_DIM = 8
# Largest |exponent| of the race's weights: float32 exp overflows above 88.7, so keys stay finite.
_MAX_EXP_ARG = 80.0


@dataclass(frozen=True)
class SynthParams:
    """Parameters of the generative model (see the module docstring for the formulas)."""

    skew: float = 0.0
    structure: float = 0.0
    dim: int = 3

    def __post_init__(self) -> None:
        if self.skew < 0 or self.structure < 0:
            raise MozartError("synthetic skew and structure must be >= 0", where="synth parameters")
        if self.dim < 1:
            raise MozartError("synthetic latent dim must be >= 1", where="synth parameters")


# The named parameter sets, the one place they live. "mixed-text" is calibrated against the real
# traces in ../shared/traces (Qwen1.5-MoE GSM8K, Mixtral, LLaMA-MoE aggregates): max/mean load
# 1.3-1.5 and a top-5% pair share 2.4-3.2x a load-matched random router (docs/clustering.md has
# the measured table). "paper" is weaker structure that puts Algorithm 1's C_T near the paper's
# Table 4 (5.77 / 5.63 / 4.32); a later calibration issue may retune it (here only).
SYNTH_PRESETS: dict[str, SynthParams] = {
    "uniform": SynthParams(skew=0.0, structure=0.0),
    "mixed-text": SynthParams(skew=0.1, structure=4.0, dim=3),
    "paper": SynthParams(skew=0.1, structure=2.5, dim=3),
}
DEFAULT_PRESET = "mixed-text"


def synth_params(preset: str = DEFAULT_PRESET, **overrides: float | int | None) -> SynthParams:
    """The named preset with the non-None ``overrides`` applied."""
    try:
        base = SYNTH_PRESETS[preset]
    except KeyError:
        raise MozartError(
            f"unknown synthetic preset '{preset}'; expected one of: {', '.join(sorted(SYNTH_PRESETS))}",
            where="preset",
        ) from None
    changes = {k: v for k, v in overrides.items() if v is not None}
    return replace(base, **changes) if changes else base  # type: ignore[arg-type]


def synthetic_source(seed: int, params: SynthParams) -> str:
    """The ``source`` text of a synthetic trace drawn with ``seed`` and ``params``."""
    return f"synthetic seed={seed} skew={params.skew} structure={params.structure} dim={params.dim}"


def synthesize(
    num_layers: int,
    num_experts: int,
    top_k: int,
    tokens: int,
    *,
    seed: int = 0,
    params: SynthParams | None = None,
    model: str = "",
    layer_ids: tuple[int, ...] = (),
    num_shared_experts: int = 0,
    jobs: int = 1,
) -> RoutingTrace:
    """Draw a trace of ``tokens`` tokens per layer from the generative model.

    ``jobs > 1`` draws the uniforms and runs the arithmetic on that many threads while this one
    draws the rest of the random numbers and hands each job its place in the stream: the trace does
    not depend on ``jobs``.
    """
    p = params or SYNTH_PRESETS[DEFAULT_PRESET]
    if tokens <= 0 or num_layers <= 0:
        raise TraceError("a synthetic trace needs at least one layer and one token", where="tokens")
    if not 0 < top_k <= num_experts:
        raise TraceError(f"top_k {top_k} must lie in 1..{num_experts}", where="synthetic trace")
    if p.structure + p.skew * np.log(num_experts) > _MAX_EXP_ARG:
        raise MozartError(f"structure + skew * ln(num_experts) must be <= {_MAX_EXP_ARG} (float32 exp range), "
                          f"got {p.structure} + {p.skew} * ln({num_experts})", where="synth parameters")
    rng = np.random.default_rng(seed)
    topk = np.empty((num_layers, tokens, top_k), dtype=_index_dtype(num_experts))
    shared = _Shared()
    jobs_iter = (job for layer in range(num_layers) for job in _layer_jobs(rng, num_experts, p, topk[layer], shared))
    _run(jobs_iter, jobs)
    source = synthetic_source(seed, p)
    return RoutingTrace(topk=topk, num_experts=num_experts, top_k=top_k, model=model, source=source,
                        layer_ids=layer_ids, num_shared_experts=num_shared_experts, where="<synthetic>", owned=True)


def synthesize_model(
    shape: TraceShape, tokens: int, *, seed: int = 0, params: SynthParams | None = None, jobs: int = 1
) -> RoutingTrace:
    """A synthetic trace for every MoE layer of a model of routing shape ``shape``."""
    return synthesize(
        shape.num_layers, shape.num_experts, shape.top_k, tokens, seed=seed, params=params, model=shape.model,
        layer_ids=shape.layer_ids, num_shared_experts=shape.num_shared_experts, jobs=jobs,
    )


def default_jobs(num_layers: int, tokens: int, num_experts: int) -> int:
    """Threads to draw a trace with when the caller does not say: every core for a trace of at least
    2^24 token-expert scores (about 0.1 s of work, more than starting the threads costs), else one.
    The ids do not depend on it."""
    big = num_layers * max(tokens, 0) * num_experts >= 1 << 24
    return (os.cpu_count() or 1) if big else 1


def _run(work: Iterator[Callable[[], None]], jobs: int) -> None:
    """Run every job of ``work`` (drawn in order by this thread) on ``jobs`` threads, a bounded few at a time."""
    if jobs <= 1:
        for job in work:
            job()
        return
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        pending: deque[Future[None]] = deque()
        for job in work:
            pending.append(pool.submit(job))
            while len(pending) > 2 * jobs:
                pending.popleft().result()
        for future in pending:
            future.result()


def _layer_jobs(
    rng: np.random.Generator, num_experts: int, p: SynthParams, out: np.ndarray, shared: _Shared
) -> Iterator[Callable[[], None]]:
    """Steps 1-4 of the module docstring for one layer, writing ``out [tokens, k]`` (top-1 first).

    This thread draws from ``rng`` in the generator's fixed order (expert ranking, expert points,
    then per chunk of ``_CHUNK`` tokens their directions and their uniforms, the latter a block at
    a time: the same stream); each yielded job draws up to ``_BLOCK`` tokens' uniforms from the
    stream's state where they start (this thread skips them) and turns them into expert ids
    (:meth:`_Race.block`).
    """
    tokens, top_k = out.shape
    log_pop = -p.skew * np.log1p(rng.permutation(num_experts).astype(np.float64))
    points = _sphere(rng, num_experts, p.dim) if p.structure > 0 else None
    z = None if points is None else np.ascontiguousarray(points.T, dtype=np.float32)
    race = _Race(log_pop.astype(np.float32), np.exp(-log_pop).astype(np.float32), z, top_k, shared)
    for start in range(0, tokens, _CHUNK):
        n = min(_CHUNK, tokens - start)
        if z is None:
            u = None
        else:
            directions = _sphere(rng, n, p.dim)
            directions *= -p.structure
            u = directions.astype(np.float32)
        step = n if p.dim > _OUTER_MAX_DIM else _BLOCK  # one matmul a chunk, as the reference did
        for b in range(0, n, step):
            stop = min(b + step, n)
            state = rng.bit_generator.state
            skip_float32(rng.bit_generator, (stop - b) * num_experts)
            yield partial(race.block, state, None if u is None else u[b:stop], out[start + b:start + stop])


class _Shared:
    """What the workers share: each thread's :class:`Scratch` (a fresh megabyte-sized array costs a
    page fault per 4 KiB, more than drawing into it) and :class:`Substream`."""

    def __init__(self) -> None:
        self._local = threading.local()

    def scratch(self) -> Scratch:
        """This thread's reusable arrays."""
        scratch: Scratch | None = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = Scratch()
        return scratch

    def substream(self) -> Substream:
        """This thread's generator for the uniforms."""
        substream: Substream | None = getattr(self._local, "substream", None)
        if substream is None:
            substream = self._local.substream = Substream()
        return substream


class _Race:
    """One layer's fixed arrays and the per-block arithmetic of the exponential race (float32)."""

    def __init__(self, log_pop: np.ndarray, inv_pop: np.ndarray, z: np.ndarray | None, top_k: int,
                 shared: _Shared) -> None:
        self.log_pop, self.inv_pop, self.z, self.top_k = log_pop, inv_pop, z, top_k
        self._shared = shared

    def block(self, state: Mapping[str, Any], u: np.ndarray | None, out: np.ndarray) -> None:
        """``out [n, k]``: the top-k of ``log(1 - U) * inv_w`` with ``inv_w = exp(-log pi - <u, z>)``.

        ``U`` are the ``n x N_e`` float32 uniforms the stream in ``state`` draws next; ``u`` is
        already ``-structure * u_t``; without it ``inv_w = 1 / pi``. Gumbel-top-k as an exponential
        race (the same distribution, fewer transcendental calls): with ``w_te = pi_e exp(structure
        <u_t, z_e>)`` and ``E_te ~ Exp(1)``, the k experts of smallest ``E_te / w_te`` are k draws
        without replacement with probability ∝ ``w_te``; ``-log(1 - U)`` is the ``Exp(1)`` draw.
        """
        scratch = self._shared.scratch()
        key = scratch.get("key", (out.shape[0], self.log_pop.shape[0]), np.float32)
        self._shared.substream().fill(state, key)
        np.subtract(np.float32(1.0), key, out=key)  # in (0, 1]: log is finite
        np.log(key, out=key)
        if u is None or self.z is None:
            key *= self.inv_pop
        else:
            key *= self._inv_weight(u, self.z, scratch)
        out[...] = top_k_desc(key, self.top_k, scratch)

    def _inv_weight(self, u: np.ndarray, z: np.ndarray, scratch: Scratch) -> np.ndarray:
        """``exp(-(log pi_e + structure <u_t, z_e>))`` for ``n`` token directions (float32 ``[n, N_e]``).

        Few latent dimensions: the dot product is ``dim`` outer products summed in order (faster
        than a matmul with an inner size of 3; ``einsum`` forms an outer product, one rounded
        float32 product an entry, faster than a broadcast multiply).
        """
        shape = (u.shape[0], z.shape[1])
        inv_w = scratch.get("inv_w", shape, np.float32)
        if u.shape[1] > _OUTER_MAX_DIM:
            np.matmul(u, z, out=inv_w)
        else:
            u_t = np.ascontiguousarray(u.T)
            np.einsum("i,j->ij", u_t[0], z[0], out=inv_w)
            term = scratch.get("term", shape, np.float32)
            for d in range(1, u.shape[1]):
                np.einsum("i,j->ij", u_t[d], z[d], out=term)
                inv_w += term
        inv_w -= self.log_pop
        return np.exp(inv_w, out=inv_w)


def _sphere(rng: np.random.Generator, count: int, dim: int) -> np.ndarray:
    """``count`` points uniform on the unit sphere in ``dim`` dimensions (normalised Gaussians).

    Below 8 dimensions the norm is ``np.linalg.norm(x, axis=1)`` summed column by column: the same
    additions in the same order as numpy's reduction over a row that short (longer rows it sums
    pairwise), without its per-row cost.
    """
    x = rng.normal(size=(count, dim))
    if dim >= 8:
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    total = x[:, 0] * x[:, 0]
    for d in range(1, dim):
        total += x[:, d] * x[:, d]
    np.sqrt(total, out=total)
    x /= np.maximum(total, 1e-12, out=total)[:, None]
    return x
