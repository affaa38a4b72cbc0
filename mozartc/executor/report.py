"""What users read from a timed stream: step time, breakdown, utilisation, critical path, lower bound.

- **breakdown** (adds up to the step time): sweep the timeline and give every instant to the
  highest-priority kind running then, ``compute > all_to_all > dram_load > dram_save > sync``;
  instants with nothing running are ``exposed`` (``exposed = step - sum(kinds)``).
- **utilisation** of a resource: for a bandwidth (DRAM channel, link, crossbar, adder tree) the
  bytes it carried over ``capacity x step time``; for a chiplet's arrays ``busy time / step time``.
  Both are in [0, 1].
- **critical path**: from the instruction that finishes last, follow ``pred`` (the dependency or
  resource user whose finish let it start) back to time 0; seconds per kind along that path
  (gaps, if any, are ``exposed``); they add up to the step time.
- **lower bounds**: per resource, what it must do at full rate: ``bytes / capacity`` for a DRAM
  channel, a directed link, a crossbar or an adder tree (no resource ever carries more than its
  capacity), a chiplet's summed compute time (its arrays run one instruction at a time); and the
  longest dependency chain of *lone* durations (``latency + bytes / smallest capacity`` for a flow:
  sharing only slows a flow down). Every term is <= the step time; the largest is ``lower_bound_s``.
- **bandwidth over time** (:func:`resource_rates`): the bytes/s each resource carries, a step
  function rebuilt from the engine's rate log (Perfetto counter tracks draw it).

Reports are plain dicts; :func:`report_json` gives byte-identical text for identical inputs
(sorted keys, floats rounded to 12 significant digits).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from mozartc.executor.energy import COMPONENTS, energy_report
from mozartc.executor.engine import Timeline
from mozartc.executor.memory import dram_bytes, memory_lines, sram_bytes
from mozartc.executor.workload import FLOW, SERIAL
from mozartc.gcpause import gc_paused
from mozartc.isa.instr import KINDS
from mozartc.isa.signatures import StreamSignatures
from mozartc.units import fmt_seconds, fmt_si
from mozartc.version import __version__

#: breakdown priority, highest first
PRIORITY: tuple[str, ...] = ("compute", "all_to_all", "dram_load", "dram_save", "sync")
BREAKDOWN_KEYS: tuple[str, ...] = (*PRIORITY, "exposed")
SIGNIFICANT_DIGITS = 12
#: version of the report's layout (``report_schema``): raise it when a key is renamed, removed or changes
#: meaning, so that ``mozartc diff`` refuses to compare reports it would misread
REPORT_SCHEMA = 1


def breakdown(tl: Timeline) -> dict[str, float]:
    """Seconds per kind by the priority sweep (module docstring); values add up to the step time."""
    out = dict.fromkeys(BREAKDOWN_KEYS, 0.0)
    step = tl.step_time
    busy = tl.duration > 0
    if not busy.any():
        out["exposed"] = step
        return out
    rank = np.array([PRIORITY.index(k) for k in KINDS])[tl.kind[busy]]
    times = np.concatenate([tl.start[busy], tl.finish[busy]])
    delta = np.concatenate([np.ones(rank.size, np.int64), -np.ones(rank.size, np.int64)])
    ranks = np.concatenate([rank, rank])
    order = np.argsort(times, kind="stable")
    times, delta, ranks = times[order], delta[order], ranks[order]
    steps = np.zeros((len(PRIORITY), times.size), dtype=np.int64)
    steps[ranks, np.arange(times.size)] = delta
    active = np.cumsum(steps, axis=1)[:, :-1] > 0  # kinds running on [times[j], times[j+1])
    lengths = np.diff(times)
    some = active.any(axis=0)
    top = np.argmax(active, axis=0)
    per_kind = np.bincount(top[some], weights=lengths[some], minlength=len(PRIORITY))
    for name, seconds in zip(PRIORITY, per_kind, strict=True):
        out[name] = float(seconds)
    out["exposed"] = max(0.0, step - float(per_kind.sum()))
    return out


def resource_work(tl: Timeline) -> np.ndarray:
    """Per resource: bytes carried (bandwidth resources) or busy seconds (a chiplet's arrays)."""
    counts = np.diff(tl.res_ptr)
    per_flow = np.where(tl.mode == FLOW, tl.amount, 0.0)
    per_serial = np.where(tl.mode == SERIAL, tl.duration, 0.0)
    carried = np.bincount(tl.res_index, weights=np.repeat(per_flow, counts), minlength=len(tl.resources))
    busy = np.bincount(tl.res_index, weights=np.repeat(per_serial, counts), minlength=len(tl.resources))
    capacity = np.asarray(tl.capacity_Bps)
    return np.where(capacity > 0, carried, busy)


def utilization(tl: Timeline) -> dict[str, float]:
    """Per resource, carried bytes over ``capacity x step`` or busy time over step (module docstring)."""
    step = tl.step_time
    work = resource_work(tl)
    out: dict[str, float] = {}
    for name, w, cap in zip(tl.resources, work.tolist(), tl.capacity_Bps, strict=True):
        seconds = w / cap if cap > 0 else w
        out[name] = min(1.0, seconds / step) if step > 0 else 0.0
    return out


def resource_rates(tl: Timeline) -> dict[int, tuple[list[float], list[float]]]:
    """Per bandwidth resource id that carried anything: (times, bytes/s from that time on).

    Rebuilt from the class log: a class of ``n`` flows at ``r`` byt/s each puts ``n x r`` on every
    resource its flows cross (crossbars that cannot bind included). The last value of each series is 0.
    """
    used: dict[int, list[int]] = {}
    for i in np.flatnonzero(tl.flow_class >= 0).tolist():
        c = int(tl.flow_class[i])
        if c not in used:
            used[c] = tl.res_index[tl.res_ptr[i]:tl.res_ptr[i + 1]].tolist()
    current: dict[int, float] = {}
    changes: dict[int, dict[float, float]] = {}
    for c_f, t, r, n in tl.class_log.tolist():
        c = int(c_f)
        level = r * n
        delta = level - current.get(c, 0.0)
        current[c] = level
        for x in used[c]:
            at = changes.setdefault(x, {})
            at[t] = at.get(t, 0.0) + delta
    out: dict[int, tuple[list[float], list[float]]] = {}
    for x in sorted(changes):
        times = sorted(changes[x])
        level, values = 0.0, []
        for t in times:
            level += changes[x][t]
            values.append(level if abs(level) > 1e-9 * tl.capacity_Bps[x] else 0.0)
        out[x] = (times, values)
    return out


def critical_path(tl: Timeline) -> dict[str, float]:
    """Seconds per kind along the critical path (module docstring), plus ``exposed`` gaps."""
    out = dict.fromkeys(BREAKDOWN_KEYS, 0.0)
    if not len(tl.finish):
        return out
    i = int(np.argmax(tl.finish))
    while i != -1:
        p = int(tl.pred[i])
        out[KINDS[int(tl.kind[i])]] += float(tl.duration[i])
        gap = float(tl.start[i]) - (float(tl.finish[p]) if p != -1 else 0.0)
        out["exposed"] += max(0.0, gap)
        i = p
    return out


def lower_bounds(tl: Timeline, signatures: StreamSignatures | None = None) -> dict[str, tuple[float, str]]:
    """The largest per-resource bound of each family and the dependency-chain bound, with their source.

    ``signatures`` is ``StreamSignatures.of(tl.stream)`` when the caller has it (for the dependencies)."""
    work = resource_work(tl).tolist()
    best: dict[str, tuple[float, str]] = {}
    for r, resource in enumerate(tl.topology.resources):
        name, family, cap = resource.name, resource.kind, tl.capacity_Bps[r]
        if cap > 0:
            value = work[r] / cap
            why = f"{name}: {round(work[r])} bytes / {resource.bandwidth_gbps:g} GB/s"
        else:
            value, why = work[r], f"{name}: summed compute time"
        if family not in best or value > best[family][0]:
            best[family] = (value, why)
    deps = signatures.deps if signatures is not None else [i.deps for i in tl.stream.instrs]
    best["dependency_chain"] = (_longest_chain(tl, deps), "dependency chain: longest chain of lone instruction times")
    return best


def _longest_chain(tl: Timeline, deps: Sequence[Sequence[int]]) -> float:
    """``chain[i] = lone[i] + max(chain[d] for d in deps)``; the maximum over all instructions."""
    chain: list[float] = []
    append, get = chain.append, chain.__getitem__
    for lone, before, n in zip(tl.lone.tolist(), deps, map(len, deps), strict=True):
        if n == 1:  # one or two dependencies (most instructions): without max()
            append(lone + chain[before[0]])
        elif n == 2:
            a, b = before
            x, y = chain[a], chain[b]
            append(lone + (y if y > x else x))
        else:
            append(lone + (max(map(get, before)) if before else 0.0))
    return max(chain, default=0.0)


def _round(value: Any) -> Any:
    if isinstance(value, float):
        if value == 0 or not math.isfinite(value):
            return value
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    return value


def make_report(tl: Timeline, model: str | None = None, pipeline: str | None = None,
                signatures: StreamSignatures | None = None) -> dict[str, Any]:
    """The report of DESIGN.md's contract (plus details) as a plain, rounded dict.

    ``model``/``pipeline`` default to the stream's ``model``/``pipeline`` attributes; ``C_T`` comes
    from the stream's ``C_T`` attribute (None when absent). ``signatures`` is
    ``StreamSignatures.of(tl.stream)`` when the caller has it.
    """
    with gc_paused():
        return _make_report(tl, model, pipeline, signatures or StreamSignatures.of(tl.stream))


def _make_report(tl: Timeline, model: str | None, pipeline: str | None, signatures: StreamSignatures) \
        -> dict[str, Any]:
    attrs = tl.stream.attrs
    step = tl.step_time
    bounds = lower_bounds(tl, signatures)
    _, (bound, why) = max(bounds.items(), key=lambda kv: (kv[1][0], kv[0]))
    instrs = tl.stream.instrs
    totals = _totals(signatures)
    report: dict[str, Any] = {
        "report_schema": REPORT_SCHEMA,
        "mozartc_version": __version__,
        "stream": tl.stream.name,
        "target": tl.target.name,
        "model": model if model is not None else attrs.get("model"),
        "pipeline": pipeline if pipeline is not None else attrs.get("pipeline"),
        "C_T": attrs.get("C_T"),
        "instructions": len(instrs),
        "step_time_s": step,
        "breakdown_s": breakdown(tl),
        "critical_path_s": critical_path(tl),
        "lower_bound_s": bound,
        "lower_bound_from": why,
        "lower_bounds_s": {k: v for k, (v, _) in bounds.items()},
        "step_over_bound": step / bound if bound > 0 else None,
        "utilization": utilization(tl),
        "sram_bytes": sram_bytes(attrs),
        "dram_bytes": dram_bytes(attrs),
        "totals": totals,
        "executor": {"compute_efficiency": tl.options.compute_efficiency,
                     "gemm_sram_bound": tl.options.gemm_sram_bound,
                     "model": "flow-level max-min sharing"},
    }
    report.update(energy_report(tl, signatures))
    return _round(report)


def _totals(signatures: StreamSignatures) -> dict[str, int]:
    """Bytes read from and written to DRAM, sent between chiplets, and GEMM FLOPs (``2·m·k·n·count``):
    each distinct signature's share times the number of instructions with it (exact integers)."""
    index = signatures.index
    totals = dict.fromkeys(("dram_read_bytes", "dram_write_bytes", "send_bytes", "gemm_flops"), 0)
    key = {"load": "dram_read_bytes", "store": "dram_write_bytes", "send": "send_bytes"}
    for (op, _, _, _, _, nbytes, _, m, k, n, count, _), times in zip(
            index.distinct, np.bincount(index.of, minlength=len(index.distinct)).tolist(), strict=True):
        if op in key:
            totals[key[op]] += nbytes * times
        elif op == "gemm":
            totals["gemm_flops"] += 2 * m * k * n * count * times
    return totals


def report_json(report: dict[str, Any]) -> str:
    """Canonical JSON text of a report: sorted keys, two-space indent, trailing newline."""
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def format_summary(report: dict[str, Any]) -> str:
    """A few human lines: step time, breakdown, bound and the busiest resources."""
    step = report["step_time_s"]
    ms = fmt_seconds

    lines = [f"{report['stream']} on {report['target']}: {report['instructions']} instructions, "
             f"step time {ms(step)}"]
    parts = [f"{k} {ms(v)}" for k, v in report["breakdown_s"].items() if ms(v) != "0 s"]
    lines.append("  breakdown: " + (", ".join(parts) or "empty"))
    ratio = report["step_over_bound"]
    lines.append(f"  lower bound {ms(report['lower_bound_s'])} ({report['lower_bound_from']})"
                 + (f", step/bound {ratio:.3f}" if ratio is not None else ""))
    busiest = sorted(report["utilization"].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    lines.append("  busiest: " + ", ".join(f"{k} {v:.1%}" for k, v in busiest))
    lines += memory_lines(report)
    energy = report.get("energy_j")
    if energy:
        lines.append(energy_line(report))
    return "\n".join(lines) + "\n"


def energy_line(report: dict[str, Any]) -> str:
    """One summary line: joules per step and per token, average power, the components largest first."""
    energy = report["energy_j"]
    per_token = report.get("energy_per_token_j")
    power = report.get("average_power_w")
    head = f"  energy: {fmt_si(energy['total'], 'J')} per step"
    if per_token:
        head += f", {fmt_si(per_token['total'], 'J')} per token"
    if power is not None:
        head += f", {fmt_si(power, 'W')} average"
    parts = sorted(((energy[k], k) for k in COMPONENTS if energy[k] > 0), reverse=True)
    return head + " (" + ", ".join(f"{k} {fmt_si(v, 'J')}" for v, k in parts) + ")"
