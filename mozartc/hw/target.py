"""The resolved machine: named chiplets, switches and DRAM stacks with their derived numbers.

Built from a file (``Target.from_file``, a shipped name with ``Target.named``) or from the tables a
file would hold (``Target.from_dict``); every other module reads these frozen objects.
Naming: ``attention0``.., ``expert0``.. (expert ``e`` is in group ``e // (experts/groups)``),
``switch0``.. (one per group), ``dram0``.. in file order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mozartc.hw.loader import parse_target_spec, read_target_spec
from mozartc.hw.schema import (
    PRECISION_BYTES,
    ChipletKindSpec,
    LinkSpec,
    SwitchSpec,
    TargetSpec,
    sram_bandwidth_gbps_per_tile,
)
from mozartc.hw.shipped import shipped_path

Role = Literal["attention", "expert"]

#: bytes in one ``capacity_mb`` unit: memory capacities use binary MB (an "8 GB" HBM2 stack = 8192 MB)
MB_BYTES = 1 << 20
#: bytes per second in one GB/s (decimal, as link and DRAM bandwidths are quoted)
GBPS_BYTES = 1e9


def d2d_links_per_edge(kind: ChipletKindSpec, links: LinkSpec) -> int:
    """2.5D links on one chiplet edge: ``floor(edge_um / pitch_um) * bump_rows``, ``edge = sqrt(area)``.

    A chiplet with an explicit ``d2d_links_per_edge`` uses that number instead.
    """
    if kind.d2d_links_per_edge is not None:
        return kind.d2d_links_per_edge
    assert kind.area_mm2 is not None  # guaranteed by ChipletKindSpec
    edge_um = math.sqrt(kind.area_mm2) * 1000.0
    return int(edge_um // links.pitch_um) * links.bump_rows


@dataclass(frozen=True)
class Chiplet:
    """One compute chiplet; ``group`` is None for attention chiplets.

    ``sram_gbps_per_tile`` is resolved at load time (explicit, or from the 3D link grid).
    """

    name: str
    role: Role
    kind_name: str
    kind: ChipletKindSpec
    group: int | None
    sram_gbps_per_tile: float

    @property
    def arrays(self) -> int:
        """Systolic arrays on the chiplet (tiles x arrays per tile)."""
        return self.kind.tiles * self.kind.arrays_per_tile

    @property
    def pes(self) -> int:
        """Processing elements (MAC units) on the chiplet."""
        return self.arrays * self.kind.array_rows * self.kind.array_cols

    def peak_flops(self, clock_ghz: float) -> float:
        """Peak FLOP/s: ``tiles * arrays_per_tile * rows * cols * 2 (mul+add) * clock``."""
        return self.pes * 2.0 * clock_ghz * 1e9

    @property
    def sram_mb(self) -> float:
        """SRAM capacity of the chiplet in the file's MB (MiB, 2^20 bytes): tiles x SRAM per tile."""
        return self.kind.tiles * self.kind.sram_mb_per_tile

    @property
    def sram_bytes(self) -> int:
        """SRAM capacity of the chiplet in bytes (``sram_mb * 2**20``)."""
        return int(self.sram_mb * MB_BYTES)


@dataclass(frozen=True)
class DramStack:
    """One DRAM stack or SSD, attached to ``attention0`` or ``switchG``."""

    name: str
    kind_name: str
    technology: str
    capacity_mb: float
    bandwidth_gbps: float
    latency_ns: float
    attached_to: str

    @property
    def capacity_bytes(self) -> int:
        """Capacity in bytes (``capacity_mb * 2**20``)."""
        return int(self.capacity_mb * MB_BYTES)


