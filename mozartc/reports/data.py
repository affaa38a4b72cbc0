"""What the HTML report derives from a timeline, its stream and the mapped module (plain numbers).

- **utilisation over time** (:func:`utilisation_over_time`): the step cut into equal bins; per
  resource and bin, a bandwidth's carried bytes over ``capacity x bin`` (its rate is the step function
  of :func:`mozartc.executor.report.resource_rates`, integrated exactly) or a chiplet's busy time over
  the bin (its arrays run one instruction at a time). Every value is in [0, 1], and the mean over the
  bins of a row is the resource's utilisation in the report.
- **all-to-all traffic** (:func:`a2a_traffic`): bytes of every ``send`` of kind ``all_to_all`` by
  (source, destination); a relay through a switch (``switch-multicast``/``switch-reduce``) is two
  sends, so the switch appears as an endpoint. ``reduce`` moves nothing between endpoints: the bytes
  each switch's adder tree reads (``inputs x bytes``) are counted apart.
- **DRAM traffic** (:func:`dram_traffic`): per stack, bytes ``load``-ed from it and ``store``-d to it.
- **expert placement** (:func:`expert_placement`): per MoE layer, the experts each expert chiplet
  holds (``clusters`` and ``chiplets`` of the ``experts`` op) and the share of the routing trace's
  tokens that select one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mozartc.analysis.experts import ExpertsMapping
from mozartc.executor.engine import Timeline
from mozartc.executor.report import resource_rates
from mozartc.executor.workload import SERIAL
from mozartc.ir.core import Module
from mozartc.isa.instr import Stream


@dataclass(frozen=True)
class UtilisationGrid:
    """``share[r, b]``: resource ``rows[r]``'s use in bin ``b`` = ``[edges_s[b], edges_s[b+1])``."""

    rows: tuple[str, ...]
    edges_s: np.ndarray
    share: np.ndarray


def _cumulative_at(times: np.ndarray, cumulative: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """A piecewise-linear cumulative quantity (0 before ``times[0]``, flat after the end) at ``edges``."""
    if times.size == 0:
        return np.zeros_like(edges)
    return np.interp(edges, times, cumulative, left=0.0, right=float(cumulative[-1]))


def utilisation_over_time(tl: Timeline, bins: int) -> UtilisationGrid:
    """Per resource and time bin, the share of its capacity (or time) in use (module docstring)."""
    step = tl.step_time
    edges = np.linspace(0.0, step, bins + 1)
    share = np.zeros((len(tl.resources), bins))
    if step <= 0:
        return UtilisationGrid(tl.resources, edges, share)
    width = np.diff(edges)
    for r, (times, values) in resource_rates(tl).items():
        t, v = np.asarray(times), np.asarray(values)
        carried = np.concatenate([[0.0], np.cumsum(v[:-1] * np.diff(t))])
        moved = np.diff(_cumulative_at(t, carried, edges))
        share[r] = moved / (width * tl.capacity_Bps[r])
    serial = np.flatnonzero(tl.mode == SERIAL)
    busy: dict[int, list[int]] = {}
    for i in serial.tolist():
        for r in tl.res_index[tl.res_ptr[i]:tl.res_ptr[i + 1]].tolist():
            busy.setdefault(r, []).append(i)
    for r, members in busy.items():
        idx = np.asarray(sorted(members, key=lambda i: (tl.start[i], i)))
        starts, finishes = tl.start[idx], tl.finish[idx]
        done = np.cumsum(finishes - starts)
        points = np.stack([starts, finishes], axis=1).ravel()
        level = np.stack([done - (finishes - starts), done], axis=1).ravel()
        share[r] = np.diff(_cumulative_at(points, level, edges)) / width
    return UtilisationGrid(tl.resources, edges, np.clip(share, 0.0, 1.0))


@dataclass(frozen=True)
class A2ATraffic:
    """``bytes[i, j]``: all-to-all bytes sent from ``endpoints[i]`` to ``endpoints[j]`` in one step."""

    endpoints: tuple[str, ...]
    bytes: np.ndarray
    sends: int
    reduced: dict[str, int]


def a2a_traffic(stream: Stream, order: Sequence[str]) -> A2ATraffic:
    """All-to-all sends by (source, destination) and the bytes read by each switch's adder tree.

    Endpoints are those that send or receive, in ``order`` (names not in ``order`` follow, sorted).
    """
    pairs: dict[tuple[str, str], int] = {}
    reduced: dict[str, int] = {}
    sends = 0
    for instr in stream.instrs:
        if instr.kind != "all_to_all":
            continue
        if instr.op == "send" and instr.src is not None and instr.dst is not None:
            pairs[instr.src, instr.dst] = pairs.get((instr.src, instr.dst), 0) + instr.bytes
            sends += 1
        elif instr.op == "reduce" and instr.unit is not None:
            reduced[instr.unit] = reduced.get(instr.unit, 0) + instr.inputs * instr.bytes
    seen = {name for pair in pairs for name in pair}
    rank = {name: k for k, name in enumerate(order)}
    endpoints = tuple(sorted(seen, key=lambda n: (rank.get(n, len(rank)), n)))
    where = {name: k for k, name in enumerate(endpoints)}
    matrix = np.zeros((len(endpoints), len(endpoints)))
    for (src, dst), n in pairs.items():
        matrix[where[src], where[dst]] += n
    return A2ATraffic(endpoints, matrix, sends, dict(sorted(reduced.items(), key=lambda kv: rank.get(kv[0], 0))))


def dram_traffic(stream: Stream) -> dict[str, tuple[int, int]]:
    """Per DRAM stack: (bytes loaded from it, bytes stored to it) in one step."""
    out: dict[str, list[int]] = {}
    for instr in stream.instrs:
        if instr.op == "load" and instr.src is not None:
            out.setdefault(instr.src, [0, 0])[0] += instr.bytes
        elif instr.op == "store" and instr.dst is not None:
            out.setdefault(instr.dst, [0, 0])[1] += instr.bytes
    return {k: (v[0], v[1]) for k, v in out.items()}


@dataclass(frozen=True)
class LayerPlacement:
    """One MoE layer: ``experts[c]`` the experts expert chiplet ``c`` holds (a split expert's shard
    counts as the expert), ``token_share[c]`` the share of trace tokens that select one of them."""

    layer: int
    experts: tuple[tuple[int, ...], ...]
    token_share: tuple[float, ...]
    split: bool


def expert_placement(module: Module, chiplets: int) -> list[LayerPlacement]:
    """Per MoE layer in text order, what each of ``chiplets`` expert chiplets holds.

    Raises :class:`~mozartc.errors.PassError` when an ``experts`` op is not clustered and placed.
    """
    out: list[LayerPlacement] = []
    for region in module.layers():
        for op in region.ops():
            if op.name != "experts":
                continue
            m = ExpertsMapping.from_op(op, placed=True)
            held: list[list[int]] = [[] for _ in range(max(chiplets, max(m.placed(), default=-1) + 1))]
            share = [0.0] * len(held)
            for cluster, chip in enumerate(m.placed()):
                held[chip] += m.clusters[cluster]
                share[chip] += m.cluster_tokens[cluster] / m.trace_tokens if m.trace_tokens else 0.0
            out.append(LayerPlacement(region.index if region.index is not None else len(out),
                                      tuple(tuple(sorted(h)) for h in held), tuple(share), m.split))
    return out
