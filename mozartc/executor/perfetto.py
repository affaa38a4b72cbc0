"""Chrome/Perfetto JSON trace of a timeline: slices per resource, and each bandwidth's use over time.

Format: the Chrome Trace Event JSON that https://ui.perfetto.dev and chrome://tracing open::

    {"displayTimeUnit": "ns", "traceEvents": [
      {"ph": "M", "name": "process_name", "pid": 2, "args": {"name": "dram:dram0"}},
      {"ph": "M", "name": "thread_name", "pid": 2, "tid": 1, "args": {"name": "dram:dram0 #0"}},
      {"ph": "X", "name": "m0.l3.fwd.w.expert5", "cat": "dram_load", "pid": 2, "tid": 1,
       "ts": 12.5, "dur": 0.19, "args": {"index": 12, "op": "load", ...}},
      {"ph": "C", "name": "GB/s", "pid": 2, "ts": 12.5, "args": {"dram:dram0": 256.0}}, ...]}

One process per resource that was used (``pid`` in resource order, then one ``sync`` process for
barriers):

- a chiplet's arrays run one instruction at a time: one track of slices;
- a bandwidth (DRAM channel, link direction, crossbar, adder tree) carries flows at once: each flow is
  a slice on the first of the resource's *lanes* (tracks ``NAME #k``) that is free when it starts,
  and a counter track ``GB/s`` draws the bandwidth in use over time
  (:func:`mozartc.executor.report.resource_rates`).

``ts``/``dur`` are microseconds (rounded to the picosecond, 1e-6 us).
"""

from __future__ import annotations

import heapq
import json
from pathlib import Path
from typing import Any

from mozartc.executor.engine import Timeline
from mozartc.executor.report import resource_rates
from mozartc.fileio import atomic_write_text
from mozartc.isa.instr import KINDS


def _us(seconds: float) -> float:
    return round(seconds * 1e6, 6)


def _args(tl: Timeline, i: int) -> dict[str, Any]:
    instr = tl.stream.instrs[i]
    args: dict[str, Any] = {"index": i, "op": instr.op}
    for key in ("src", "dst", "unit"):
        if getattr(instr, key) is not None:
            args[key] = getattr(instr, key)
    for key in ("bytes", "flops", "m", "k", "n", "inputs"):
        if getattr(instr, key):
            args[key] = getattr(instr, key)
    if instr.op == "gemm":
        args["count"] = instr.count
    if instr.deps:
        args["after"] = list(instr.deps)
    return args


def _lanes(spans: list[tuple[float, float, int]]) -> list[tuple[int, int]]:
    """(instruction, lane) for ``spans`` (start, finish, index): the lowest free lane at each start."""
    free: list[int] = []  # lanes free now (heap)
    busy: list[tuple[float, int]] = []  # (finish, lane)
    lanes = 0
    out: list[tuple[int, int]] = []
    for start, finish, i in sorted(spans):
        while busy and busy[0][0] <= start:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            lane = heapq.heappop(free)
        else:
            lane, lanes = lanes, lanes + 1
        heapq.heappush(busy, (finish, lane))
        out.append((i, lane))
    return out


def perfetto_trace(tl: Timeline) -> dict[str, Any]:
    """The trace as a dict (see the module docstring)."""
    events: list[dict[str, Any]] = []
    start, finish = tl.start.tolist(), tl.finish.tolist()
    ptr, res = tl.res_ptr.tolist(), tl.res_index.tolist()
    kinds = tl.kind.tolist()
    users: list[list[int]] = [[] for _ in tl.resources]
    barriers: list[int] = []
    for i in range(len(start)):
        used = res[ptr[i]:ptr[i + 1]]
        for r in used:
            users[r].append(i)
        if not used:
            barriers.append(i)
    args = {i: _args(tl, i) for i in range(len(start))}

    def slice_event(i: int, pid: int, tid: int) -> dict[str, Any]:
        return {"ph": "X", "name": tl.stream.instrs[i].label or tl.stream.instrs[i].op, "cat": KINDS[kinds[i]],
                "pid": pid, "tid": tid, "ts": _us(start[i]), "dur": _us(finish[i] - start[i]), "args": args[i]}

    rates = resource_rates(tl)
    tracks = [*tl.resources, "sync"]
    for r, name in enumerate(tracks):
        pid = r + 1
        members = users[r] if r < len(tl.resources) else barriers
        if not members:
            continue
        events.append({"ph": "M", "name": "process_name", "pid": pid, "args": {"name": name}})
        events.append({"ph": "M", "name": "process_sort_index", "pid": pid, "args": {"sort_index": r}})
        if r < len(tl.resources) and tl.capacity_Bps[r] > 0:
            placed = _lanes([(start[i], finish[i], i) for i in members])
            for lane in range(1 + max((lane for _, lane in placed), default=-1)):
                events.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": lane + 1,
                               "args": {"name": f"{name} #{lane}"}})
            events += [slice_event(i, pid, lane + 1) for i, lane in placed]
            times, values = rates.get(r, ([], []))
            events += [{"ph": "C", "name": "GB/s", "pid": pid, "ts": _us(t), "args": {name: round(v / 1e9, 9)}}
                       for t, v in zip(times, values, strict=True)]
        else:
            events.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": 1, "args": {"name": name}})
            events += [slice_event(i, pid, 1) for i in members]
    return {"displayTimeUnit": "ns", "traceEvents": events}


def perfetto_json(tl: Timeline) -> str:
    """The trace as compact JSON text (deterministic: fixed key order)."""
    return json.dumps(perfetto_trace(tl), sort_keys=True, separators=(",", ":")) + "\n"


def write_perfetto(tl: Timeline, path: str | Path) -> None:
    """Write the trace to ``path`` atomically."""
    atomic_write_text(path, perfetto_json(tl))
