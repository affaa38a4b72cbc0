"""The fluid part of the engine: active flows, grouped in classes, sharing capacities max-min fairly.

A *class* is the set of flows that cross exactly the same resources; max-min fairness gives them the
same rate (:mod:`mozartc.executor.sharing`). A class keeps its per-flow ``rate`` and ``moved``, the
bytes each of its flows has moved since the class last became active, as of time ``since``. A flow
that joins when the class has moved ``V`` bytes, with ``B`` bytes to move, is done when the class
has moved ``V + B``: the flows of a class form a heap on that target, and a rate change costs one
event per class, not one per flow.

Rates change only when a flow joins or leaves. Then :meth:`FlowClasses.reshare` recomputes the
classes that can be affected: those of the *zones* touched, a zone being a connected component of
the static graph of classes and the resources they cross (a superset of the dynamic component, so
the max-min allocation over its active classes is the same).

Each active class has one pending event, ``due[c]``: when its head flow will have moved its bytes
at the current rate; each zone keeps the earliest of its classes' (``zone_due``), recomputed when
the zone is, so finding the next event is a minimum over the few zones, and a rate change costs an
assignment, not a heap entry.
"""

from __future__ import annotations

import heapq
from itertools import chain

from mozartc.executor.sharing import FillPlan, max_min_rates

_INF = float("inf")


