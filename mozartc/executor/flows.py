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
"""

from __future__ import annotations

import heapq

from mozartc.executor.sharing import max_min_rates


class FlowClasses:
    """Class state of one simulation (lists indexed by class, resource or zone id).

    ``log`` rows ``(class, time, rate per flow, flows)``: one each time a class's rate or size changes.
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
        self.version = [0] * n_cls
        self.logged = [(0.0, 0)] * n_cls
        self.on: list[dict[int, None]] = [{} for _ in range(n_res)]  # active classes per resource
        self.flows_on = [0] * n_res  # active flows per resource
        self.events: list[tuple[float, int, int]] = []  # (time, class, version): its head flow is done
        self.log: list[tuple[int, float, float, int]] = []
        self.zone_of, self.zone_classes = _zones(crosses, n_res)
        self._touched: set[int] = set()  # zones to recompute
        self._heads: set[int] = set()  # classes whose head flow may have changed
        self._emptied: list[int] = []

    def join(self, i: int, c: int, nbytes: float, now: float) -> None:
        """Flow ``i`` of class ``c`` starts moving ``nbytes`` at ``now``."""
        heap = self.members[c]
        if heap:
            self.moved[c] += self.rate[c] * (now - self.since[c])
        else:
            self.moved[c] = 0.0
            self.rate[c] = 0.0
            for r in self.crosses[c]:
                self.on[r][c] = None
        for r in self.crosses[c]:
            self.flows_on[r] += 1
        self.since[c] = now
        heapq.heappush(heap, (self.moved[c] + nbytes, i))
        self.size[c] += 1
        self._touched.add(self.zone_of[c])
        self._heads.add(c)

    def pending(self) -> bool:
        """Whether flows joined or left since the last :meth:`reshare`."""
        return bool(self._touched or self._emptied)

    def pop_done(self, now: float) -> list[int]:
        """The flows whose bytes are all moved by ``now`` (events due at ``now``), removed from their class."""
        out: list[int] = []
        events, members, version = self.events, self.members, self.version
        while events and events[0][0] <= now:
            _, c, v = heapq.heappop(events)
            if v != version[c]:
                continue  # superseded by a later rate change
            self.moved[c] += self.rate[c] * (now - self.since[c])
            self.since[c] = now
            heap = members[c]
            # the event was set for the head flow: it is done even if rounding left it a hair short
            reached = max(self.moved[c] * (1 + 1e-12) + 1e-6, heap[0][0])
            left = 0
            while heap and heap[0][0] <= reached:
                out.append(heapq.heappop(heap)[1])
                left += 1
            self.size[c] -= left
            for r in self.crosses[c]:
                self.flows_on[r] -= left
            if not heap:
                for r in self.crosses[c]:
                    del self.on[r][c]
                self._emptied.append(c)
            self._touched.add(self.zone_of[c])
            self._heads.add(c)
        return out

    def reshare(self, now: float) -> None:
        """Recompute the rates of the classes in the zones touched since the last call; set their events."""
        if not self._touched and not self._emptied:
            return
        rate, moved, since, version, size, logged = self.rate, self.moved, self.since, self.version, self.size, \
            self.logged
        for c in self._emptied:
            if size[c]:
                continue  # a flow joined again at this instant: the class is recomputed below
            rate[c] = 0.0
            version[c] += 1
            logged[c] = (0.0, 0)
            self.log.append((c, now, 0.0, 0))
        self._emptied.clear()
        active = [c for z in sorted(self._touched) for c in self.zone_classes[z] if size[c]]
        self._touched.clear()
        heads = self._heads
        if active:
            rates = max_min_rates(active, self.crosses, size, self.capacity, self.on, self.flows_on)
            for c in active:
                new, old = rates[c], rate[c]
                if new != old:
                    moved[c] += old * (now - since[c])
                    since[c] = now
                    rate[c] = new
                if new != old or c in heads:
                    version[c] += 1
                    left = self.members[c][0][0] - moved[c] - new * (now - since[c])
                    heapq.heappush(self.events, (now + (left / new if left > 0.0 else 0.0), c, version[c]))
                state = (new, size[c])
                if state != logged[c]:
                    logged[c] = state
                    self.log.append((c, now, new, state[1]))
        heads.clear()


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
