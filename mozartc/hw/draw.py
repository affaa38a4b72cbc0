"""``mozartc target draw``: a labelled picture of the NoP tree (matplotlib, Agg, imported lazily)."""

from __future__ import annotations

import io
from pathlib import Path

from mozartc.fileio import atomic_write_bytes
from mozartc.hw.target import Target

_COLORS = {"attention": "#f4a261", "switch": "#8ecae6", "expert": "#90be6d", "dram": "#cdb4db"}


def _layout(target: Target) -> dict[str, tuple[float, float]]:
    """Node positions: root on top, switches below, each group's experts in a row under its switch."""
    per = target.chiplets_per_group
    width = per + 1.0
    pos: dict[str, tuple[float, float]] = {}
    total = target.groups * width
    root = target.attention_chiplets[0].name
    pos[root] = (total / 2 - 0.5, 3.0)
    for g, switch in enumerate(target.switches):
        x0 = g * width
        pos[switch] = (x0 + (per - 1) / 2, 1.6)
        for i, chip in enumerate(target.group_members(g)):
            pos[chip.name] = (x0 + i, 0.0)
    for node in [root, *target.switches]:
        stacks = target.dram_of(node)
        x, y = pos[node]
        for j, stack in enumerate(stacks):
            dx = 1.6 + 1.1 * j if node == root else 1.1 + 0.9 * j
            dy = 0.0
            pos[stack.name] = (x + dx, y + dy)
    return pos


def _first_experts(target: Target) -> set[str]:
    """The first expert of every group (its edge gets a bandwidth label)."""
    return {target.group_members(g)[0].name for g in range(target.groups)}


def render_png(target: Target) -> bytes:
    """PNG bytes of the topology drawing."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    from mozartc.hw.topology import build_topology

    graph = build_topology(target)
    pos = _layout(target)
    width = max(x for x, _ in pos.values()) - min(x for x, _ in pos.values()) + 2
    fig, ax = plt.subplots(figsize=(max(8.0, width * 0.95), 6.0), dpi=120)
    per = target.chiplets_per_group
    for g in range(target.groups):
        x0 = g * (per + 1.0) - 0.55
        ax.add_patch(FancyBboxPatch((x0, -0.5), per + 0.1, 2.75, boxstyle="round,pad=0.05",
                                    facecolor="#f1f3f5", edgecolor="#868e96", linestyle="--", zorder=0))
        ax.text(x0 + 0.05, -0.45, f"group {g}", fontsize=9, color="#495057", va="bottom")
    for a, b, data in graph.edges(data=True):
        (xa, ya), (xb, yb) = pos[a], pos[b]
        dram = "dram" in (graph.nodes[a]["kind"], graph.nodes[b]["kind"])
        ax.plot([xa, xb], [ya, yb], color="#6c757d" if not dram else "#9d4edd", lw=1.2, zorder=1,
                linestyle=":" if dram else "-")
        kinds = {graph.nodes[a]["kind"], graph.nodes[b]["kind"]}
        first_expert = "expert" in kinds and target.chiplet(a if "expert" in a else b).name in _first_experts(target)
        if not dram and ("expert" not in kinds or first_expert):
            t = 0.75 if "attention" in kinds else 0.5
            if graph.nodes[a]["kind"] in ("switch", "expert") and "attention" in kinds:
                t = 0.25
            ax.text(xa + t * (xb - xa), ya + t * (yb - ya), f"{data['bandwidth_gbps']:.0f} GB/s", fontsize=7,
                    ha="center", va="center", zorder=2,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    for node, data in graph.nodes(data=True):
        x, y = pos[node]
        kind = data["kind"]
        label = node
        if kind == "dram":
            stack = next(d for d in target.dram if d.name == node)
            label = f"{node}\n{stack.technology}\n{stack.capacity_mb / 1024:g} GiB\n{stack.bandwidth_gbps:g} GB/s"
        elif kind in ("expert", "attention"):
            chip = target.chiplet(node)
            k = chip.kind
            label = f"{node}\n{k.tiles}x{k.arrays_per_tile}\n{k.array_rows}x{k.array_cols}"
        ax.text(x, y, label, ha="center", va="center", fontsize=7 if kind != "attention" else 8, zorder=3,
                bbox={"boxstyle": "round,pad=0.3", "facecolor": _COLORS[kind], "edgecolor": "#343a40"})
    expert = target.expert_chiplets[0]
    ax.set_title(f"{target.name}: NoP tree, {len(target.expert_chiplets)} expert chiplets in {target.groups} "
                 f"groups; expert link {target.edge_bandwidth_gbps(expert):.0f} GB/s per direction "
                 f"({target.links_per_edge(expert)} links x {target.links.bandwidth_gbps_per_link} GB/s)",
                 fontsize=9)
    ax.set_xlim(min(x for x, _ in pos.values()) - 1, max(x for x, _ in pos.values()) + 1)
    ax.set_ylim(-0.9, 3.7)
    ax.axis("off")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def draw_topology(target: Target, path: str | Path) -> None:
    """Write the topology drawing of ``target`` to ``path`` as PNG (atomically)."""
    atomic_write_bytes(path, render_png(target))
