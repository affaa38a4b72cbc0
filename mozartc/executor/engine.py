"""The discrete-event engine: time an instruction stream on a target with contended resources.

Sharing model (docs/executor.md):

- every resource (:mod:`mozartc.executor.resources`) serves one instruction at a time, at full rate;
- an instruction is *ready* when its last dependency finishes (time 0 without dependencies);
- a ready instruction starts as soon as **all** its resources are free at once, and then holds all
  of them for its whole duration (no partial progress, no preemption, no deadlock: nothing is held
  while waiting);
- when several waiting instructions want a resource that frees, they are tried in
  ``(ready time, stream index)`` order; one blocked by another busy resource does not stop the next
  from starting (work-conserving).

Each instruction records the instruction whose finish let it start (``pred``): its last dependency
when it started on becoming ready, else the last user of one of its resources. Following ``pred``
back from the last instruction gives the critical path, which covers ``[0, step time]`` exactly.

The hot loop uses flat Python lists and heaps of tuples; no objects are created per event.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, replace

import numpy as np

from mozartc.errors import MozartError
from mozartc.executor.resources import ExecOptions, Machine
from mozartc.hw.target import Target
from mozartc.isa.instr import KINDS, Stream


@dataclass(frozen=True, eq=False)
class Timeline:
    """When every instruction ran, and on which resources.

    ``start``/``finish``/``duration`` are seconds per instruction (float64 arrays); ``pred`` the
    instruction whose finish released it (-1 for none); instruction ``i`` held resources
    ``res_index[res_ptr[i]:res_ptr[i+1]]`` (ids into ``resources``); ``kind`` indexes ``KINDS``;
    ``bandwidth_gbps`` is each resource's per-direction bandwidth (0 for compute arrays).
    """

    stream: Stream
    target: Target
    options: ExecOptions
    resources: tuple[str, ...]
    bandwidth_gbps: tuple[float, ...]
    start: np.ndarray
    finish: np.ndarray
    duration: np.ndarray
    pred: np.ndarray
    kind: np.ndarray
    res_ptr: np.ndarray
    res_index: np.ndarray

    @property
    def step_time(self) -> float:
        """Makespan: the last finish time (0 for an empty stream)."""
        return float(self.finish.max()) if len(self.finish) else 0.0

    def resources_of(self, index: int) -> list[str]:
        """Names of the resources instruction ``index`` held."""
        lo, hi = int(self.res_ptr[index]), int(self.res_ptr[index + 1])
        return [self.resources[int(r)] for r in self.res_index[lo:hi]]


def execute(stream: Stream, target: Target, options: ExecOptions | None = None, check: bool = True) -> Timeline:
    """Time ``stream`` on ``target`` (see the module docstring for the model).

    ``check`` runs :func:`mozartc.isa.verify.verify_stream` first (skip it only for a stream
    already verified against this target).
    """
    opts = options or ExecOptions()
    if opts.switch_exclusive is None:
        opts = replace(opts, switch_exclusive=target.switch.blocking)
    if not opts.compute_efficiency > 0:
        raise MozartError(f"compute_efficiency must be positive, got {opts.compute_efficiency}")
    if check:
        from mozartc.isa.verify import verify_stream

        verify_stream(stream, target)
    machine = Machine(target, opts)
    instrs = stream.instrs
    n = len(instrs)
    res_lists: list[tuple[int, ...]] = []
    dur: list[float] = []
    for instr in instrs:
        res, seconds = machine.occupancy(instr)
        res_lists.append(res)
        dur.append(seconds)
    start, finish, pred = _simulate(n, [i.deps for i in instrs], res_lists, dur, len(machine.names))
    ptr = np.zeros(n + 1, dtype=np.int64)
    if n:
        ptr[1:] = np.cumsum([len(r) for r in res_lists])
    flat = np.fromiter((r for rs in res_lists for r in rs), dtype=np.int64, count=int(ptr[-1]))
    kind_ids = {k: i for i, k in enumerate(KINDS)}
    return Timeline(
        stream=stream, target=target, options=opts, resources=tuple(machine.names),
        bandwidth_gbps=tuple(machine.bandwidth),
        start=np.asarray(start, dtype=np.float64), finish=np.asarray(finish, dtype=np.float64),
        duration=np.asarray(dur, dtype=np.float64), pred=np.asarray(pred, dtype=np.int64),
        kind=np.fromiter((kind_ids[i.kind] for i in instrs), dtype=np.int64, count=n),
        res_ptr=ptr, res_index=flat,
    )


def _simulate(n: int, deps: list[tuple[int, ...]], res: list[tuple[int, ...]], dur: list[float],
              n_res: int) -> tuple[list[float], list[float], list[int]]:
    """The event loop; returns (start, finish, pred) lists. See the module docstring."""
    children: list[list[int]] = [[] for _ in range(n)]
    missing = [0] * n
    for i, ds in enumerate(deps):
        missing[i] = len(ds)
        for d in ds:
            children[d].append(i)
    ready = [0.0] * n
    ready_pred = [-1] * n
    start = [0.0] * n
    finish = [0.0] * n
    pred = [-1] * n
    holder = [-1] * n_res
    last_user = [-1] * n_res
    waiting: list[list[tuple[float, int]]] = [[] for _ in range(n_res)]
    running: list[tuple[float, int]] = []
    heappush, heappop = heapq.heappush, heapq.heappop
    finish_of = finish.__getitem__

    def try_start(i: int, now: float) -> bool:
        rs = res[i]
        for r in rs:
            if holder[r] != -1:
                heappush(waiting[r], (ready[i], i))
                return False
        if now > ready[i]:
            best, best_t = -1, -1.0
            for r in rs:
                u = last_user[r]
                if u != -1 and finish[u] > best_t:
                    best, best_t = u, finish[u]
            pred[i] = best if best_t >= ready[i] else ready_pred[i]
        else:
            pred[i] = ready_pred[i]
        for r in rs:
            holder[r] = i
        start[i] = now
        end = now + dur[i]
        finish[i] = end
        heappush(running, (end, i))
        return True

    for i in range(n):
        if missing[i] == 0:
            try_start(i, 0.0)
    candidates: list[tuple[float, int, int]] = []  # (ready, index, freed resource or -1)
    while running:
        now = running[0][0]
        freed: list[int] = []
        while running and running[0][0] == now:
            _, i = heappop(running)
            for r in res[i]:
                holder[r] = -1
                last_user[r] = i
                freed.append(r)
            for c in children[i]:
                missing[c] -= 1
                if missing[c] == 0:
                    # ready = last dependency's finish (ties: the latest in deps order)
                    last = max(deps[c][::-1], key=finish_of)
                    ready[c], ready_pred[c] = finish[last], last
                    candidates.append((ready[c], c, -1))
        for r in freed:
            if waiting[r] and holder[r] == -1:
                key, w = waiting[r][0]
                candidates.append((key, w, r))
        heapq.heapify(candidates)
        while candidates:
            _, w, r = heappop(candidates)
            if r != -1:
                if holder[r] != -1 or not waiting[r] or waiting[r][0][1] != w:
                    continue  # taken this round, or already popped through another freed resource
                heappop(waiting[r])
            try_start(w, now)
            if r != -1 and holder[r] == -1 and waiting[r]:
                key, nxt = waiting[r][0]
                heappush(candidates, (key, nxt, r))
    return start, finish, pred
