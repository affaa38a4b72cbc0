"""Sections about the machine and the mapping: all-to-all traffic, SRAM, DRAM, energy, expert placement."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from mozartc.errors import PassError
from mozartc.executor.engine import Timeline
from mozartc.executor.memory import SRAM_PARTS
from mozartc.ir.core import Module
from mozartc.reports import figures
from mozartc.reports.data import a2a_traffic, dram_traffic, expert_placement
from mozartc.reports.model import Section, Table, unavailable
from mozartc.units import fmt_bytes, fmt_count, fmt_joules, fmt_rate, fmt_share, total_of

NO_TIMELINE = "the timeline and its instruction stream are needed (they are not in the report JSON)."


def traffic(tl: Timeline | None) -> Section:
    """The all-to-all matrix: bytes per (source, destination) of the step's dispatch and combine sends."""
    title = "All-to-all traffic"
    lead = ("Bytes each chiplet sends to each other chiplet in one step's all-to-all (every send instruction of "
            "kind all_to_all: forward and backward dispatch and combine). A send relayed through a switch is "
            "counted on each leg, so the switch shows as a source or destination.")
    if tl is None:
        return unavailable("traffic", title, lead, NO_TIMELINE)
    order = [c.name for c in tl.target.chiplets] + list(tl.target.switches)
    t = a2a_traffic(tl.stream, order)
    total = float(t.bytes.sum())
    facts = [("sends", fmt_count(t.sends)), ("bytes sent", fmt_bytes(total))]
    notes = []
    if t.reduced:
        facts.append(("bytes summed in switches", fmt_bytes(sum(t.reduced.values()))))
        notes.append("Reduce instructions (in-switch sums) move no data between chiplets and are not in the "
                     "matrix; their adder trees read " + ", ".join(f"{s} {fmt_bytes(n)}" for s, n in t.reduced.items())
                     + ".")
    if not t.endpoints:
        return Section("traffic", title, lead, facts=tuple(facts),
                       notes=("The stream has no all-to-all sends.", *notes), values={"bytes": 0.0})
    sent, received = t.bytes.sum(axis=1), t.bytes.sum(axis=0)
    rows = tuple((name, fmt_bytes(float(sent[k])), fmt_bytes(float(received[k])))
                 for k, name in enumerate(t.endpoints))
    table = Table(("chiplet", "sent", "received"), rows, (False, True, True), caption="Totals per chiplet")
    return Section("traffic", title, lead, facts=tuple(facts),
                   figure=Markup(figures.traffic_heatmap(t, "traffic")), tables=(table,), notes=tuple(notes),
                   values={"bytes": total, "sends": float(t.sends)})


def sram(report: dict[str, Any]) -> Section:
    """Peak SRAM use of the schedule per chiplet against its capacity."""
    title = "SRAM per chiplet"
    lead = ("The schedule's peak SRAM use on each chiplet, at its busiest block, by what holds it: one copy of "
            "the weights, the extra weight buffers (double buffering), gradients and activations; against the "
            "chiplet's SRAM capacity.")
    entries = report.get("sram_bytes") or {}
    if not entries:
        return unavailable("sram", title, lead, "the instruction stream does not record SRAM use "
                                               "(sram.* attributes, written from the stream-schedule pass's plan).")
    names = sorted(entries, key=lambda n: (0 if n.startswith("attention") else 1, len(n), n))
    shares = [float(entries[n]["share"]) * 100 for n in names]
    labels = [f"{fmt_share(entries[n]['share'])}: {fmt_bytes(entries[n]['peak'])} of "
              f"{fmt_bytes(entries[n]['capacity'])}" for n in names]
    figure = figures.hbars(names, shares, labels, "peak SRAM use (% of capacity)", "sram", xmax=125.0)
    rows = tuple((n, *(fmt_bytes(entries[n][k]) for k in SRAM_PARTS), fmt_bytes(entries[n]["peak"]),
                  fmt_bytes(entries[n]["capacity"]), fmt_share(entries[n]["share"])) for n in names)
    table = Table(("chiplet", *SRAM_PARTS, "peak", "capacity", "share"), rows,
                  (False, *(True,) * len(SRAM_PARTS), True, True, True))
    return Section("sram", title, lead, figure=Markup(figure), tables=(table,),
                   values={n: float(entries[n]["peak"]) for n in names})


