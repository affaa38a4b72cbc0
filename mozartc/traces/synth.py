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
   It is drawn as the equivalent exponential race in float32 (see :func:`_layer`): O(T N_e) numpy
   work a layer, about 20 ms for 20k tokens x 128 experts.

``skew = 0, structure = 0`` is exactly uniform routing: every k-subset equally likely. ``skew``
sets the load imbalance (max/mean), ``structure`` the co-activation strength (top-5% pair share
vs a load-matched random router) and so how much clustering can cut ``C_T``; ``dim`` sets how
"clusterable" it is (in few dimensions neighbourhoods are tight). Named parameter sets live in
:data:`SYNTH_PRESETS` (the one place they are stored); docs/clustering.md shows their calibration
against the real traces in ``../shared/traces``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from mozartc.errors import MozartError, TraceError
from mozartc.traces.format import RoutingTrace, _index_dtype

_CHUNK = 1 << 14


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
) -> RoutingTrace:
    """Draw a trace of ``tokens`` tokens per layer from the generative model."""
    p = params or SYNTH_PRESETS[DEFAULT_PRESET]
    if tokens <= 0 or num_layers <= 0:
        raise TraceError("a synthetic trace needs at least one layer and one token", where="tokens")
    if not 0 < top_k <= num_experts:
        raise TraceError(f"top_k {top_k} must lie in 1..{num_experts}", where="synthetic trace")
    rng = np.random.default_rng(seed)
    topk = np.empty((num_layers, tokens, top_k), dtype=_index_dtype(num_experts))
    for layer in range(num_layers):
        topk[layer] = _layer(rng, num_experts, top_k, tokens, p)
    source = f"synthetic seed={seed} skew={p.skew} structure={p.structure} dim={p.dim}"
    return RoutingTrace(topk=topk, num_experts=num_experts, top_k=top_k, model=model, source=source,
                        layer_ids=layer_ids, num_shared_experts=num_shared_experts, where="<synthetic>")


def _layer(rng: np.random.Generator, num_experts: int, top_k: int, tokens: int, p: SynthParams) -> np.ndarray:
    """One layer's ``[tokens, k]`` expert ids (steps 1-4 of the module docstring), top-1 first.

    Gumbel-top-k as an exponential race (the same distribution, fewer transcendental calls): with
    ``w_te = pi_e exp(structure <u_t, z_e>)`` and ``E_te ~ Exp(1)``, the k experts of smallest
    ``E_te / w_te`` are k draws without replacement with probability ∝ ``w_te``. Computed in
    float32 as the k largest ``log(U_te) / w_te`` (``U`` uniform, ``-log U ~ Exp(1)``), one
    ``[chunk, N_e]`` matrix at a time with ``np.argpartition``.
    """
    log_pop = -p.skew * np.log1p(rng.permutation(num_experts).astype(np.float64))
    points = _sphere(rng, num_experts, p.dim) if p.structure > 0 else None
    out = np.empty((tokens, top_k), dtype=np.int64)
    for start in range(0, tokens, _CHUNK):
        n = min(_CHUNK, tokens - start)
        if points is not None:
            inv_w = _neg_affinity(rng, n, points, log_pop, p)
            np.exp(inv_w, out=inv_w)
        else:
            inv_w = np.broadcast_to(np.exp(-log_pop).astype(np.float32), (n, num_experts))
        key = rng.random(size=(n, num_experts), dtype=np.float32)
        np.subtract(np.float32(1.0), key, out=key)  # in (0, 1]: log is finite
        np.log(key, out=key)
        key *= inv_w
        part = np.argpartition(key, num_experts - top_k, axis=1)[:, num_experts - top_k:]
        order = np.argsort(-np.take_along_axis(key, part, axis=1), axis=1, kind="stable")
        out[start:start + n] = np.take_along_axis(part, order, axis=1)
    return out


def _neg_affinity(
    rng: np.random.Generator, n: int, points: np.ndarray, log_pop: np.ndarray, p: SynthParams
) -> np.ndarray:
    """``-(log pi_e + structure <u_t, z_e>)`` for ``n`` fresh token directions (float32 ``[n, N_e]``).

    Few latent dimensions: the dot product is ``dim`` broadcast multiply-adds (faster than a
    matmul with an inner size of 3).
    """
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
    """``count`` points uniform on the unit sphere in ``dim`` dimensions (normalised Gaussians)."""
    x = rng.normal(size=(count, dim))
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def synthesize_model(
    spec: str, tokens: int, *, seed: int = 0, params: SynthParams | None = None
) -> RoutingTrace:
    """A synthetic trace for every MoE layer of model ``spec`` (preset name or config.json path)."""
    from mozartc.frontend import resolve_config

    cfg = resolve_config(spec)
    return synthesize(
        cfg.num_moe_layers, cfg.num_experts, cfg.top_k, tokens, seed=seed, params=params,
        model=cfg.name, layer_ids=cfg.moe_layer_indices, num_shared_experts=cfg.num_shared_experts,
    )
