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

import bisect
import heapq
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from mozartc.executor.flows import FlowClasses
from mozartc.executor.workload import FLOW, SERIAL, ExecOptions, Workload
from mozartc.gcpause import gc_paused
from mozartc.hw.target import Target
from mozartc.hw.topology import Topology
from mozartc.isa.instr import Stream
from mozartc.isa.signatures import DepEdges, StreamSignatures


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
            topology: Topology | None = None, signatures: StreamSignatures | None = None) -> Timeline:
    """Time ``stream`` on ``target`` (see the module docstring for the model).

    ``check`` runs :func:`mozartc.isa.verify.verify_stream` first (skip it only for a stream already
    verified against this target). ``topology`` is ``Topology.of(target)`` and ``signatures``
    ``StreamSignatures.of(stream)`` when the caller has them.
    """
    with gc_paused():
        return _execute(stream, target, options, check, topology, signatures or StreamSignatures.of(stream))


def _execute(stream: Stream, target: Target, options: ExecOptions | None, check: bool,
             topology: Topology | None, signatures: StreamSignatures) -> Timeline:
    opts = options or ExecOptions()
    opts.check()
    topo = topology if topology is not None else Topology.of(target)
    if check:
        from mozartc.isa.verify import verify_stream

        verify_stream(stream, target, topology=topo, signatures=signatures)
    work = Workload.of(stream, topo, opts, signatures)
    sim = simulate(work, signatures.deps, signatures.edges)
    start_a = np.frombuffer(sim.start, dtype=np.float64)
    finish_a = np.frombuffer(sim.finish, dtype=np.float64)
    pred = np.frombuffer(sim.pred, dtype=np.int64)
    pred[pred == len(pred)] = -1
    return Timeline(
        stream=stream, target=target, options=opts, topology=topo,
        resources=tuple(r.name for r in topo.resources), capacity_Bps=tuple(work.capacity),
        start=start_a, finish=finish_a, duration=finish_a - start_a,
        lone=work.lone, mode=work.mode, amount=work.amount, pred=pred,
        kind=work.kind, res_ptr=work.res_ptr, res_index=work.res_index,
        sent=np.frombuffer(sim.sent, dtype=np.float64),
        flow_class=work.flow_class, class_resources=tuple(work.class_resources),
        class_log=np.fromiter(sim.log, dtype=np.float64, count=len(sim.log)).reshape(-1, 4),
    )


