"""Chrome/Perfetto JSON trace of a timeline: one track per resource, one slice per instruction.

Format: the Chrome Trace Event JSON that https://ui.perfetto.dev and chrome://tracing open::

    {"displayTimeUnit": "ns", "traceEvents": [
      {"ph": "M", "name": "process_name", "pid": 1, "args": {"name": "..."}},
      {"ph": "M", "name": "thread_name", "pid": 1, "tid": 3, "args": {"name": "dram:dram0"}},
      {"ph": "X", "name": "m0.l3.fwd.w.expert5", "cat": "dram_load", "pid": 1, "tid": 3,
       "ts": 12.5, "dur": 0.19, "args": {"index": 12, "op": "load", ...}}, ...]}

``ts``/``dur`` are microseconds (rounded to the picosecond, 1e-6 us). A transfer appears on every
resource it holds; instructions without resources (barriers) go on a ``sync`` track.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mozartc.executor.engine import Timeline
from mozartc.fileio import atomic_write_text
from mozartc.isa.instr import KINDS

PID = 1


def _us(seconds: float) -> float:
    return round(seconds * 1e6, 6)


def perfetto_trace(tl: Timeline) -> dict[str, Any]:
    """The trace as a dict (see the module docstring)."""
    sync_tid = len(tl.resources) + 1
    events: list[dict[str, Any]] = [
        {"ph": "M", "name": "process_name", "pid": PID,
         "args": {"name": f"{tl.stream.name} on {tl.target.name}"}},
    ]
    for r, name in enumerate([*tl.resources, "sync"]):
        events.append({"ph": "M", "name": "thread_name", "pid": PID, "tid": r + 1, "args": {"name": name}})
        events.append({"ph": "M", "name": "thread_sort_index", "pid": PID, "tid": r + 1, "args": {"sort_index": r}})
    start, dur = tl.start.tolist(), tl.duration.tolist()
    ptr, res = tl.res_ptr.tolist(), tl.res_index.tolist()
    kinds = tl.kind.tolist()
    for i, instr in enumerate(tl.stream.instrs):
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
        tids = [r + 1 for r in res[ptr[i]:ptr[i + 1]]] or [sync_tid]
        for tid in tids:
            events.append({"ph": "X", "name": instr.label or instr.op, "cat": KINDS[kinds[i]], "pid": PID,
                           "tid": tid, "ts": _us(start[i]), "dur": _us(dur[i]), "args": args})
    return {"displayTimeUnit": "ns", "traceEvents": events}


def perfetto_json(tl: Timeline) -> str:
    """The trace as compact JSON text (deterministic: fixed key order)."""
    return json.dumps(perfetto_trace(tl), sort_keys=True, separators=(",", ":")) + "\n"


def write_perfetto(tl: Timeline, path: str | Path) -> None:
    """Write the trace to ``path`` atomically."""
    atomic_write_text(path, perfetto_json(tl))
