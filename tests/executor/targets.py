"""Small targets for executor tests: a toy with round numbers, the wafer with overrides, random ones."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

from hypothesis import strategies as st

from mozartc.hw import Target, default_target_path, target_from_dict

#: GB/s of one die-to-die link (the paper's 0.125 GB/s); an edge of L links carries L / 2 x 0.125 per direction
PER_LINK_GBPS = 0.125


def links_for(gbps: float) -> int:
    """Links on an edge whose per-direction bandwidth is ``gbps``."""
    return round(gbps / PER_LINK_GBPS * 2)


def chiplet_kind(edge_gbps: float, tiles: int = 4) -> dict[str, Any]:
    return {"tiles": tiles, "arrays_per_tile": 4, "array_rows": 8, "array_cols": 8, "dataflow": "os",
            "sram_mb_per_tile": 2.0, "sram_bandwidth_gbps_per_tile": 32.0, "d2d_links_per_edge": links_for(edge_gbps)}


def target_tables(*, groups: int = 1, per_group: int = 2, leaf_gbps: float = 40.0, uplink_gbps: float = 40.0,
                  dram: tuple[tuple[str, float], ...] = (("switch0", 70.0),), dram_latency_ns: float = 100.0,
                  link_latency_ns: float = 5.0, switch_latency_ns: float = 10.0, switch_gbps: float = 1000.0,
                  reduction_gbps: float | None = 50.0) -> dict[str, Any]:
    """The tables of a small target: ``dram`` lists (attached_to, GB/s) per stack."""
    kinds = {f"hbm{i}": {"technology": "hbm2", "capacity_mb": 1024.0, "bandwidth_gbps": bw,
                         "latency_ns": dram_latency_ns} for i, (_, bw) in enumerate(dram)}
    switch: dict[str, Any] = {"bandwidth_gbps": switch_gbps, "latency_ns": switch_latency_ns,
                              "reduction": reduction_gbps is not None}
    if reduction_gbps is not None:
        switch["reduction_gbps"] = reduction_gbps
    return {
        "system": {"name": "toy", "clock_ghz": 1.0, "precision": "fp16"},
        "topology": {"kind": "nop-tree", "attention_chiplets": 1, "expert_chiplets": groups * per_group,
                     "groups": groups, "attention_kind": "attention", "expert_kind": "expert"},
        "chiplet_kinds": {"attention": chiplet_kind(uplink_gbps), "expert": chiplet_kind(leaf_gbps)},
        "links": {"bandwidth_gbps_per_link": PER_LINK_GBPS, "pitch_um": 50.0, "bump_rows": 1,
                  "latency_ns": link_latency_ns},
        "switch": switch,
        "dram_kinds": kinds,
        "dram": [{"kind": f"hbm{i}", "attached_to": node} for i, (node, _) in enumerate(dram)],
    }


def toy_target(**kwargs: Any) -> Target:
    """A target with round numbers (defaults: the worked example of docs/executor.md)."""
    return target_from_dict(target_tables(**kwargs), "toy")


def wafer_with(**overrides: Any) -> Target:
    """The shipped wafer.toml with ``table__key=value`` overrides (``links__bump_rows=1``)."""
    raw = tomllib.loads(default_target_path().read_text())
    raw = copy.deepcopy(raw)
    for key, value in overrides.items():
        table, field = key.split("__")
        raw[table][field] = value
    return target_from_dict(raw, "wafer-override")


@st.composite
def small_targets(draw: st.DrawFn) -> Target:
    """Random small NoP trees: 1-3 groups of 1-3 experts, random links, DRAM stacks, switches."""
    groups = draw(st.integers(1, 3))
    gbps = st.sampled_from([8.0, 16.0, 25.0, 40.0, 64.0, 100.0, 256.0])
    nodes = ["attention0", *(f"switch{g}" for g in range(groups))]
    stacks = draw(st.lists(st.tuples(st.sampled_from(nodes), gbps), min_size=1, max_size=4))
    return toy_target(groups=groups, per_group=draw(st.integers(1, 3)), leaf_gbps=draw(gbps),
                      uplink_gbps=draw(gbps), dram=tuple(stacks),
                      dram_latency_ns=draw(st.sampled_from([0.0, 100.0])),
                      link_latency_ns=draw(st.sampled_from([0.0, 5.0])),
                      switch_latency_ns=draw(st.sampled_from([0.0, 10.0])),
                      switch_gbps=draw(st.sampled_from([20.0, 60.0, 5000.0])),
                      reduction_gbps=draw(st.sampled_from([None, 30.0, 500.0])))