def simulate(work: Workload, deps: Sequence[Sequence[int]], edges: DepEdges | None = None) -> Simulated:
    """The event loop (module docstring); returns start, finish, transmit end, pred and the class log.

    ``edges`` are ``deps`` as arrays (:attr:`~mozartc.isa.signatures.StreamSignatures.edges`) when the
    caller has them.

    Flows live in :class:`~mozartc.executor.flows.FlowClasses`; serial work queues per chiplet;
    barriers finish when ready. Each turn of the loop handles one instant ``now``:

    1. the instructions finishing at ``now``, lowest stream index first (a barrier they complete
       finishes at once and is handled next): each readies the children whose last dependency it
       was (a flow joins its class, serial work queues on its chiplet, a barrier finishes). A
       virtual instruction ``n`` finishing at time 0 readies those without dependencies;
    2. every chiplet whose arrays are free starts its first queued work (``(ready time, index)``
       order), in chiplet order;
    3. the rates of the zones whose flows changed are recomputed, once;
    4. ``now`` moves to the next event: a class's head flow has moved its bytes (it finishes one
       latency later), or an instruction finishes. A chiplet whose work finishes then starts its
       next queued work at once if that was queued before ``now`` (nothing readied at ``now`` can
       come before it, so step 2 would pick it) and lasts; otherwise it waits for step 2.

    A chiplet's queue is a list sorted by ``(ready time, index)`` read from ``head``: work is
    queued in time order, so it is appended, and inserted in place only when it readies at the
    same instant as queued work of a higher index.
    """
    n = len(deps)
    mode, amount, latency = work.mode.tolist(), work.amount.tolist(), work.latency.tolist()
    flow_class, unit_of = work.flow_class.tolist(), work.unit.tolist()
    n_res = len(work.capacity)
    flows = FlowClasses(work.class_resources, work.capacity)
    child_index, child_ptr, missing = _children(edges or _edges(deps))
    # written once or twice per instruction, never read: C arrays the Timeline takes without copying
    start = array("d", bytes(8 * n))
    finish = array("d", bytes(8 * n))
    sent = array("d", bytes(8 * n))  # when a flow's last byte left (finish - latency)
    pred = array("q", [-1]) * n  # n (the virtual start) until the end
    ready_pred = [-1] * n
    queue: list[list[tuple[float, int]]] = [[] for _ in range(n_res)]  # per chiplet, sorted
    head = [0] * n_res  # the first item of each queue not started yet
    running = [-1] * n_res  # per chiplet, the instruction on its arrays
    last_on = [-1] * n_res  # per chiplet, the last instruction that finished there
    done: list[tuple[float, int]] = []  # heap of (time, index): an instruction finishes
    heappush, heappop, heapreplace = heapq.heappush, heapq.heappop, heapq.heapreplace
    join, pop_done, reshare = flows.join, flows.pop_done, flows.reshare
    touched, emptied, zone_due = flows.touched, flows.emptied, flows.zone_due
    finished_now = [n]  # a stack: the lowest index on top
    kicked: set[int] = set()  # chiplets whose arrays may start work in step 2
    freed: list[int] = []  # chiplets whose work finishes at ``now``
    now = 0.0
    inf = float("inf")
    t_flow = inf
    while True:
        while finished_now:  # 1.
            i = finished_now.pop()
            for c in child_index[child_ptr[i]:child_ptr[i + 1]]:
                left = missing[c] - 1
                missing[c] = left
                if left:
                    continue
                m = mode[c]
                if m == SERIAL:  # its start is set when its chiplet takes it
                    ready_pred[c] = i
                    u = unit_of[c]
                    q = queue[u]
                    item = (now, c)
                    if q and q[-1] > item:
                        bisect.insort(q, item, head[u])
                    else:
                        q.append(item)
                    kicked.add(u)
                elif m == FLOW:
                    start[c] = now
                    pred[c] = i
                    join(c, flow_class[c], amount[c], now)
                else:
                    start[c] = finish[c] = now
                    pred[c] = i
                    finished_now.append(c)
        if kicked:  # 2.
            for u in sorted(kicked) if len(kicked) > 1 else kicked:
                k = head[u]
                if running[u] == -1 and k < len(queue[u]):
                    ready_at, j = queue[u][k]
                    head[u] = k + 1
                    prev = last_on[u]
                    pred[j] = prev if ready_at < now and prev != -1 else ready_pred[j]
                    start[j] = now
                    running[u] = j
                    finish[j] = t = now + amount[j]
                    heappush(done, (t, j))
            kicked.clear()
        if touched or emptied:  # 3.
            reshare(now)
            t_flow = min(zone_due)  # (events change only when rates are recomputed)
        t_done = done[0][0] if done else inf  # 4.
        now = t_flow if t_flow < t_done else t_done
        if now == inf:
            break
        if t_flow <= now:
            for i in pop_done(now):
                sent[i] = now
                finish[i] = t = now + latency[i]
                heappush(done, (t, i))
        while done and done[0][0] <= now:
            i = done[0][1]
            finished_now.append(i)
            u = unit_of[i]
            if u != -1:
                # work queued before ``now`` is next on these arrays whatever readies at ``now`` (step 2
                # would pick it): start it at once if it finishes after ``now``
                q, k = queue[u], head[u]
                if k < len(q) and q[k][0] < now:
                    j = q[k][1]
                    t = now + amount[j]
                    if t > now:
                        head[u] = k + 1
                        pred[j] = i
                        start[j] = now
                        running[u] = j
                        finish[j] = t
                        heapreplace(done, (t, j))
                        continue
                last_on[u] = i  # (read by step 2 only, for arrays it frees)
                freed.append(u)
            heappop(done)
        if len(finished_now) > 1:  # popped in (time, index) order, all at ``now``: pop() takes the lowest index
            finished_now.reverse()
        if freed:
            for u in freed:  # their next work, if any, is chosen in step 2
                running[u] = -1
                kicked.add(u)
                if head[u] == len(queue[u]):
                    queue[u].clear()
                    head[u] = 0
            freed.clear()
    return Simulated(start, finish, sent, pred, flows.log)


def _edges(deps: Sequence[Sequence[int]]) -> DepEdges:
    """``deps`` as arrays (integers only, as after verification)."""
    counts = np.fromiter(map(len, deps), dtype=np.int64, count=len(deps))
    owner = np.repeat(np.arange(len(deps), dtype=np.int64), counts)
    return DepEdges(counts, np.fromiter(chain.from_iterable(deps), dtype=np.int64, count=owner.size), owner)


def _children(edges: DepEdges) -> tuple[list[int], list[int], list[int]]:
    """The dependants of every instruction, in stream order, as ``index[ptr[i]:ptr[i + 1]]``, and the
    number of dependencies of each (one sort of the dependency edges instead of a list per instruction).

    Instructions without dependencies depend on a virtual instruction ``n`` (the start of the step)."""
    n = len(edges.count)
    roots = edges.count == 0
    index = np.concatenate([edges.owner[np.argsort(edges.target, kind="stable")], np.flatnonzero(roots)])
    ptr = np.zeros(n + 2, dtype=np.int64)
    np.cumsum(np.bincount(edges.target, minlength=n), out=ptr[1:n + 1])
    ptr[n + 1] = index.size
    return index.tolist(), ptr.tolist(), (edges.count + roots).tolist()


@dataclass(frozen=True)
class Simulated:
    """What :func:`simulate` returns (arrays indexed like the stream; ``pred`` is ``len(start)`` where
    nothing let the instruction start; ``log`` holds the rows ``(class, time, rate per flow, flows)``
    one after the other)."""

    start: array[float]
    finish: array[float]
    sent: array[float]
    pred: array[int]
    log: list[float]
