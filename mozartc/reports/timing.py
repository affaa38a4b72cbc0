"""Sections about time: summary, breakdown, critical path, lower bounds, utilisation over time.

Each builder takes the report dict (:func:`mozartc.executor.report.make_report`) and, where it needs
one, the timeline; it returns a :class:`~mozartc.reports.model.Section`.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from mozartc.executor.engine import Timeline
from mozartc.ir.core import Module
from mozartc.reports import figures
from mozartc.reports.data import utilisation_over_time
from mozartc.reports.model import Section, Table, unavailable
from mozartc.units import (
    fmt_bytes,
    fmt_count,
    fmt_flops,
    fmt_joules,
    fmt_per_second,
    fmt_ratio,
    fmt_seconds,
    fmt_share,
    total_of,
)

#: time bins of the utilisation heatmap: fine enough to see each layer of a 16-layer model's forward
#: and backward pass, coarse enough for a readable figure
HEATMAP_BINS = 120
#: busiest resources listed under the heatmap
BUSIEST = 10

BOUND_MEANING: dict[str, str] = {
    "compute": "busiest chiplet: its summed compute time",
    "dram": "busiest DRAM stack: bytes / bandwidth",
    "link": "busiest die-to-die link direction: bytes / bandwidth",
    "switch": "busiest switch crossbar: bytes / bandwidth",
    "reducer": "busiest switch adder tree: bytes read / rate",
    "dependency_chain": "longest dependency chain, each instruction timed alone",
}


def tokens_per_step(module: Module | None) -> int | None:
    """Tokens one training step processes: the schedule's ``micro_batches x tokens_per_micro_batch``."""
    if module is None:
        return None
    for region in module.regions("schedule"):
        mb, tokens = region.attrs.get("micro_batches"), region.attrs.get("tokens_per_micro_batch")
        if isinstance(mb, int) and isinstance(tokens, int):
            return mb * tokens
    return None


def summary(report: dict[str, Any], module: Module | None) -> Section:
    """Step time, tokens and throughput, the binding lower bound and how close the step is to it."""
    step = float(report["step_time_s"])
    ratio = report.get("step_over_bound")
    facts: list[tuple[str, str]] = [
        ("model", str(report.get("model") or report.get("stream"))),
        ("target", str(report.get("target"))),
        ("step time", fmt_seconds(step)),
    ]
    values = {"step_time_s": step, "lower_bound_s": float(report["lower_bound_s"])}
    tokens = tokens_per_step(module)
    if tokens is not None:
        facts.append(("tokens per step", fmt_count(tokens)))
        if step > 0:
            facts.append(("throughput", fmt_per_second(tokens / step, "tokens")))
        values["tokens"] = float(tokens)
    else:
        facts.append(("tokens per step", "not recorded (no mapped module: the stream alone does not say)"))
    facts.append(("lower bound", f"{fmt_seconds(float(report['lower_bound_s']))} ({report['lower_bound_from']})"))
    if ratio is not None:
        facts.append(("step / bound", fmt_ratio(float(ratio))))
        values["step_over_bound"] = float(ratio)
    if report.get("C_T") is not None:
        facts.append(("C_T (all-to-all copies per token)", f"{float(report['C_T']):.3f}"))
    energy = total_of(report.get("energy_per_token_j"))
    if energy is not None:
        facts.append(("energy per token", fmt_joules(energy)))
    totals = report.get("totals") or {}
    facts += [("instructions", fmt_count(int(report["instructions"])))]
    if totals:
        facts += [("DRAM read / written", f"{fmt_bytes(totals['dram_read_bytes'])} / "
                                          f"{fmt_bytes(totals['dram_write_bytes'])}"),
                  ("bytes sent between chiplets", fmt_bytes(totals["send_bytes"])),
                  ("GEMM work", fmt_flops(totals["gemm_flops"]))]
    notes = [f"Capacity warning: {report['capacity_warning']}"] if report.get("capacity_warning") else []
    pipeline = report.get("pipeline")
    if pipeline:
        notes.append(f"Pipeline: {pipeline}")
    return Section("summary", "Summary", "One training step of the model on the target, as the executor timed it.",
                   facts=tuple(facts), notes=tuple(notes), values=values)


