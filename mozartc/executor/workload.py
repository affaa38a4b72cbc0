"""What each instruction asks of the machine: a flow over resources, work on a chiplet's arrays, or nothing.

Every instruction becomes one of three kinds of work (docs/executor.md):

- a **flow** (``load``, ``store``, ``send``, ``reduce``): ``bytes`` to move over a set of shared
  resources, then a fixed ``latency``. Transfers use their route's resources
  (:meth:`mozartc.hw.topology.Topology.route`: DRAM channel, link directions, crossbars) and its
  latency (edges plus switches crossed); a ``reduce`` reads ``inputs x bytes`` through the switch's
  adder tree (``reducer:S`` at ``switch.reduction_gbps``) and takes ``switch.latency_ns``;
- **serial** work (``gemm``, ``compute``): a fixed duration on one chiplet's arrays, which run one
  instruction at a time. ``gemm``: ``count x chiplet_gemm(m, k, n).seconds`` (the GEMM is spread
  over all the chiplet's arrays, :func:`mozartc.hw.cost.chiplet_gemm`); ``compute``:
  ``flops / (peak FLOP/s x compute_efficiency)``;
- **nothing** (``barrier``): it finishes when its dependencies do.

``lone`` is the time the instruction takes with the machine to itself: a flow's
``latency + bytes / (smallest capacity on its route)``, serial work its duration, a barrier 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np

from mozartc.errors import MozartError, VerifyError
from mozartc.hw.cost import chiplet_gemm, switch_reduction_time, transfer_time
from mozartc.hw.target import GBPS_BYTES
from mozartc.hw.topology import Topology
from mozartc.isa.instr import KINDS, Instr, Stream
from mozartc.isa.signatures import StreamSignatures

#: work modes
BARRIER, SERIAL, FLOW = 0, 1, 2


@dataclass(frozen=True)
class ExecOptions:
    """Modelling choices of the executor (each one a documented assumption, see docs/executor.md).

    ``compute_efficiency``: fraction of a chiplet's peak FLOP/s that non-GEMM ``compute`` reaches.
    ``gemm_sram_bound``: time a GEMM by ``max(compute, tile SRAM traffic / SRAM bandwidth)``.
    """

    compute_efficiency: float = 1.0
    gemm_sram_bound: bool = False

    def check(self) -> None:
        """Raise MozartError for an option out of range."""
        if not self.compute_efficiency > 0:
            raise MozartError(f"must be positive, got {self.compute_efficiency}", where="compute_efficiency")


@dataclass(frozen=True, eq=False)
class Workload:
    """Per instruction (int64/float64 arrays indexed like the stream): what it asks of the machine.

    ``mode``: :data:`FLOW`, :data:`SERIAL` or :data:`BARRIER`. Flows: ``amount`` is its bytes,
    ``latency`` seconds; it crosses the resources ``res_index[res_ptr[i]:res_ptr[i + 1]]`` (every
    one, for reports) and shares the capacity of the binding ones, its class's resources. Serial
    work: its chiplet's compute resource is ``unit`` (-1 for other work) and its only resource;
    ``amount`` its duration in seconds. ``kind`` is the position of its kind in ``KINDS``.
    ``capacity`` is bytes/s per resource (0 for compute).

    Flows that share exactly the same resources form a *class* (``flow_class``, -1 for other work;
    ``class_resources`` per class, numbered in stream order): max-min fairness gives every flow of a
    class the same rate. ``signature`` is the instruction's entry in the stream's distinct
    signatures (:class:`~mozartc.isa.signatures.SignatureIndex`), which the work is computed from.
    """

    topology: Topology
    signature: np.ndarray
    mode: np.ndarray
    amount: np.ndarray
    latency: np.ndarray
    lone: np.ndarray
    flow_class: np.ndarray
    unit: np.ndarray
    kind: np.ndarray
    res_ptr: np.ndarray
    res_index: np.ndarray
    capacity: list[float]
    class_resources: list[tuple[int, ...]]

    @classmethod
    def of(cls, stream: Stream, topology: Topology, options: ExecOptions,
           signatures: StreamSignatures | None = None) -> Workload:
        """The work of every instruction of a verified ``stream`` on ``topology`` (module docstring);
        ``signatures`` is ``StreamSignatures.of(stream)`` when the caller has it.

        Instructions with the same signature ask the same of the machine, so the work of each
        distinct signature is computed once and spread with numpy indexing."""
        index = (signatures or StreamSignatures.of(stream)).index
        builder = _Builder(topology, options)
        classes: dict[tuple[int, ...], int] = {}  # numbered as first met: signatures are in stream order
        table: list[tuple[int, float, float, float, int, int, int]] = []
        used: list[tuple[int, ...]] = []
        for instr in index.instrs:
            mode, shared, uses, amount, latency, lone = builder.work(instr)
            flow_class = classes.setdefault(shared, len(classes)) if mode == FLOW else -1
            table.append((mode, amount, latency, lone, flow_class, uses[0] if mode == SERIAL else -1,
                          KINDS.index(instr.kind)))
            used.append(uses)
        of = index.of
        columns = zip(*table, strict=True) if table else [()] * 7
        types = (np.int64, np.float64, np.float64, np.float64, np.int64, np.int64, np.int64)
        modes, amounts, latencies, lones, flow_classes, units, kinds = (
            np.array(col, dtype=dtype)[of] for col, dtype in zip(columns, types, strict=True))
        res_ptr, res_index = _spread(used, of)
        capacity = [r.bandwidth_gbps * GBPS_BYTES for r in topology.resources]
        return cls(topology, of, modes, amounts, latencies, lones, flow_classes, units, kinds, res_ptr, res_index,
                   capacity, list(classes))


def _spread(used: list[tuple[int, ...]], of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``res_ptr`` and ``res_index`` of instructions whose resources are ``used[of[i]]``: each
    instruction's slice of the signatures' resources laid end to end, gathered in one indexing."""
    lens = np.fromiter(map(len, used), dtype=np.int64, count=len(used))
    flat = np.fromiter(chain.from_iterable(used), dtype=np.int64, count=int(lens.sum()))
    first = np.zeros(len(used), dtype=np.int64)  # where each signature's resources start in ``flat``
    np.cumsum(lens[:-1], out=first[1:])
    counts = lens[of]
    res_ptr = np.zeros(len(of) + 1, dtype=np.int64)
    np.cumsum(counts, out=res_ptr[1:])
    # position j of instruction i's slice reads flat[first[of[i]] + j]; j = (global position) - res_ptr[i]
    offset = np.repeat(first[of] - res_ptr[:-1], counts)
    return res_ptr, flat[offset + np.arange(res_ptr[-1], dtype=np.int64)]