class FlowClasses:
    """Class state of one simulation (lists indexed by class, resource or zone id).

    ``log`` rows ``(class, time, rate per flow, flows)``, flattened: one each time a class's rate or size
    changes.
    """

    def __init__(self, crosses: list[tuple[int, ...]], capacity: list[float]) -> None:
        n_cls, n_res = len(crosses), len(capacity)
        self.crosses = crosses
        self.capacity = capacity
        self.members: list[list[tuple[float, int]]] = [[] for _ in range(n_cls)]
        self.size = [0] * n_cls
        self.rate = [0.0] * n_cls
        self.moved = [0.0] * n_cls
        self.since = [0.0] * n_cls
        self.due = [_INF] * n_cls  # when the head flow of each class is done at the current rate
        self.logged_size = [0] * n_cls  # the flow count of each class's last log row (its rate is ``rate``)
        self.on: list[dict[int, None]] = [{} for _ in range(n_res)]  # active classes per resource
        self.flows_on = [0] * n_res  # active flows per resource
        self.log: list[float] = []  # flat: four numbers a row
        self.zone_of, self.zone_classes = _zones(crosses, n_res)
        self.zone_due = [_INF] * len(self.zone_classes)  # the earliest ``due`` of each zone's classes
        # what changed since the last reshare: zones to recompute, classes whose head flow may have
        # changed, classes left without flows (the engine reshares when ``touched or emptied``)
        self.touched: set[int] = set()
        self.heads: set[int] = set()
        self.emptied: list[int] = []
        self._plans: dict[tuple[int, ...], FillPlan] = {}  # per set of active classes
        # the active classes of each zone as a bit mask (bit j: its j-th class has flows), and per
        # (zone, mask) the active classes and their plan
        self.zone_mask = [0] * len(self.zone_classes)
        self._bit = [0] * n_cls
        for classes in self.zone_classes:
            for j, c in enumerate(classes):
                self._bit[c] = 1 << j
        self._zone_active: dict[tuple[int, int], tuple[tuple[int, ...], FillPlan | None]] = {}

    def join(self, i: int, c: int, nbytes: float, now: float) -> None:
        """Flow ``i`` of class ``c`` starts moving ``nbytes`` at ``now``."""
        heap = self.members[c]
        crosses = self.crosses[c]
        if heap:
            self.moved[c] += self.rate[c] * (now - self.since[c])
        else:  # ``rate`` keeps the class's last logged rate (0 once reshare saw it empty)
            self.moved[c] = 0.0
            for r in crosses:
                self.on[r][c] = None
            self.zone_mask[self.zone_of[c]] |= self._bit[c]
        flows_on = self.flows_on
        for r in crosses:
            flows_on[r] += 1
        self.since[c] = now
        heapq.heappush(heap, (self.moved[c] + nbytes, i))
        self.size[c] += 1
        self.touched.add(self.zone_of[c])
        self.heads.add(c)

    def pending(self) -> bool:
        """Whether flows joined or left since the last :meth:`reshare`."""
        return bool(self.touched or self.emptied)

    def next_time(self) -> float:
        """When the next flow is done moving its bytes at the current rates (inf for none)."""
        return min(self.zone_due, default=_INF)

    def pop_done(self, now: float) -> list[int]:
        """The flows whose bytes are all moved by ``now`` (events due at ``now``), removed from their class.

        Classes are handled in class order (``now`` is the earliest event, so every class due is due
        exactly then)."""
        out: list[int] = []
        due, zones = self.due, self.zone_classes
        ready: list[int] = []
        for z, t in enumerate(self.zone_due):
            if t <= now:
                for c in zones[z]:
                    if due[c] <= now:
                        ready.append(c)
        if len(ready) > 1:
            ready.sort()
        moved, rate, since, members, size, crosses = self.moved, self.rate, self.since, self.members, \
            self.size, self.crosses
        flows_on, heappop = self.flows_on, heapq.heappop
        for c in ready:
            due[c] = _INF
            moved[c] = done = moved[c] + rate[c] * (now - since[c])
            since[c] = now
            heap = members[c]
            # the event was set for the head flow: it is done even if rounding left it a hair short
            reached = done * (1 + 1e-12) + 1e-6
            if heap[0][0] > reached:
                reached = heap[0][0]
            left = 0
            while heap and heap[0][0] <= reached:
                out.append(heappop(heap)[1])
                left += 1
            size[c] -= left
            for r in crosses[c]:
                flows_on[r] -= left
            if not heap:
                for r in crosses[c]:
                    del self.on[r][c]
                self.emptied.append(c)
                self.zone_mask[self.zone_of[c]] ^= self._bit[c]
            self.touched.add(self.zone_of[c])
            self.heads.add(c)
        return out

    def reshare(self, now: float) -> None:
        """Recompute the rates of the classes in the zones touched since the last call; set their events.

        Every class whose rate changed, or whose flows changed, first brings ``moved`` up to ``now`` at
        its old rate, then takes the new rate; its head flow is due when it has moved the rest of its
        bytes at that rate. Every change of a class's rate or flow count is logged."""
        rate, moved, since, due, size, log = self.rate, self.moved, self.since, self.due, self.size, self.log
        logged_size = self.logged_size
        if self.emptied:
            for c in self.emptied:
                if size[c]:
                    continue  # a flow joined again at this instant: the class is recomputed below
                rate[c] = 0.0
                due[c] = _INF
                logged_size[c] = 0
                log += (c, now, 0.0, 0)
            self.emptied.clear()
        touched = self.touched
        if len(touched) == 1:
            z = touched.pop()
            zones: list[int] | tuple[int] = (z,)
            active, plan = self._zone_active.get((z, self.zone_mask[z])) or self._active_in(zones)
        elif not touched:
            return
        else:
            zones = sorted(touched)
            touched.clear()
            active, plan = self._active_in(zones)
        heads, members = self.heads, self.members
        if active:
            rates = max_min_rates(active, self.crosses, size, self.capacity, self.on, self.flows_on, plan)
            for c in active:
                new, old = rates[c], rate[c]
                if new != old:
                    moved[c] = done = moved[c] + old * (now - since[c])
                    since[c] = now
                    rate[c] = new
                    n = logged_size[c] = size[c]
                    log += (c, now, new, n)
                    left = members[c][0][0] - done  # (less new x 0 s since now)
                elif c not in heads:
                    continue  # same rate, same flows (a flow joining or leaving puts its class in heads)
                else:
                    if size[c] != logged_size[c]:
                        n = logged_size[c] = size[c]
                        log += (c, now, new, n)
                    left = members[c][0][0] - moved[c] - new * (now - since[c])
                due[c] = now + (left / new if left > 0.0 else 0.0)
        heads.clear()
        if len(zones) == 1:  # classes without flows are never due
            self.zone_due[zones[0]] = min(map(due.__getitem__, active)) if active else _INF
        else:
            for z in zones:
                self.zone_due[z] = min(map(due.__getitem__, self.zone_classes[z]))

    def _active_in(self, zones: list[int] | tuple[int]) -> tuple[tuple[int, ...], FillPlan | None]:
        """The active classes of ``zones`` (in zone, then class order) and their fill plan; remembered
        per set of active classes for a single zone."""
        size, zone_classes = self.size, self.zone_classes
        active = tuple(filter(size.__getitem__, zone_classes[zones[0]] if len(zones) == 1 else
                              chain.from_iterable(map(zone_classes.__getitem__, zones))))
        plan = None
        if len(active) > 1:
            plan = self._plans.get(active)
            if plan is None:
                plan = self._plans[active] = FillPlan.of(active, self.crosses, self.capacity)
        if len(zones) == 1:
            self._zone_active[zones[0], self.zone_mask[zones[0]]] = (active, plan)
        return active, plan


def _zones(crosses: list[tuple[int, ...]], n_res: int) -> tuple[list[int], list[list[int]]]:
    """Zone of every class and the classes of every zone: connected components of classes that share a
    resource (union-find over resources)."""
    parent = list(range(n_res))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for resources in crosses:
        for r in resources[1:]:
            a, b = find(resources[0]), find(r)
            if a != b:
                parent[max(a, b)] = min(a, b)
    ids: dict[int, int] = {}
    zone_of = [ids.setdefault(find(res[0]), len(ids)) for res in crosses]
    zone_classes: list[list[int]] = [[] for _ in ids]
    for c, z in enumerate(zone_of):
        zone_classes[z].append(c)
    return zone_of, zone_classes
