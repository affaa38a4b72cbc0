"""Typed, frozen schema of a target TOML file (what the file may say, not what it means).

Every key carries its unit in its name. The loader (:mod:`mozartc.hw.loader`) parses a file into
:class:`TargetSpec`, then checks cross-field rules and resolves it into a :class:`mozartc.hw.target.Target`.
Field bounds are plausibility ranges: a value outside them is almost always a unit mistake
(MHz for GHz, bits for bytes, mm for um), so the loader reports it with the expected unit.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Precision = Literal["fp8", "fp16", "bf16", "fp32"]
Dataflow = Literal["os", "ws", "is"]

#: bytes per element of each precision
PRECISION_BYTES: dict[str, int] = {"fp8": 1, "fp16": 2, "bf16": 2, "fp32": 4}

PositiveInt = Annotated[int, Field(gt=0)]


class _Spec(BaseModel):
    """Base of every schema node: frozen, strict types (no "16" -> 16), unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SystemSpec(_Spec):
    """``[system]``: the whole machine."""

    name: str = Field(min_length=1)
    description: str = ""
    clock_ghz: float = Field(gt=0, le=10, description="clock of every chiplet, GHz")
    precision: Precision
    process_nm: int | None = Field(default=None, gt=0, le=1000)


class TopologySpec(_Spec):
    """``[topology]``: the NoP tree (attention chiplet at the root, group switches, expert leaves)."""

    kind: Literal["nop-tree"]
    attention_chiplets: int = Field(gt=0, le=64)
    expert_chiplets: int = Field(gt=0, le=4096)
    groups: int = Field(gt=0, le=1024)
    attention_kind: str = Field(min_length=1)
    expert_kind: str = Field(min_length=1)


class ChipletKindSpec(_Spec):
    """``[chiplet_kinds.NAME]``: one kind of compute chiplet (logic die on an SRAM die)."""

    tiles: int = Field(gt=0, le=100_000)
    arrays_per_tile: int = Field(gt=0, le=1024)
    array_rows: int = Field(gt=0, le=1024)
    array_cols: int = Field(gt=0, le=1024)
    dataflow: Dataflow
    sram_mb_per_tile: float = Field(gt=0, le=1024)
    sram_bandwidth_gbps_per_tile: float | None = Field(default=None, gt=0, le=100_000)
    f2f_links_h: int | None = Field(default=None, gt=0, le=100_000)
    f2f_links_v: int | None = Field(default=None, gt=0, le=100_000)
    area_mm2: float | None = Field(default=None, gt=0, le=50_000)
    d2d_links_per_edge: int | None = Field(default=None, gt=0, le=10_000_000)

    @model_validator(mode="after")
    def _one_source_each(self) -> ChipletKindSpec:
        if (self.area_mm2 is None) == (self.d2d_links_per_edge is None):
            raise ValueError(
                "give exactly one of area_mm2 (2.5D link count derived from the chiplet edge) "
                "or d2d_links_per_edge"
            )
        if (self.f2f_links_h is None) != (self.f2f_links_v is None):
            raise ValueError("give both f2f_links_h and f2f_links_v (3D hybrid-bond link grid) or neither")
        if self.sram_bandwidth_gbps_per_tile is None and self.f2f_links_h is None:
            raise ValueError("give sram_bandwidth_gbps_per_tile or the f2f_links_h x f2f_links_v grid")
        return self


class ChipletOverrideSpec(_Spec):
    """``[[chiplet_overrides]]``: give one chiplet (``expert5``, ``attention0``) another kind."""

    chiplet: str = Field(min_length=1)
    kind: str = Field(min_length=1)


class LinkSpec(_Spec):
    """``[links]``: die-to-die signalling (2.5D direct wires between dies, 3D hybrid bonds)."""

    bandwidth_gbps_per_link: float = Field(gt=0, le=1000)
    pitch_um: float = Field(gt=0.1, le=1000)
    bump_rows: int = Field(gt=0, le=1000)
    latency_ns: float = Field(ge=0, le=1_000_000)