@dataclass(frozen=True)
class Target:
    """A validated hardware target (see docs/hardware.md for every field)."""

    name: str
    source: Path | None
    clock_ghz: float
    precision: str
    groups: int
    chiplets: tuple[Chiplet, ...]
    switches: tuple[str, ...]
    switch: SwitchSpec
    links: LinkSpec
    dram: tuple[DramStack, ...]
    spec: TargetSpec = field(compare=False, repr=False)

    @classmethod
    def from_file(cls, path: str | Path) -> Target:
        """The target in the TOML file ``path``, or the shipped target of that name (``wafer``;
        an existing file wins); TargetError naming the file and key of every problem."""
        spec, file = read_target_spec(path)
        return cls.from_spec(spec, file)

    @classmethod
    def named(cls, name: str) -> Target:
        """The shipped target ``name`` (``mozartc target list``); TargetError naming the closest otherwise."""
        spec, file = read_target_spec(shipped_path(name))
        return cls.from_spec(spec, file)

    @classmethod
    def from_dict(cls, tables: dict[str, Any], name: str = "<dict>") -> Target:
        """The target given as the tables a TOML file would hold (``to_dict`` of another target,
        modified); errors name ``name`` and the key."""
        return cls.from_spec(parse_target_spec(tables, name), None)

    def to_dict(self) -> dict[str, Any]:
        """The tables of this target's file as plain, fresh dicts and lists (unset optional keys
        left out): ``Target.from_dict(t.to_dict())`` is ``t``'s machine."""
        return self.spec.model_dump(exclude_none=True)

    @classmethod
    def from_spec(cls, spec: TargetSpec, source: Path | None) -> Target:
        """Resolve a validated spec: name every chiplet, switch and DRAM stack, apply chiplet overrides."""
        topo = spec.topology
        overrides = {ov.chiplet: ov.kind for ov in spec.chiplet_overrides}
        per_group = topo.expert_chiplets // topo.groups

        def chiplet(name: str, role: Role, default_kind: str, group: int | None) -> Chiplet:
            kind = overrides.get(name, default_kind)
            spec_kind = spec.chiplet_kinds[kind]
            return Chiplet(name, role, kind, spec_kind, group, sram_bandwidth_gbps_per_tile(spec_kind, spec.links))

        chiplets = [chiplet(f"attention{i}", "attention", topo.attention_kind, None)
                    for i in range(topo.attention_chiplets)]
        chiplets += [chiplet(f"expert{i}", "expert", topo.expert_kind, i // per_group)
                     for i in range(topo.expert_chiplets)]
        dram = tuple(
            DramStack(f"dram{i}", d.kind, spec.dram_kinds[d.kind].technology, spec.dram_kinds[d.kind].capacity_mb,
                      spec.dram_kinds[d.kind].bandwidth_gbps, spec.dram_kinds[d.kind].latency_ns, d.attached_to)
            for i, d in enumerate(spec.dram)
        )
        return cls(
            name=spec.system.name, source=source, clock_ghz=spec.system.clock_ghz,
            precision=spec.system.precision, groups=topo.groups, chiplets=tuple(chiplets),
            switches=tuple(f"switch{g}" for g in range(topo.groups)), switch=spec.switch,
            links=spec.links, dram=dram, spec=spec,
        )

    @property
    def bytes_per_element(self) -> int:
        """Bytes of one value in the target precision."""
        return PRECISION_BYTES[self.precision]

    @property
    def expert_chiplets(self) -> tuple[Chiplet, ...]:
        """Expert chiplets in index order."""
        return tuple(c for c in self.chiplets if c.role == "expert")

    @property
    def attention_chiplets(self) -> tuple[Chiplet, ...]:
        """Attention chiplets (the NoP-tree root)."""
        return tuple(c for c in self.chiplets if c.role == "attention")

    @property
    def chiplets_per_group(self) -> int:
        """Expert chiplets behind each switch."""
        return len(self.expert_chiplets) // self.groups

    def chiplet(self, name: str) -> Chiplet:
        """The chiplet called ``name`` (KeyError if none)."""
        for chip in self.chiplets:
            if chip.name == name:
                return chip
        raise KeyError(name)

    def group_members(self, group: int) -> tuple[Chiplet, ...]:
        """Expert chiplets of one group."""
        return tuple(c for c in self.expert_chiplets if c.group == group)

    def dram_of(self, node: str) -> tuple[DramStack, ...]:
        """DRAM stacks attached to ``node`` (``attention0`` or ``switchG``)."""
        return tuple(d for d in self.dram if d.attached_to == node)

    @property
    def dram_capacity_bytes(self) -> int:
        """Total DRAM capacity over all stacks, bytes."""
        return sum(d.capacity_bytes for d in self.dram)

    def links_per_edge(self, chip: Chiplet) -> int:
        """2.5D die-to-die links on one edge of ``chip``."""
        return d2d_links_per_edge(chip.kind, self.links)

    def edge_bandwidth_gbps(self, chip: Chiplet) -> float:
        """Per-direction bandwidth of one chiplet edge: ``links_per_edge / 2 * GB/s per link``.

        Single-ended die-to-die wires are unidirectional; half carry each direction.
        """
        return self.links_per_edge(chip) / 2 * self.links.bandwidth_gbps_per_link

    def uplink_links(self) -> int:
        """Links between the root attention chiplet and one switch.

        One attention-chiplet edge faces each switch; with more than 4 switches the 4 edges' links
        are shared evenly: ``links_per_edge * min(1, 4 / groups)``.
        """
        root = self.attention_chiplets[0]
        per_edge = self.links_per_edge(root)
        return per_edge if self.groups <= 4 else (4 * per_edge) // self.groups

    def peak_flops_total(self) -> float:
        """Sum of every chiplet's peak FLOP/s."""
        return sum(c.peak_flops(self.clock_ghz) for c in self.chiplets)


def load_target(path: str | Path) -> Target:
    """Parse, validate and resolve the target file at ``path`` (or the shipped target of that name,
    :mod:`mozartc.hw.shipped`); raise TargetError listing every problem (``Target.from_file``)."""
    return Target.from_file(path)


def target_from_dict(raw: dict[str, Any], name: str = "<dict>") -> Target:
    """Validate and resolve a target given as the tables a TOML file would hold; errors name ``name``
    (``Target.from_dict``)."""
    return Target.from_dict(raw, name)
