"""The flow-level engine: time an instruction stream on a target with shared bandwidth and causal data.

The model (docs/executor.md works an example by hand):

- an instruction is *ready* when its last dependency finishes (time 0 without dependencies);
- a **flow** (load, store, send, reduce) starts when ready. Its bytes move over all its resources at
  once, at the max-min fair rate of the flows active at that moment
  (:func:`mozartc.executor.sharing.max_min_rates`); rates change only when a flow starts or stops
  moving bytes, and only the flows connected to it through shared resources are recomputed. When its
  bytes are done the flow leaves the resources, and it *finishes* one route latency later (the last
  byte's time of flight). Alone, a flow takes ``latency + bytes / smallest capacity``;
- **serial** work (gemm, compute) runs on its chiplet's arrays one instruction at a time: ready work
  queues in ``(ready time, stream index)`` order and starts when the arrays free;
- a **barrier** finishes when it is ready.

Every instruction records ``pred``: the instruction whose finish let it start (its last dependency,
or for queued serial work the instruction that freed the arrays). Following ``pred`` back from the
instruction that finishes last gives the critical path, which covers ``[0, step time]`` exactly.

Every change of a flow's rate is logged (``rate_log``), so reports can draw the bandwidth each
resource carries over time and tests can check that no resource ever carries more than its capacity.
Same stream and target give the same timeline: no randomness, ties broken by stream index.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from mozartc.executor.sharing import max_min_rates
from mozartc.executor.workload import FLOW, SERIAL, ExecOptions, Workload
from mozartc.hw.target import Target
from mozartc.hw.topology import Topology
from mozartc.isa.instr import KINDS, Stream


@dataclass(frozen=True, eq=False)
class Timeline:
    """When every instruction ran, on which resources, and at what rates.

    Per instruction (numpy arrays indexed like the stream): ``start``/``finish``/``duration`` in
    seconds; ``lone``, the time it would take with the machine to itself; ``pred``, the instruction
    whose finish let it start (-1 for none); ``kind``, an index into ``KINDS``; the resources it
    used, ``res_index[res_ptr[i]:res_ptr[i+1]]`` (ids into ``resources``).

    ``mode`` is the work kind (:data:`~mozartc.executor.workload.FLOW`, ``SERIAL``, ``BARRIER``) and
    ``amount`` a flow's bytes (a reduce's ``inputs x bytes``) or serial work's seconds.

    ``rate_log`` columns ``(instruction, time s, rate bytes/s)``: one row each time a flow's rate
    changes (the last row of a flow has rate 0, when its bytes are done). ``capacity_Bps`` is each
    resource's capacity in bytes/s (0 for compute arrays).
    """

    stream: Stream
    target: Target
    options: ExecOptions
    topology: Topology
    resources: tuple[str, ...]
    capacity_Bps: tuple[float, ...]
    start: np.ndarray
    finish: np.ndarray
    duration: np.ndarray
    lone: np.ndarray
    mode: np.ndarray
    amount: np.ndarray
    pred: np.ndarray
    kind: np.ndarray
    res_ptr: np.ndarray
    res_index: np.ndarray
    rate_log: np.ndarray

    @property
    def step_time(self) -> float:
        """Makespan: the last finish time (0 for an empty stream)."""
        return float(self.finish.max()) if len(self.finish) else 0.0

    @property
    def bandwidth_gbps(self) -> tuple[float, ...]:
        """Each resource's capacity in GB/s (0 for compute arrays)."""
        return tuple(r.bandwidth_gbps for r in self.topology.resources)

    def resources_of(self, index: int) -> list[str]:
        """Names of the resources instruction ``index`` used."""
        lo, hi = int(self.res_ptr[index]), int(self.res_ptr[index + 1])
        return [self.resources[int(r)] for r in self.res_index[lo:hi]]


def execute(stream: Stream, target: Target, options: ExecOptions | None = None, check: bool = True,
            topology: Topology | None = None) -> Timeline:
    """Time ``stream`` on ``target`` (see the module docstring for the model).

    ``check`` runs :func:`mozartc.isa.verify.verify_stream` first (skip it only for a stream already
    verified against this target). ``topology`` is ``Topology.of(target)`` when the caller has it.
    """
    opts = options or ExecOptions()
    opts.check()
    topo = topology if topology is not None else Topology.of(target)
    if check:
        from mozartc.isa.verify import verify_stream

        verify_stream(stream, target, topology=topo)
    work = Workload.of(stream, topo, opts)
    instrs = stream.instrs
    n = len(instrs)
    start, finish, pred, log = simulate(work, [i.deps for i in instrs])
    used = work.used
    ptr = np.zeros(n + 1, dtype=np.int64)
    if n:
        ptr[1:] = np.cumsum([len(r) for r in used])
    flat = np.fromiter((r for rs in used for r in rs), dtype=np.int64, count=int(ptr[-1]))
    kind_ids = {k: i for i, k in enumerate(KINDS)}
    start_a = np.asarray(start, dtype=np.float64)
    finish_a = np.asarray(finish, dtype=np.float64)
    return Timeline(
        stream=stream, target=target, options=opts, topology=topo,
        resources=tuple(r.name for r in topo.resources), capacity_Bps=tuple(work.capacity),
        start=start_a, finish=finish_a, duration=finish_a - start_a,
        lone=np.asarray(work.lone, dtype=np.float64), mode=np.asarray(work.mode, dtype=np.int64),
        amount=np.asarray(work.amount, dtype=np.float64), pred=np.asarray(pred, dtype=np.int64),
        kind=np.fromiter((kind_ids[i.kind] for i in instrs), dtype=np.int64, count=n),
        res_ptr=ptr, res_index=flat,
        rate_log=np.asarray(log, dtype=np.float64).reshape(-1, 3),
    )


