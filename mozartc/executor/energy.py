"""Energy of one timed training step, by component, from the target's ``[energy]`` table.

Dynamic energy is counted per instruction of the stream; static energy is power x step time.
With the table's fields (docs/energy.md gives each value's source)::

    compute = (MACs of every gemm + flops / 2 of every compute) x mac_pj
    sram    = SRAM bits read and written x (sram_pj_per_bit + f2f_pj_per_bit)
    links   = sum over die-to-die link directions of bits carried x link_pj_per_bit
    switch  = bits through every crossbar x switch_pj_per_bit
              + per reduce: inputs x bytes x 8 x switch_pj_per_bit + (inputs - 1) x elements x add_pj
    dram    = bits read or written on HBM2 (any non-SSD kind) x that kind's pj_per_bit
    ssd     = the same on SSD devices
    static  = step time x (sum of chiplet tiles x chiplet_static_w_per_tile
                           + switches x switch_static_w + sum of stacks' static_w)

What counts as a MAC and an SRAM access (the modelling choices, docs/energy.md):

- ``gemm``: ``m x k x n x count`` MACs. SRAM, with ``gemm_sram_reads = "once"``: every operand
  element read once and every output written once per GEMM, ``(m k + k n + m n) x count`` elements
  (reuse inside the chiplet, which the paper's 32 GB/s per tile requires); with ``"per-array"``
  each array reads the operands of its block once (:func:`mozartc.hw.cost.chiplet_gemm`'s split):
  ``arrays_used x (m' k' + k' n' + m' n')`` with ``m' = ceil(m / split_m)`` and so on;
- ``compute`` (norms, softmax, optimizer updates): ``flops / 2`` MACs (a MAC is two FLOPs, as in
  the peak-FLOP/s convention) and 1.5 elements of SRAM traffic per FLOP (one read per FLOP, one
  write per two: between an elementwise add, 3 per FLOP, and a norm, about 0.5);
- transfers: read from SRAM at a chiplet source, written to SRAM at a chiplet destination (a switch
  end touches its buffer, priced in ``switch_pj_per_bit``; a DRAM end in the DRAM's ``pj_per_bit``);
  every link direction, crossbar and DRAM channel on the route (:meth:`Topology.route`) is charged
  for the bytes it carries, exactly the bytes the executor's utilisation counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mozartc.executor.engine import Timeline
from mozartc.executor.workload import FLOW
from mozartc.hw.cost import chiplet_gemm
from mozartc.hw.schema import EnergySpec
from mozartc.isa.instr import Instr
from mozartc.isa.signatures import StreamSignatures

#: energy components in report order (``total`` is their sum)
COMPONENTS: tuple[str, ...] = ("compute", "sram", "links", "switch", "dram", "ssd", "static")
PJ = 1e-12


@dataclass(frozen=True)
class Activity:
    """What a step did, in the units the energy table prices (all per step)."""

    macs: float
    sram_bits: float
    link_bits: float
    switch_bits: float
    reduce_adds: float
    dram_bits: dict[str, float]  # per DRAM stack name
    seconds: float


def step_energy(tl: Timeline, energy: EnergySpec | None = None,
                signatures: StreamSignatures | None = None) -> dict[str, float] | None:
    """Joules per component and ``total`` for the timed step ``tl``; None when the target has no
    ``[energy]`` table (``energy`` overrides the target's table, e.g. for a sensitivity study).
    ``signatures`` is ``StreamSignatures.of(tl.stream)`` when the caller has it."""
    table = energy if energy is not None else tl.target.spec.energy
    if table is None:
        return None
    return price(activity(tl, table.gemm_sram_reads, signatures), tl, table)


def price(act: Activity, tl: Timeline, table: EnergySpec) -> dict[str, float]:
    """Joules per component of the activity ``act`` of ``tl`` under ``table`` (module docstring)."""
    target = tl.target
    dram = ssd = 0.0
    static_w = sum(c.kind.tiles for c in target.chiplets) * table.chiplet_static_w_per_tile
    static_w += len(target.switches) * table.switch_static_w
    for stack in target.dram:
        kind = table.dram[stack.kind_name]
        joules = act.dram_bits.get(stack.name, 0.0) * kind.pj_per_bit * PJ
        if stack.technology == "ssd":
            ssd += joules
        else:
            dram += joules
        static_w += kind.static_w
    out = {
        "compute": act.macs * table.mac_pj * PJ,
        "sram": act.sram_bits * (table.sram_pj_per_bit + table.f2f_pj_per_bit) * PJ,
        "links": act.link_bits * table.link_pj_per_bit * PJ,
        "switch": (act.switch_bits * table.switch_pj_per_bit + act.reduce_adds * table.add_pj) * PJ,
        "dram": dram,
        "ssd": ssd,
        "static": static_w * act.seconds,
    }
    out["total"] = sum(out[k] for k in COMPONENTS)
    return out


def activity(tl: Timeline, gemm_sram_reads: str = "once", signatures: StreamSignatures | None = None) -> Activity:
    """Count MACs, SRAM bits, and the bits every link, crossbar and DRAM channel carried in ``tl``.

    ``signatures`` is ``StreamSignatures.of(tl.stream)`` when the caller has it: the sums then come
    from each distinct signature's terms times its count when that is exact (:func:`_exact_sums`)."""
    topo = tl.topology
    terms = _Terms(tl, gemm_sram_reads)
    sums = _exact_sums(terms, signatures) if signatures is not None else None
    macs, sram_bytes, adds = sums if sums is not None else _sequential_sums(terms, tl.stream.instrs)
    carried = _bytes_per_resource(tl)
    links = switch = 0.0
    dram: dict[str, float] = {}
    for r, resource in enumerate(topo.resources):
        bits = float(carried[r]) * 8
        if resource.kind == "link":
            links += bits
        elif resource.kind in ("switch", "reducer"):
            switch += bits
        elif resource.kind == "dram":
            dram[resource.name.removeprefix("dram:")] = bits
    return Activity(macs, sram_bytes * 8, links, switch, adds, dram, tl.step_time)


class _Terms:
    """What one instruction adds to the MACs, the SRAM bytes and the reduction adds (module docstring)."""

    def __init__(self, tl: Timeline, gemm_sram_reads: str) -> None:
        self.tl = tl
        self.reads = gemm_sram_reads
        self.element = tl.target.bytes_per_element
        self.chiplet = {c.name for c in tl.target.chiplets}
        self.gemm_elements: dict[tuple[str, int, int, int], int] = {}

    def of(self, instr: Instr) -> tuple[float, float, float]:
        """(MACs, SRAM bytes, adds) of ``instr``."""
        op, element = instr.op, self.element
        if op == "gemm":
            return (instr.m * instr.k * instr.n * instr.count,
                    instr.count * element * _gemm_elements(instr, self.tl, self.reads, self.gemm_elements), 0)
        if op == "compute":
            return instr.flops / 2, 1.5 * instr.flops * element, 0
        if op in ("load", "store", "send"):
            return 0, ((instr.src in self.chiplet) + (instr.dst in self.chiplet)) * instr.bytes, 0
        if op == "reduce":
            return 0, 0, (instr.inputs - 1) * instr.bytes / element
        return 0, 0, 0


def _sequential_sums(terms: _Terms, instrs: Sequence[Instr]) -> tuple[float, float, float]:
    """The MACs, SRAM bytes and adds of ``instrs``, added up in stream order."""
    macs = sram_bytes = adds = 0.0
    for instr in instrs:
        a, b, c = terms.of(instr)
        macs += a
        sram_bytes += b
        adds += c
    return macs, sram_bytes, adds


#: terms and sums below are multiples of 1 / _QUANTUM, so sums below 2**53 / _QUANTUM are exact in floats
_QUANTUM = 4


def _exact_sums(terms: _Terms, signatures: StreamSignatures) -> tuple[float, float, float] | None:
    """:func:`_sequential_sums` from each distinct signature's terms times its count, or None when
    that could differ: the stream-order float sums equal the exact sums when every term is a
    non-negative multiple of ``1 / _QUANTUM`` and every sum stays below ``2**53 / _QUANTUM`` (then no
    partial sum is ever rounded)."""
    index = signatures.index
    counts = np.bincount(index.of, minlength=len(index.distinct)).tolist()
    quanta = [0, 0, 0]
    for instr, times in zip(index.instrs, counts, strict=True):
        for j, term in enumerate(terms.of(instr)):
            scaled = term * _QUANTUM
            if not (0 <= scaled < _EXACT and float(scaled).is_integer()):
                return None
            quanta[j] += int(scaled) * times
    if max(quanta) >= _EXACT:
        return None
    return quanta[0] / _QUANTUM, quanta[1] / _QUANTUM, quanta[2] / _QUANTUM


_EXACT = 2**53


def _bytes_per_resource(tl: Timeline) -> np.ndarray:
    """Bytes every resource carried: each flow's amount on each resource it used."""
    counts = np.diff(tl.res_ptr)
    per_flow = np.where(tl.mode == FLOW, tl.amount, 0.0)
    weights = np.repeat(per_flow, counts)
    return np.bincount(tl.res_index, weights=weights, minlength=len(tl.resources))


def _gemm_elements(instr: Instr, tl: Timeline, reads: str, memo: dict[tuple[str, int, int, int], int]) -> int:
    """SRAM elements one (m x k) @ (k x n) GEMM reads and writes (module docstring)."""
    m, k, n = instr.m, instr.k, instr.n
    if reads == "once":
        return m * k + k * n + m * n
    unit = instr.unit or ""
    key = (unit, m, k, n)
    hit = memo.get(key)
    if hit is None:
        split = chiplet_gemm(m, k, n, tl.target.chiplet(unit), tl.target.clock_ghz, tl.target.bytes_per_element)
        sm, sk, sn = -(-m // split.split_m), -(-k // split.split_k), -(-n // split.split_n)
        hit = split.arrays_used * (sm * sk + sk * sn + sm * sn)
        memo[key] = hit
    return hit


def tokens_per_step(attrs: dict[str, str | int | float | bool]) -> int | None:
    """``micro_batches x micro_batch x seq_len`` from the stream's attributes; None when one is absent."""
    total = 1
    for key in ("micro_batches", "micro_batch", "seq_len"):
        value = attrs.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            return None
        total *= value
    return total


def energy_report(tl: Timeline, signatures: StreamSignatures | None = None) -> dict[str, object]:
    """The report keys of the energy model: ``energy_j``, ``energy_per_token_j``, ``average_power_w``,
    ``tokens_per_step``; empty when the target has no ``[energy]`` table. ``signatures`` is
    ``StreamSignatures.of(tl.stream)`` when the caller has it."""
    joules = step_energy(tl, signatures=signatures)
    if joules is None:
        return {}
    tokens = tokens_per_step(tl.stream.attrs)
    step = tl.step_time
    return {
        "energy_j": joules,
        "energy_per_token_j": {k: v / tokens for k, v in joules.items()} if tokens else None,
        "average_power_w": joules["total"] / step if step > 0 else None,
        "tokens_per_step": tokens,
    }
