"""Memory footprint of a step, read off the stream's attributes (the backend writes them).

- ``sram_bytes`` per chiplet: the SRAM plan at the chiplet's busiest block (docs/schedule.md): one
  copy of the weights, the extra buffer copies (double buffering; a tiled block's second tile),
  gradients, the working set of activations, their sum ``peak``, the ``capacity`` and
  ``share = peak / capacity``.
- ``dram_bytes`` per stack: what the step keeps there: every block's weights once (and the
  embedding table, on the attention chiplet's stacks), the optimizer state written back with them,
  one partial-gradient buffer per streamed block, every forward activation saved for backward (all
  live when backward starts); their sum ``in_use``, the ``capacity``, and
  ``spill = max(0, in_use - capacity)``, the bytes that do not fit.
"""

from __future__ import annotations

from typing import Any

SRAM_PARTS = ("weights", "buffers", "gradients", "activations")
DRAM_PARTS = ("weights", "state", "gradients", "activations")


def _per_unit(attrs: dict[str, Any], prefix: str) -> dict[str, dict[str, int]]:
    """``{unit: {key: value}}`` from attributes ``PREFIX.KEY.UNIT`` with integer values."""
    out: dict[str, dict[str, int]] = {}
    for name, value in sorted(attrs.items()):
        parts = name.split(".", 2)
        if len(parts) == 3 and parts[0] == prefix and isinstance(value, int) and not isinstance(value, bool):
            out.setdefault(parts[2], {})[parts[1]] = value
    return out


def sram_bytes(attrs: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per chiplet, its SRAM by what holds it (module docstring); empty when the stream does not say."""
    out: dict[str, dict[str, float]] = {}
    for chip, entry in _per_unit(attrs, "sram").items():
        capacity, peak = entry.get("capacity", 0), entry.get("peak")
        if peak is None or capacity <= 0:
            continue
        out[chip] = {**{k: entry.get(k, 0) for k in SRAM_PARTS}, "peak": peak, "capacity": capacity,
                     "share": peak / capacity}
    return out


def dram_bytes(attrs: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per DRAM stack, what the step keeps there (module docstring); empty when the stream does not say."""
    out: dict[str, dict[str, float]] = {}
    for stack, entry in _per_unit(attrs, "dram").items():
        capacity = entry.get("capacity", 0)
        in_use = sum(entry.get(k, 0) for k in DRAM_PARTS)
        out[stack] = {**{k: entry.get(k, 0) for k in DRAM_PARTS}, "in_use": in_use, "capacity": capacity,
                      "share": in_use / capacity if capacity > 0 else 0.0, "spill": max(0, in_use - capacity)}
    return out


def memory_lines(report: dict[str, Any]) -> list[str]:
    """The summary lines about SRAM and DRAM: the fullest chiplet and stack, and any spill."""
    lines: list[str] = []
    sram = report.get("sram_bytes") or {}
    if sram:
        chip, entry = max(sram.items(), key=lambda kv: (kv[1]["share"], kv[0]))
        lines.append(f"  sram: fullest {chip} {entry['share']:.1%} ({entry['peak'] / 1e6:.1f} of "
                     f"{entry['capacity'] / 1e6:.1f} MB)")
    dram = report.get("dram_bytes") or {}
    if dram:
        stack, entry = max(dram.items(), key=lambda kv: (kv[1]["share"], kv[0]))
        spill = sum(e["spill"] for e in dram.values())
        lines.append(f"  dram: fullest {stack} {entry['share']:.1%} ({entry['in_use'] / 1e9:.2f} of "
                     f"{entry['capacity'] / 1e9:.2f} GB in use)"
                     + (f"; {spill / 1e9:.2f} GB do not fit" if spill else ""))
    return lines
