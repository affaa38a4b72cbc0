"""What users read from a timed stream: step time, breakdown, utilisation, critical path, lower bound.

- **breakdown** (adds up to the step time): sweep the timeline and give every instant to the
  highest-priority kind running then, ``compute > all_to_all > dram_load > dram_save > sync``;
  instants with nothing running are ``exposed`` (``exposed = step - sum(kinds)``).
- **utilisation** of a resource: ``busy time / step time`` (in [0, 1]: a resource serves one
  instruction at a time).
- **critical path**: from the instruction that finishes last, follow ``pred`` (the dependency or
  resource user whose finish let it start) back to time 0; seconds per kind along that path
  (gaps, if any, are ``exposed``); they add up to the step time.
- **lower bound**: the largest of, per resource, what it must do at full rate: a DRAM stack's
  ``bytes / bandwidth``, a chiplet's summed compute time, a directed link's ``bytes / bandwidth``,
  a switch's summed reduction time, or, when switches are exclusive (blocking), the summed time of
  every transfer and reduction holding it (one at a time); and the longest dependency chain of
  durations. Every term is <= the step time of any schedule the engine can produce.

Reports are plain dicts; :func:`report_json` gives byte-identical text for identical inputs
(sorted keys, floats rounded to 12 significant digits).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from mozartc import __version__
from mozartc.executor.engine import Timeline
from mozartc.hw.target import GBPS_BYTES
from mozartc.isa.instr import KINDS

#: breakdown priority, highest first
PRIORITY: tuple[str, ...] = ("compute", "all_to_all", "dram_load", "dram_save", "sync")
BREAKDOWN_KEYS: tuple[str, ...] = (*PRIORITY, "exposed")
SIGNIFICANT_DIGITS = 12


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


def utilization(tl: Timeline) -> dict[str, float]:
    """``busy seconds / step time`` per resource (0 for an empty stream)."""
    counts = np.diff(tl.res_ptr)
    weights = np.repeat(tl.duration, counts)
    busy = np.bincount(tl.res_index, weights=weights, minlength=len(tl.resources))
    step = tl.step_time
    return {name: (min(1.0, float(b) / step) if step > 0 else 0.0) for name, b in zip(tl.resources, busy, strict=True)}


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


def lower_bounds(tl: Timeline) -> dict[str, tuple[float, str]]:
    """The largest per-resource bound of each family and the dependency-chain bound, with their source."""
    instrs = tl.stream.instrs
    nbytes = np.array([i.bytes if i.op in ("load", "store", "send") else 0 for i in instrs], dtype=np.float64)
    counts = np.diff(tl.res_ptr)
    per_res_bytes = np.bincount(tl.res_index, weights=np.repeat(nbytes, counts), minlength=len(tl.resources))
    reduce_mask = np.array([i.op == "reduce" for i in instrs], dtype=bool)
    compute_mask = np.array([i.op in ("gemm", "compute") for i in instrs], dtype=bool)
    per_res_busy = np.bincount(tl.res_index, weights=np.repeat(tl.duration * (reduce_mask | compute_mask), counts),
                               minlength=len(tl.resources))
    per_res_held = np.bincount(tl.res_index, weights=np.repeat(tl.duration, counts), minlength=len(tl.resources))
    best: dict[str, tuple[float, str]] = {}
    for r, name in enumerate(tl.resources):
        family = name.split(":", 1)[0]
        bw = tl.bandwidth_gbps[r]
        if family == "compute":
            value, why = float(per_res_busy[r]), f"{name}: summed compute time"
        elif family == "switch" and tl.options.switch_exclusive:
            value, why = float(per_res_held[r]), f"{name}: summed time of the transfers and reductions holding it"
        elif family == "switch":
            value, why = float(per_res_busy[r]), f"{name}: summed reduction time"
        else:
            value = float(per_res_bytes[r] / (bw * GBPS_BYTES))
            why = f"{name}: {int(per_res_bytes[r])} bytes / {bw:g} GB/s"
        if family not in best or value > best[family][0]:
            best[family] = (value, why)
    best["dependency_chain"] = (_longest_chain(tl), "dependency chain: longest chain of instruction durations")
    return best


def _longest_chain(tl: Timeline) -> float:
    """``chain[i] = duration[i] + max(chain[d] for d in deps)``; the maximum over all instructions."""
    dur = tl.duration.tolist()
    chain = [0.0] * len(dur)
    get = chain.__getitem__
    for i, instr in enumerate(tl.stream.instrs):
        chain[i] = dur[i] + (max(map(get, instr.deps)) if instr.deps else 0.0)
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


def make_report(tl: Timeline, model: str | None = None, pipeline: str | None = None) -> dict[str, Any]:
    """The report of DESIGN.md's contract (plus details) as a plain, rounded dict.

    ``model``/``pipeline`` default to the stream's ``model``/``pipeline`` attributes; ``C_T`` comes
    from the stream's ``C_T`` attribute (None when absent).
    """
    attrs = tl.stream.attrs
    step = tl.step_time
    bounds = lower_bounds(tl)
    _, (bound, why) = max(bounds.items(), key=lambda kv: (kv[1][0], kv[0]))
    instrs = tl.stream.instrs
    totals = {
        "dram_read_bytes": sum(i.bytes for i in instrs if i.op == "load"),
        "dram_write_bytes": sum(i.bytes for i in instrs if i.op == "store"),
        "send_bytes": sum(i.bytes for i in instrs if i.op == "send"),
        "gemm_flops": sum(2 * i.m * i.k * i.n * i.count for i in instrs if i.op == "gemm"),
    }
    report: dict[str, Any] = {
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
        "totals": totals,
        "executor": {"compute_efficiency": tl.options.compute_efficiency,
                     "gemm_sram_bound": tl.options.gemm_sram_bound,
                     "switch_exclusive": tl.options.switch_exclusive},
    }
    return _round(report)


def report_json(report: dict[str, Any]) -> str:
    """Canonical JSON text of a report: sorted keys, two-space indent, trailing newline."""
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def format_seconds(seconds: float) -> str:
    """``12.35 ms``, ``3.2 us``: four significant digits in the largest unit below the value."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.4g} {unit}"
    return "0 s" if seconds == 0 else f"{seconds / 1e-9:.4g} ns"


def format_summary(report: dict[str, Any]) -> str:
    """A few human lines: step time, breakdown, bound and the busiest resources."""
    step = report["step_time_s"]
    ms = format_seconds

    lines = [f"{report['stream']} on {report['target']}: {report['instructions']} instructions, "
             f"step time {ms(step)}"]
    parts = [f"{k} {ms(v)}" for k, v in report["breakdown_s"].items() if v > 0]
    lines.append("  breakdown: " + (", ".join(parts) or "empty"))
    ratio = report["step_over_bound"]
    lines.append(f"  lower bound {ms(report['lower_bound_s'])} ({report['lower_bound_from']})"
                 + (f", step/bound {ratio:.3f}" if ratio is not None else ""))
    busiest = sorted(report["utilization"].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    lines.append("  busiest: " + ", ".join(f"{k} {v:.1%}" for k, v in busiest))
    return "\n".join(lines) + "\n"
