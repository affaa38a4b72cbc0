"""``mozartc target show``: a JSON-able summary of a target and its human rendering."""

from __future__ import annotations

import io
from typing import Any

from mozartc.hw.target import Chiplet, Target, sram_bandwidth_gbps_per_tile
from mozartc.units import fmt_bytes, fmt_mib, fmt_rate


def _d2d_links(target: Target, chip: Chiplet) -> int:
    """Die-to-die links a chiplet uses in the NoP tree (expert: its switch edge; root: every uplink)."""
    if chip.role == "expert":
        return target.links_per_edge(chip)
    return target.uplink_links() * target.groups


def _chiplet_row(target: Target, chip: Chiplet) -> dict[str, Any]:
    links = _d2d_links(target, chip)
    per_link = target.links.bandwidth_gbps_per_link
    return {
        "name": chip.name, "role": chip.role, "kind": chip.kind_name, "group": chip.group,
        "tiles": chip.kind.tiles, "arrays": chip.arrays, "pes": chip.pes,
        "peak_flops": chip.peak_flops(target.clock_ghz), "sram_bytes": chip.sram_bytes,
        "sram_bandwidth_gbps": chip.kind.tiles * sram_bandwidth_gbps_per_tile(chip.kind, target.links),
        "d2d_links": links, "d2d_bandwidth_gbps": links * per_link,
        "d2d_bandwidth_gbps_per_direction": links / 2 * per_link,
    }


def target_summary(target: Target) -> dict[str, Any]:
    """Everything ``target show`` reports, as plain JSON values (deterministic order)."""
    chips = [_chiplet_row(target, c) for c in target.chiplets]
    kinds: dict[str, dict[str, Any]] = {}
    for chip in target.chiplets:
        k = chip.kind
        entry = kinds.setdefault(chip.kind_name, {
            "count": 0, "tiles": k.tiles, "arrays_per_tile": k.arrays_per_tile, "array_rows": k.array_rows,
            "array_cols": k.array_cols, "dataflow": k.dataflow, "sram_mb_per_tile": k.sram_mb_per_tile,
            "sram_bandwidth_gbps_per_tile": sram_bandwidth_gbps_per_tile(k, target.links),
            "peak_flops": chip.peak_flops(target.clock_ghz), "d2d_links_per_edge": target.links_per_edge(chip),
        })
        entry["count"] += 1
    stacks = [{"name": d.name, "kind": d.kind_name, "technology": d.technology, "capacity_mb": d.capacity_mb,
               "capacity_bytes": d.capacity_bytes, "bandwidth_gbps": d.bandwidth_gbps, "latency_ns": d.latency_ns,
               "attached_to": d.attached_to}
              for d in target.dram]
    per_node = [{"node": node, "group": g, "stacks": len(target.dram_of(node)),
                 "capacity_bytes": sum(d.capacity_bytes for d in target.dram_of(node)),
                 "bandwidth_gbps": sum(d.bandwidth_gbps for d in target.dram_of(node))}
                for g, node in [(None, target.attention_chiplets[0].name), *enumerate(target.switches)]]
    return {
        "name": target.name, "source": str(target.source) if target.source else None,
        "clock_ghz": target.clock_ghz, "precision": target.precision,
        "attention_chiplets": len(target.attention_chiplets), "expert_chiplets": len(target.expert_chiplets),
        "groups": target.groups, "chiplets_per_group": target.chiplets_per_group,
        "peak_flops_total": target.peak_flops_total(),
        "sram_bytes_total": sum(c.sram_bytes for c in target.chiplets),
        "chiplet_kinds": kinds, "chiplets": chips, "dram_stacks": stacks, "dram_per_node": per_node,
        "dram_capacity_bytes_total": sum(d.capacity_bytes for d in target.dram),
        "dram_bandwidth_gbps_total": sum(d.bandwidth_gbps for d in target.dram),
        "links": {"bandwidth_gbps_per_link": target.links.bandwidth_gbps_per_link,
                  "pitch_um": target.links.pitch_um, "bump_rows": target.links.bump_rows,
                  "latency_ns": target.links.latency_ns, "uplink_links": target.uplink_links()},
        "switch": target.switch.model_dump(),
    }


def _fmt_flops(x: float) -> str:
    return f"{x / 1e15:.3f} PFLOP/s" if x >= 1e15 else f"{x / 1e12:.3f} TFLOP/s"


def render_summary(s: dict[str, Any]) -> str:
    """Human-readable tables of a :func:`target_summary` (rich, no colour, 100 columns)."""
    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    con = Console(file=out, width=110, color_system=None, highlight=False)
    con.print(f"target {s['name']}  ({s['source']})")
    con.print(f"{s['attention_chiplets']} attention + {s['expert_chiplets']} expert chiplets in {s['groups']} groups "
              f"of {s['chiplets_per_group']}, {s['clock_ghz']} GHz, {s['precision']}")
    con.print(f"peak {_fmt_flops(s['peak_flops_total'])}, SRAM {fmt_bytes(s['sram_bytes_total'])}, DRAM "
              f"{fmt_bytes(s['dram_capacity_bytes_total'])} at {fmt_rate(s['dram_bandwidth_gbps_total'] * 1e9)} total")
    kinds = Table(title="chiplet kinds")
    for col in ("kind", "count", "tiles x arrays", "array", "dataflow", "peak / chiplet", "SRAM / tile",
                "links / edge"):
        kinds.add_column(col, justify="right" if col not in ("kind", "dataflow") else "left")
    for name, k in s["chiplet_kinds"].items():
        kinds.add_row(name, str(k["count"]), f"{k['tiles']} x {k['arrays_per_tile']}",
                      f"{k['array_rows']}x{k['array_cols']}", k["dataflow"], _fmt_flops(k["peak_flops"]),
                      f"{fmt_mib(k['sram_mb_per_tile'])}, {k['sram_bandwidth_gbps_per_tile']:g} GB/s",
                      str(k["d2d_links_per_edge"]))
    con.print(kinds)
    d2d = Table(title=f"die-to-die ({s['links']['bandwidth_gbps_per_link']} GB/s per link, "
                      f"{s['links']['pitch_um']} um pitch, {s['links']['bump_rows']} bump rows)")
    for col in ("chiplet", "group", "kind", "links", "GB/s (both dirs)", "GB/s per direction"):
        d2d.add_column(col, justify="left" if col in ("chiplet", "kind") else "right")
    for c in s["chiplets"]:
        d2d.add_row(c["name"], "-" if c["group"] is None else str(c["group"]), c["kind"], str(c["d2d_links"]),
                    f"{c['d2d_bandwidth_gbps']:.1f}", f"{c['d2d_bandwidth_gbps_per_direction']:.1f}")
    con.print(d2d)
    dram = Table(title="DRAM per node")
    for col in ("node", "group", "stacks", "capacity", "bandwidth GB/s"):
        dram.add_column(col, justify="left" if col == "node" else "right")
    for n in s["dram_per_node"]:
        dram.add_row(n["node"], "-" if n["group"] is None else str(n["group"]), str(n["stacks"]),
                     fmt_bytes(n["capacity_bytes"]), f"{n['bandwidth_gbps']:.1f}")
    con.print(dram)
    sw = s["switch"]
    con.print(f"switch: {sw['bandwidth_gbps']} GB/s, {sw['latency_ns']} ns, reduction "
              f"{'on at ' + str(sw['reduction_gbps']) + ' GB/s' if sw['reduction'] else 'off'}; "
              f"die-to-die hop latency {s['links']['latency_ns']} ns")
    return out.getvalue()