def _parts_table(parts: dict[str, float], step: float) -> Table:
    rows = tuple((kind, fmt_seconds(v), fmt_share(v / step if step > 0 else 0.0)) for kind, v in parts.items())
    total = ("total", fmt_seconds(sum(parts.values())), fmt_share(sum(parts.values()) / step if step > 0 else 0.0))
    return Table(("kind", "time", "share of step"), (*rows, total), (False, True, True))


def _parts_section(report: dict[str, Any], key: str, section: str, title: str, lead: str, bar: str) -> Section:
    """A section of seconds per kind that add up to the step: a stacked bar and a table."""
    parts = {k: float(v) for k, v in report[key].items()}
    step = float(report["step_time_s"])
    return Section(section, title, lead, figure=Markup(figures.stacked_bar(parts, bar, fmt_seconds)),
                   tables=(_parts_table(parts, step),), values=parts)


def breakdown(report: dict[str, Any]) -> Section:
    """The step time split by kind (priority sweep; adds up to the step)."""
    return _parts_section(
        report, "breakdown_s", "breakdown", "Step time breakdown",
        "Every instant of the step goes to the highest-priority kind of work running then "
        "(compute > all_to_all > dram_load > dram_save > sync); instants with nothing running are exposed. "
        "The parts add up to the step time.", "breakdown")


def critical_path(report: dict[str, Any]) -> Section:
    """Seconds per kind along the critical path."""
    return _parts_section(
        report, "critical_path_s", "critical-path", "Critical path",
        "From the instruction that finishes last, back to time 0 through the instruction whose finish let "
        "each one start (a dependency, or the work that freed its chiplet's arrays): the time along that "
        "path by kind. Waits with nothing on the path running are exposed; the parts add up to the step time.",
        "critical")


def lower_bounds(report: dict[str, Any]) -> Section:
    """Each lower bound, and the step time over it."""
    bounds = {k: float(v) for k, v in report["lower_bounds_s"].items()}
    step = float(report["step_time_s"])
    binding = max(bounds.items(), key=lambda kv: (kv[1], kv[0]))[0] if bounds else None
    rows = []
    for name in sorted(bounds, key=lambda k: (-bounds[k], k)):
        value = bounds[name]
        what = report["lower_bound_from"] if name == binding else BOUND_MEANING.get(name, "")
        rows.append((name, fmt_seconds(value), fmt_ratio(step / value) if value > 0 else "-", what))
    return Section(
        "bounds", "Lower bounds",
        "No schedule can beat any of these: each resource family's busiest member doing its work at full rate, "
        "and the longest dependency chain. step/bound near 1 means the step is as short as that resource allows.",
        figure=Markup(figures.bounds_chart(bounds, step, "bounds")),
        tables=(Table(("bound", "time", "step / bound", "what"), tuple(rows), (False, True, True, False)),),
        values=bounds)


def utilisation(report: dict[str, Any], tl: Timeline | None, bins: int = HEATMAP_BINS) -> Section:
    """Per-resource utilisation over time (heatmap) and the busiest resources of the step."""
    title = "Utilisation over time"
    lead = ("Each row is a resource (compute arrays of a chiplet, DRAM stack, switch crossbar, switch adder "
            "tree, die-to-die link direction), each column a slice of the step; the colour is the share of "
            "its bandwidth in use, or for compute arrays the share of time busy.")
    if tl is None:
        return unavailable("utilisation", title, lead, "the timeline is needed (it is not in the report JSON).")
    grid = utilisation_over_time(tl, bins)
    util = report["utilization"]
    busiest = sorted(util.items(), key=lambda kv: (-kv[1], kv[0]))[:BUSIEST]
    table = Table(("resource", "utilisation over the step"), tuple((k, fmt_share(v)) for k, v in busiest),
                  (False, True), caption=f"The {len(busiest)} busiest resources")
    return Section("utilisation", title, lead, figure=Markup(figures.utilisation_heatmap(grid, "heat")),
                   tables=(table,), values={f"util:{k}": float(v) for k, v in util.items()})
