"""What each instruction occupies and for how long: resources from the topology, durations from cost models.

Resources (one instruction at a time each), named as in reports and Perfetto tracks:

==========================  ==================================================================
``compute:CHIP``            a chiplet's systolic arrays (gemm, compute)
``dram:STACK``              a DRAM stack's channel (reads and writes share it)
``link:A->B``               one direction of a die-to-die edge (full duplex: ``B->A`` is separate)
``switch:SWITCH``           a group switch (transfers routed through it; in-switch reduce)
==========================  ==================================================================

A transfer (load/store/send) from ``src`` to ``dst`` follows the unique tree route and holds every
resource on it for its whole duration: the DRAM channel at a DRAM end (the DRAM edge is the
channel, so it is not a separate link), each die-to-die edge in travel direction, each switch it
passes (unless ``switch_exclusive`` is off). Chiplets at the ends or relaying do not spend compute.
A relayed all-to-all (``a2a-dedup`` with ``switch-multicast``/``switch-reduce``) has legs that start
or end at a switch: under ``switch_exclusive`` its uplink leg (attention chiplet <-> switch) holds
the switch too, standing for the whole cut-through transaction, while its leaf legs (switch <->
expert chiplet) hold only their links; so a blocking switch serialises a group's weight stream with
its all-to-all whichever way the all-to-all is sent.

Durations (seconds):

- transfer: cut-through ``sum(latency) + bytes / min(bandwidth)`` over the route's hops and the
  switches passed (``switch.bandwidth_gbps``, ``switch.latency_ns``):
  :func:`mozartc.hw.cost.path_transfer_time`;
- gemm: ``count * chiplet_gemm(m, k, n, chip, clock).seconds`` (``bound_seconds``, i.e. limited by
  tile SRAM bandwidth, when ``gemm_sram_bound`` is on);
- compute: ``flops / (peak_flops(chip) * compute_efficiency)``;
- reduce: :func:`mozartc.hw.cost.switch_reduction_time` ``(bytes, inputs)``;
- barrier: 0, no resources.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from mozartc.errors import VerifyError
from mozartc.hw.cost import chiplet_gemm, path_transfer_time, switch_reduction_time
from mozartc.hw.target import Target
from mozartc.isa.instr import Instr


@dataclass(frozen=True)
class ExecOptions:
    """Modelling choices of the executor (each one a documented assumption, see docs/executor.md).

    ``compute_efficiency``: fraction of a chiplet's peak FLOP/s that non-GEMM ``compute`` reaches.
    ``gemm_sram_bound``: time a GEMM by ``max(compute, tile SRAM traffic / SRAM bandwidth)``.
    ``switch_exclusive``: a transfer routed through a switch holds the whole switch; None (default)
    takes the target's ``switch.blocking``.
    """

    compute_efficiency: float = 1.0
    gemm_sram_bound: bool = False
    switch_exclusive: bool | None = None


class Machine:
    """Resource names and ids of one target, and per-instruction resource lists and durations.

    Routes, GEMM costs and resource lists are memoised per machine (one per :func:`execute` call).
    """

    def __init__(self, target: Target, options: ExecOptions) -> None:
        self.target = target
        self.options = options
        self.names: list[str] = []
        #: per-direction bandwidth (GB/s) of each transfer resource, by id; 0 for compute arrays
        self.bandwidth: list[float] = []
        self._ids: dict[str, int] = {}
        self._parent: dict[str, str] = {}
        self._edge: dict[tuple[str, str], tuple[float, float]] = {}  # (bandwidth_gbps, latency_ns) per edge
        self._roles: dict[str, str] = {}
        self._routes: dict[tuple[str, str], tuple[tuple[int, ...], float, float]] = {}
        self._gemm: dict[tuple[str, int, int, int], float] = {}
        self._build()

    def _add(self, name: str, bandwidth_gbps: float = 0.0) -> int:
        self._ids[name] = len(self.names)
        self.names.append(name)
        self.bandwidth.append(bandwidth_gbps)
        return self._ids[name]

    def _build(self) -> None:
        t = self.target
        per_link = t.links.bandwidth_gbps_per_link
        root = t.attention_chiplets[0].name
        for chip in t.chiplets:
            self._roles[chip.name] = chip.role
            self._add(f"compute:{chip.name}")
        for stack in t.dram:
            self._roles[stack.name] = "dram"
            self._add(f"dram:{stack.name}", stack.bandwidth_gbps)
            self._parent[stack.name] = stack.attached_to
            self._edge[(stack.name, stack.attached_to)] = (stack.bandwidth_gbps, stack.latency_ns)
        uplink = t.uplink_links() / 2 * per_link
        for switch in t.switches:
            self._roles[switch] = "switch"
            self._add(f"switch:{switch}", t.switch.bandwidth_gbps)
            self._parent[switch] = root
            self._edge[(switch, root)] = (uplink, t.links.latency_ns)
        for chip in t.expert_chiplets:
            assert chip.group is not None
            switch = t.switches[chip.group]
            self._parent[chip.name] = switch
            self._edge[(chip.name, switch)] = (t.links_per_edge(chip) / 2 * per_link, t.links.latency_ns)
        for (a, b), (bw, _) in list(self._edge.items()):
            if self._roles[a] != "dram":
                self._add(f"link:{a}->{b}", bw)
                self._add(f"link:{b}->{a}", bw)

    def resource_id(self, name: str) -> int:
        """The id of resource ``name`` (KeyError if none)."""
        return self._ids[name]

    def _path(self, src: str, dst: str) -> list[str]:
        """Tree path ``src .. dst`` through the lowest common ancestor."""
        up_src = [src]
        while up_src[-1] in self._parent:
            up_src.append(self._parent[up_src[-1]])
        up_dst = [dst]
        while up_dst[-1] in self._parent:
            up_dst.append(self._parent[up_dst[-1]])
        common = set(up_src) & set(up_dst)
        i = next(k for k, n in enumerate(up_src) if n in common)
        j = up_dst.index(up_src[i])
        return up_src[: i + 1] + up_dst[:j][::-1]

    def route(self, src: str, dst: str) -> tuple[tuple[int, ...], float, float]:
        """(resource ids, bottleneck GB/s, total latency ns) of a transfer ``src -> dst``."""
        key = (src, dst)
        hit = self._routes.get(key)
        if hit is not None:
            return hit
        nodes = self._path(src, dst)
        res: list[int] = []
        hops: list[tuple[float, float]] = []
        for a, b in itertools.pairwise(nodes):
            hops.append(self._edge[(a, b)] if (a, b) in self._edge else self._edge[(b, a)])
            if self._roles.get(a) == "dram":
                res.append(self._ids[f"dram:{a}"])
            elif self._roles.get(b) == "dram":
                res.append(self._ids[f"dram:{b}"])
            else:
                res.append(self._ids[f"link:{a}->{b}"])
        sw = self.target.switch
        for node in nodes[1:-1]:
            if self._roles.get(node) == "switch":
                hops.append((sw.bandwidth_gbps, sw.latency_ns))
                if self.options.switch_exclusive:
                    res.append(self._ids[f"switch:{node}"])
        ends = {self._roles.get(n): n for n in nodes} if len(nodes) == 2 else {}
        if self.options.switch_exclusive and set(ends) == {"switch", "attention"}:  # a relay's uplink leg
            res.append(self._ids[f"switch:{ends['switch']}"])
        out = (tuple(res), min(bw for bw, _ in hops), sum(lat for _, lat in hops))
        self._routes[key] = out
        return out

    def transfer_seconds(self, nbytes: int, src: str, dst: str) -> float:
        """Cut-through time of ``nbytes`` from ``src`` to ``dst`` (module docstring)."""
        _, bw, lat = self.route(src, dst)
        return path_transfer_time(nbytes, [(bw, lat)])

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

    def occupancy(self, instr: Instr) -> tuple[tuple[int, ...], float]:
        """(resource ids, duration in seconds) of one verified instruction."""
        op = instr.op
        if op in ("load", "store", "send"):
            assert instr.src is not None and instr.dst is not None
            res, bw, lat = self.route(instr.src, instr.dst)
            return res, path_transfer_time(instr.bytes, [(bw, lat)])
        if op == "gemm":
            assert instr.unit is not None
            return (self._ids[f"compute:{instr.unit}"],), instr.count * self.gemm_seconds(
                instr.unit, instr.m, instr.k, instr.n)
        if op == "compute":
            assert instr.unit is not None
            peak = self.target.chiplet(instr.unit).peak_flops(self.target.clock_ghz)
            return (self._ids[f"compute:{instr.unit}"],), instr.flops / (peak * self.options.compute_efficiency)
        if op == "reduce":
            assert instr.unit is not None
            return (self._ids[f"switch:{instr.unit}"],), switch_reduction_time(instr.bytes, instr.inputs, self.target)
        if op == "barrier":
            return (), 0.0
        raise VerifyError(f"unknown op '{op}'")