#: (mode, shared, used, amount, latency, lone) of one instruction
Work = tuple[int, tuple[int, ...], tuple[int, ...], float, float, float]


class _Builder:
    """Memoised per-route and per-GEMM-shape work (one per :meth:`Workload.of`)."""

    def __init__(self, topology: Topology, options: ExecOptions) -> None:
        self.topology = topology
        self.target = topology.target
        self.options = options
        self._routes: dict[tuple[str, str], tuple[tuple[int, ...], tuple[int, ...], float, float, float]] = {}
        self._gemm: dict[tuple[str, int, int, int], float] = {}
        self._compute: dict[str, tuple[int, float]] = {}
        self._binding = [r.binding for r in topology.resources]

    def route(self, src: str, dst: str) -> tuple[tuple[int, ...], tuple[int, ...], float, float, float]:
        """(shared resources, used resources, latency s, latency ns, bottleneck GB/s) of a transfer."""
        key = (src, dst)
        hit = self._routes.get(key)
        if hit is None:
            r = self.topology.route(src, dst)
            shared = tuple(x for x in r.resources if self._binding[x])
            bottleneck = min(self.topology.resources[x].bandwidth_gbps for x in shared)
            hit = (shared, r.resources, r.latency_ns * 1e-9, r.latency_ns, bottleneck)
            self._routes[key] = hit
        return hit

    def unit(self, name: str) -> tuple[int, float]:
        """(compute resource id, peak FLOP/s) of chiplet ``name``."""
        hit = self._compute.get(name)
        if hit is None:
            hit = (self.topology.resource_id(f"compute:{name}"),
                   self.target.chiplet(name).peak_flops(self.target.clock_ghz))
            self._compute[name] = hit
        return hit

    def gemm_seconds(self, unit: str, m: int, k: int, n: int) -> float:
        """One (m x k) @ (k x n) GEMM on chiplet ``unit``."""
        key = (unit, m, k, n)
        hit = self._gemm.get(key)
        if hit is None:
            split = chiplet_gemm(m, k, n, self.target.chiplet(unit), self.target.clock_ghz,
                                 self.target.bytes_per_element)
            hit = split.bound_seconds if self.options.gemm_sram_bound else split.seconds
            self._gemm[key] = hit
        return hit

    def work(self, instr: Instr) -> Work:
        """(mode, shared, used, amount, latency, lone) of one verified instruction."""
        op = instr.op
        if op == "gemm":
            assert instr.unit is not None
            res, _ = self.unit(instr.unit)
            seconds = instr.count * self.gemm_seconds(instr.unit, instr.m, instr.k, instr.n)
            return SERIAL, (), (res,), seconds, 0.0, seconds
        if op in ("load", "store", "send"):
            assert instr.src is not None and instr.dst is not None
            shared, used, latency, latency_ns, bottleneck = self.route(instr.src, instr.dst)
            return FLOW, shared, used, float(instr.bytes), latency, transfer_time(instr.bytes, bottleneck, latency_ns)
        if op == "compute":
            assert instr.unit is not None
            res, peak = self.unit(instr.unit)
            seconds = instr.flops / (peak * self.options.compute_efficiency)
            return SERIAL, (), (res,), seconds, 0.0, seconds
        if op == "reduce":
            assert instr.unit is not None
            res = self.topology.resource_id(f"reducer:{instr.unit}")
            lone = switch_reduction_time(instr.bytes, instr.inputs, self.target)
            return FLOW, (res,), (res,), float(instr.inputs * instr.bytes), self.target.switch.latency_ns * 1e-9, lone
        if op == "barrier":
            return BARRIER, (), (), 0.0, 0.0, 0.0
        raise VerifyError(f"unknown op '{op}'")