class SwitchSpec(_Spec):
    """``[switch]``: every group switch (token routing and optional in-network reduction).

    ``bandwidth_gbps`` is the crossbar's capacity, shared by every byte leaving the switch
    (docs/executor.md); ``reduction_gbps`` the adder tree's input rate.
    """

    bandwidth_gbps: float = Field(gt=0, le=1_000_000)
    latency_ns: float = Field(ge=0, le=1_000_000)
    reduction: bool
    reduction_gbps: float | None = Field(default=None, gt=0, le=1_000_000)

    @model_validator(mode="after")
    def _rate_when_reducing(self) -> SwitchSpec:
        if self.reduction and self.reduction_gbps is None:
            raise ValueError("reduction = true needs reduction_gbps")
        return self


class DramKindSpec(_Spec):
    """``[dram_kinds.NAME]``: one kind of off-chip memory stack or device."""

    technology: Literal["hbm2", "hbm2e", "hbm3", "ddr4", "ddr5", "lpddr5", "ssd"]
    capacity_mb: float = Field(gt=0, le=1e9)
    bandwidth_gbps: float = Field(gt=0, le=100_000)
    latency_ns: float = Field(ge=0, le=1e9)


class DramSpec(_Spec):
    """``[[dram]]``: one stack, attached to the attention chiplet or a group switch."""

    kind: str = Field(min_length=1)
    attached_to: str = Field(min_length=1)


class DramEnergySpec(_Spec):
    """``[energy.dram.KIND]``: energy of one DRAM kind (named as in ``[dram_kinds]``)."""

    pj_per_bit: float = Field(ge=0, le=1e6, description="read or write of one bit, device and its I/O")
    static_w: float = Field(ge=0, le=1e4, description="background power of one stack or device")


class EnergySpec(_Spec):
    """``[energy]``: energy per operation and static power (docs/energy.md gives every source).

    Optional as a whole: a target without it loads, and its reports carry no energy.
    """

    mac_pj: float = Field(ge=0, le=1e3, description="one multiply-accumulate in the target precision")
    add_pj: float = Field(ge=0, le=1e3, description="one add in the target precision (in-switch reduction)")
    sram_pj_per_bit: float = Field(ge=0, le=1e3, description="read or write of one bit of tile SRAM")
    f2f_pj_per_bit: float = Field(ge=0, le=1e3, description="one bit across the logic-SRAM hybrid bond")
    link_pj_per_bit: float = Field(ge=0, le=1e3, description="one bit over one 2.5D die-to-die hop")
    switch_pj_per_bit: float = Field(ge=0, le=1e3, description="one bit through a switch crossbar")
    chiplet_static_w_per_tile: float = Field(ge=0, le=1e3, description="static power of one chiplet tile")
    switch_static_w: float = Field(ge=0, le=1e4, description="static power of one switch")
    gemm_sram_reads: Literal["once", "per-array"]
    dram: dict[str, DramEnergySpec] = Field(min_length=1)


class TargetSpec(_Spec):
    """A whole target file."""

    system: SystemSpec
    topology: TopologySpec
    chiplet_kinds: dict[str, ChipletKindSpec] = Field(min_length=1)
    chiplet_overrides: list[ChipletOverrideSpec] = []
    links: LinkSpec
    switch: SwitchSpec
    dram_kinds: dict[str, DramKindSpec] = Field(min_length=1)
    dram: list[DramSpec] = Field(min_length=1)
    energy: EnergySpec | None = None


def sram_bandwidth_gbps_per_tile(kind: ChipletKindSpec, links: LinkSpec) -> float:
    """SRAM bandwidth of one tile: explicit, else 3D links ``f2f_links_h * f2f_links_v * per-link GB/s``."""
    if kind.sram_bandwidth_gbps_per_tile is not None:
        return kind.sram_bandwidth_gbps_per_tile
    assert kind.f2f_links_h is not None and kind.f2f_links_v is not None
    return kind.f2f_links_h * kind.f2f_links_v * links.bandwidth_gbps_per_link