def simulate(work: Workload, deps: list[tuple[int, ...]]) -> tuple[list[float], list[float], list[int],
                                                                   list[tuple[int, float, float]]]:
    """The event loop; returns (start, finish, pred, rate log). See the module docstring."""
    n = len(deps)
    mode, shared, amount, latency = work.mode, work.shared, work.amount, work.latency
    unit_of = [u[0] if m == SERIAL else -1 for m, u in zip(mode, work.used, strict=True)]
    n_res = len(work.capacity)
    capacity = work.capacity
    children: list[list[int]] = [[] for _ in range(n)]
    missing = [0] * n
    for i, ds in enumerate(deps):
        missing[i] = len(ds)
        for d in ds:
            children[d].append(i)
    start = [0.0] * n
    finish = [0.0] * n
    pred = [-1] * n
    ready_pred = [-1] * n
    # serial units: a heap of queued (ready time, index) and the instruction running, per resource
    queue: list[list[tuple[float, int]]] = [[] for _ in range(n_res)]
    running = [-1] * n_res
    last_on = [-1] * n_res  # the instruction that last ran on each unit
    # flows: bytes left at time ``since``, current rate, version of the newest heap entry
    left = [0.0] * n
    rate = [0.0] * n
    since = [0.0] * n
    version = [0] * n
    on: list[dict[int, None]] = [{} for _ in range(n_res)]
    done_bytes: list[tuple[float, int, int]] = []  # (time, index, version) a flow's bytes are done
    done: list[tuple[float, int]] = []  # (time, index) an instruction finishes
    log: list[tuple[int, float, float]] = []
    heappush, heappop = heapq.heappush, heapq.heappop

    now = 0.0
    finished_now: list[int] = []
    touched: set[int] = set()
    kicked: set[int] = set()

    def make_ready(i: int, now: float) -> None:
        m = mode[i]
        start[i] = now
        if m == FLOW:
            pred[i] = ready_pred[i]
            left[i] = amount[i]
            since[i] = now
            for r in shared[i]:
                on[r][i] = None
            touched.update(shared[i])
        elif m == SERIAL:
            u = unit_of[i]
            heappush(queue[u], (now, i))
            kicked.add(u)
        else:
            pred[i] = ready_pred[i]
            finish[i] = now
            finished_now.append(i)

    for i in range(n):
        if missing[i] == 0:
            make_ready(i, 0.0)
    while True:
        # every instruction finishing now releases its arrays and readies its children
        while finished_now:
            i = finished_now.pop()
            u = unit_of[i]
            if u != -1:
                running[u] = -1
                kicked.add(u)
            for c in children[i]:
                missing[c] -= 1
                if missing[c] == 0:
                    ready_pred[c] = i
                    make_ready(c, now)
        for u in sorted(kicked):
            if running[u] == -1 and queue[u]:
                ready_at, j = heappop(queue[u])
                prev = last_on[u]
                pred[j] = prev if ready_at < now and prev != -1 else ready_pred[j]
                start[j] = now
                running[u] = j
                finish[j] = now + amount[j]
                heappush(done, (finish[j], j))
        kicked.clear()
        if touched:
            _reshare(touched, now, on, shared, capacity, left, rate, since, version, done_bytes, log)
            touched.clear()
        # the next event: a flow's bytes done, or an instruction's finish
        t_bytes = done_bytes[0][0] if done_bytes else float("inf")
        t_done = done[0][0] if done else float("inf")
        now = min(t_bytes, t_done)
        if now == float("inf"):
            break
        while done_bytes and done_bytes[0][0] <= now:
            _, i, v = heappop(done_bytes)
            if v != version[i]:
                continue
            rate[i] = 0.0
            log.append((i, now, 0.0))
            for r in shared[i]:
                del on[r][i]
            touched.update(shared[i])
            finish[i] = now + latency[i]
            heappush(done, (finish[i], i))
        while done and done[0][0] <= now:
            _, i = heappop(done)
            u = unit_of[i]
            if u != -1:
                last_on[u] = i
            finished_now.append(i)
        finished_now.sort(reverse=True)  # pop() takes the lowest index first
    return start, finish, pred, log


def _reshare(touched: set[int], now: float, on: list[dict[int, None]], shared: list[tuple[int, ...]],
             capacity: list[float], left: list[float], rate: list[float], since: list[float],
             version: list[int], done_bytes: list[tuple[float, int, int]],
             log: list[tuple[int, float, float]]) -> None:
    """Recompute the rates of every flow connected to a touched resource, and their finish events."""
    flows: dict[int, None] = {}
    seen = set(touched)
    stack = list(touched)
    while stack:
        r = stack.pop()
        for f in on[r]:
            if f not in flows:
                flows[f] = None
                for r2 in shared[f]:
                    if r2 not in seen:
                        seen.add(r2)
                        stack.append(r2)
    if not flows:
        return
    for f in flows:
        old = rate[f]
        if old:
            rem = left[f] - old * (now - since[f])
            left[f] = rem if rem > 0.0 else 0.0
        since[f] = now
    for f, new in max_min_rates(sorted(flows), shared, capacity, on).items():
        if new != rate[f]:
            rate[f] = new
            version[f] += 1
            heapq.heappush(done_bytes, (now + left[f] / new, f, version[f]))
            log.append((f, now, new))