def dram(report: dict[str, Any], tl: Timeline | None) -> Section:
    """Per DRAM stack: bytes read and written in the step, average rate and bandwidth use, capacity."""
    title = "DRAM per stack"
    lead = ("Bytes each DRAM stack reads and writes in one step, its average rate and the share of its bandwidth "
            "in use over the step; and what the step keeps in it (weights, optimizer state, partial gradients, "
            "saved activations) against its capacity, with the bytes that do not fit.")
    if tl is None:
        return unavailable("dram", title, lead, NO_TIMELINE)
    step = tl.step_time
    moved = dram_traffic(tl.stream)
    util = report["utilization"]
    kept = report.get("dram_bytes") or {}
    rows, names, use, labels = [], [], [], []
    values: dict[str, float] = {}
    for stack in tl.target.dram:
        read, written = moved.get(stack.name, (0, 0))
        share = float(util.get(f"dram:{stack.name}", 0.0))
        rate = (read + written) / step if step > 0 else 0.0
        entry = kept.get(stack.name)
        in_use = (f"{fmt_bytes(entry['in_use'])} ({fmt_share(entry['share'])})"
                  + (f", {fmt_bytes(entry['spill'])} do not fit" if entry["spill"] else "")) if entry else "n/a"
        rows.append((stack.name, stack.attached_to, fmt_bytes(stack.capacity_bytes), in_use, fmt_bytes(read),
                     fmt_bytes(written), fmt_rate(rate), fmt_share(share)))
        names.append(f"{stack.name} ({stack.attached_to})")
        use.append(share * 100)
        labels.append(f"{fmt_share(share)}: {fmt_rate(rate)} of {fmt_rate(stack.bandwidth_gbps * 1e9)}")
        values[f"{stack.name}:read"], values[f"{stack.name}:written"] = float(read), float(written)
    table = Table(("stack", "attached to", "capacity", "in use", "read", "written", "average rate", "bandwidth use"),
                  tuple(rows), (False, False, True, True, True, True, True, True))
    figure = figures.hbars(names, use, labels, "bandwidth in use over the step (% of the stack's bandwidth)",
                           "dram", xmax=135.0)
    return Section("dram", title, lead, figure=Markup(figure), tables=(table,), values=values)


def energy(report: dict[str, Any]) -> Section:
    """Energy of the step by component, when the report has an estimate."""
    title = "Energy"
    lead = "Energy of one training step by component, and per token."
    parts = report.get("energy_j")
    if not isinstance(parts, dict) or not parts:
        return unavailable("energy", title, lead, "this report has no energy estimate (no energy_j in the report).")
    numbers = {str(k): float(v) for k, v in parts.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    total = numbers.pop("total", sum(numbers.values()))
    names = sorted(numbers, key=lambda k: (-numbers[k], k))
    facts = [("total per step", fmt_joules(total))]
    per_token = total_of(report.get("energy_per_token_j"))
    if per_token is not None:
        facts.append(("per token", fmt_joules(per_token)))
    rows = tuple((n, fmt_joules(numbers[n]), fmt_share(numbers[n] / total if total > 0 else 0.0)) for n in names)
    table = Table(("component", "energy", "share of total"), (*rows, ("total", fmt_joules(total), fmt_share(1.0))),
                  (False, True, True))
    scale, unit = (1e-3, "mJ") if 0 < max(numbers.values(), default=0.0) < 1 else (1.0, "J")
    figure = figures.hbars(names, [numbers[n] / scale for n in names],
                           [f"{fmt_joules(numbers[n])} ({fmt_share(numbers[n] / total if total > 0 else 0.0)})"
                            for n in names], f"energy per step ({unit})", "energy")
    return Section("energy", title, lead, facts=tuple(facts), figure=Markup(figure), tables=(table,),
                   values={"total": total, **numbers})


def mapping(module: Module | None, tl: Timeline | None) -> Section:
    """Which experts sit on which expert chiplet, per MoE layer."""
    title = "Expert mapping"
    lead = ("Per MoE layer (rows), the experts each expert chiplet (columns) holds. The shade of a cell is the "
            "share of the routing trace's tokens that select one of its experts (darker: more traffic).")
    if module is None:
        return unavailable("mapping", title, lead,
                           "a bare instruction stream (mozartc run FILE.mzs) does not say which experts sit where; "
                           "mozartc compile MODEL --run --html shows it.")
    chiplets = [c.name for c in tl.target.expert_chiplets] if tl is not None else []
    try:
        layers = expert_placement(module, len(chiplets))
    except PassError as err:
        return unavailable("mapping", title, lead, f"the experts are not placed on chiplets ({err}).")
    if not layers:
        return unavailable("mapping", title, lead, "the model has no MoE layer.")
    width = len(layers[0].experts)
    names = chiplets if len(chiplets) == width else [f"chiplet {c}" for c in range(width)]
    lo = min(min(p.token_share) for p in layers)
    hi = max(max(p.token_share) for p in layers)
    span = hi - lo if hi > lo else 1.0
    rows = tuple((f"layer {p.layer}", *(" ".join(map(str, e)) for e in p.experts)) for p in layers)
    shade = tuple((None, *((s - lo) / span for s in p.token_share)) for p in layers)
    table = Table(("layer", *names), rows, (False, *([False] * width)), shade)
    notes = [f"Shades run from {fmt_share(lo)} of the trace's tokens (lightest) to {fmt_share(hi)} (darkest)."]
    split = [p.layer for p in layers if p.split]
    if split:
        notes.append("Layers " + ", ".join(map(str, split)) + " split experts over several chiplets: an expert "
                     "listed on k chiplets holds 1/k of its FFN on each.")
    experts = max(max((max(e, default=-1) for e in p.experts), default=-1) for p in layers) + 1
    facts = (("MoE layers", str(len(layers))), ("experts per layer", str(experts)), ("expert chiplets", str(width)))
    return Section("mapping", title, lead, facts=facts, tables=(table,), notes=tuple(notes),
                   values={"layers": float(len(layers))})
