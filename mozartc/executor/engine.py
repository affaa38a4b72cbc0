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

Every change of a class's rate or size is logged (``class_log``; a class is the flows crossing the
same resources, which max-min fairness gives the same rate), so reports can draw the bandwidth each
resource carries over time and tests can check that no resource ever carries more than its capacity.
Same stream and target give the same timeline: no randomness, ties broken by stream index.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from mozartc.executor.flows import FlowClasses
from mozartc.executor.workload import FLOW, SERIAL, ExecOptions, Workload
from mozartc.gcpause import gc_paused
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

    Flows: ``sent`` is when a flow's last byte left (it finishes one latency later);
    ``flow_class`` its class (flows crossing the same resources, ``class_resources``; -1 for other
    work). ``class_log`` columns ``(class, time s, rate per flow bytes/s, flows)``: one row each time a
    class's rate or number of flows changes; a flow moves at its class's rate from ``start`` to
    ``sent``. ``capacity_Bps`` is each resource's capacity in bytes/s (0 for compute arrays).
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
    sent: np.ndarray
    flow_class: np.ndarray
    class_resources: tuple[tuple[int, ...], ...]
    class_log: np.ndarray

    @property
    def step_time(self) -> float:
        """Makespan: the last finish time (0 for an empty stream)."""
        return float(self.finish.max()) if len(self.finish) else 0.0

    @property
    def bandwidth_gbps(self) -> tuple[float, ...]:
        """Each resource's capacity in GB/s (0 for compute arrays)."""
        return tuple(r.bandwidth_gbps for r in self.topology.resources)

    def flow_rates(self, index: int) -> list[tuple[float, float, float]]:
        """The (from, to, bytes/s) pieces of flow ``index``'s rate, from the class log."""
        c = int(self.flow_class[index])
        if c < 0:
            return []
        lo, hi = float(self.start[index]), float(self.sent[index])
        rows = [(t, r) for k, t, r, _ in self.class_log.tolist() if int(k) == c]
        out: list[tuple[float, float, float]] = []
        for (t0, r), (t1, _) in zip(rows, [*rows[1:], (float("inf"), 0.0)], strict=True):
            a, b = max(t0, lo), min(t1, hi)
            if b > a or (b == a and lo == hi == a):
                out.append((a, b, r))
        return out

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
    with gc_paused():
        return _execute(stream, target, options, check, topology)


def _execute(stream: Stream, target: Target, options: ExecOptions | None, check: bool,
             topology: Topology | None) -> Timeline:
    opts = options or ExecOptions()
    opts.check()
    topo = topology if topology is not None else Topology.of(target)
    if check:
        from mozartc.isa.verify import verify_stream

        verify_stream(stream, target, topology=topo)
    work = Workload.of(stream, topo, opts)
    instrs = stream.instrs
    n = len(instrs)
    sim = simulate(work, [i.deps for i in instrs])
    used = work.used
    ptr = np.zeros(n + 1, dtype=np.int64)
    if n:
        ptr[1:] = np.cumsum([len(r) for r in used])
    flat = np.fromiter((r for rs in used for r in rs), dtype=np.int64, count=int(ptr[-1]))
    kind_ids = {k: i for i, k in enumerate(KINDS)}
    start_a = np.asarray(sim.start, dtype=np.float64)
    finish_a = np.asarray(sim.finish, dtype=np.float64)
    return Timeline(
        stream=stream, target=target, options=opts, topology=topo,
        resources=tuple(r.name for r in topo.resources), capacity_Bps=tuple(work.capacity),
        start=start_a, finish=finish_a, duration=finish_a - start_a,
        lone=np.asarray(work.lone, dtype=np.float64), mode=np.asarray(work.mode, dtype=np.int64),
        amount=np.asarray(work.amount, dtype=np.float64), pred=np.asarray(sim.pred, dtype=np.int64),
        kind=np.fromiter((kind_ids[i.kind] for i in instrs), dtype=np.int64, count=n),
        res_ptr=ptr, res_index=flat,
        sent=np.asarray(sim.sent, dtype=np.float64),
        flow_class=np.asarray(work.flow_class, dtype=np.int64), class_resources=tuple(work.class_resources),
        class_log=np.asarray(sim.log, dtype=np.float64).reshape(-1, 4),
    )


def simulate(work: Workload, deps: list[tuple[int, ...]]) -> Simulated:
    """The event loop (module docstring); returns start, finish, transmit end, pred and the class log.

    Flows live in :class:`~mozartc.executor.flows.FlowClasses`; serial work queues per chiplet;
    barriers finish when ready. All instructions finishing at one instant are handled before the
    rates are recomputed once for that instant.
    """
    n = len(deps)
    mode, amount, latency, flow_class = work.mode, work.amount, work.latency, work.flow_class
    unit_of = [u[0] if m == SERIAL else -1 for m, u in zip(mode, work.used, strict=True)]
    n_res = len(work.capacity)
    flows = FlowClasses(work.class_resources, work.capacity)
    children: list[list[int]] = [[] for _ in range(n)]
    missing = [0] * n
    for i, ds in enumerate(deps):
        missing[i] = len(ds)
        for d in ds:
            children[d].append(i)
    start = [0.0] * n
    finish = [0.0] * n
    sent = [0.0] * n  # when a flow's last byte left (finish - latency)
    pred = [-1] * n
    ready_pred = [-1] * n
    # serial units: a heap of queued (ready time, index), the instruction running and the last one
    queue: list[list[tuple[float, int]]] = [[] for _ in range(n_res)]
    running = [-1] * n_res
    last_on = [-1] * n_res
    done: list[tuple[float, int]] = []  # (time, index): an instruction finishes
    heappush, heappop = heapq.heappush, heapq.heappop
    join = flows.join
    flow_events = flows.events
    finished_now: list[int] = []
    kicked: set[int] = set()

    def make_ready(i: int, now: float) -> None:
        m = mode[i]
        start[i] = now
        if m == FLOW:
            pred[i] = ready_pred[i]
            join(i, flow_class[i], amount[i], now)
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
    now = 0.0
    inf = float("inf")
    while True:
        # every instruction finishing now frees its arrays and readies its children (barriers at once)
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
        if kicked:
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
        if flows.pending():
            flows.reshare(now)
        # the next event: a class's head flow has moved its bytes, or an instruction finishes
        t_flow = flow_events[0][0] if flow_events else inf
        t_done = done[0][0] if done else inf
        now = t_flow if t_flow < t_done else t_done
        if now == inf:
            break
        if t_flow <= now:
            for i in flows.pop_done(now):
                sent[i] = now
                finish[i] = now + latency[i]
                heappush(done, (finish[i], i))
        while done and done[0][0] <= now:
            _, i = heappop(done)
            u = unit_of[i]
            if u != -1:
                last_on[u] = i
            finished_now.append(i)
        finished_now.sort(reverse=True)  # pop() takes the lowest index first
    return Simulated(start, finish, sent, pred, flows.log)


@dataclass(frozen=True)
class Simulated:
    """What :func:`simulate` returns (lists indexed like the stream; ``log`` rows
    ``(class, time, rate per flow, flows)``)."""

    start: list[float]
    finish: list[float]
    sent: list[float]
    pred: list[int]
    log: list[tuple[int, float, float, int]]
