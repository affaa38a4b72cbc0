"""Max-min fair rates of flows sharing capacities (progressive filling), flows grouped in classes.

Given active flows, each crossing a set of resources, and each resource's capacity, the max-min fair
allocation is the one where no flow's rate can grow without shrinking the rate of a flow that is no
faster. Progressive filling finds it (Bertsekas and Gallager, *Data Networks*, section 6.5.2; it is
the allocation of SimGrid's fluid LMM model with equal weights):

1. every unfrozen flow's rate grows at the same pace;
2. the first resource to fill is the one with the smallest fair share
   ``remaining capacity / unfrozen flows on it``; its unfrozen flows freeze at that share;
3. subtract their rates from every resource they cross, and repeat until every flow is frozen.

The allocation is unique, so flows that cross exactly the same resources get the same rate. The
executor therefore works on *classes* of such flows: a class of ``n`` flows counts ``n`` times on
each of its resources and freezes as one. Each round freezes at least one class.

The arithmetic is done in one fixed order, so the same inputs give the same bits: resources are
scanned in the order the classes' sets first name them (a :class:`FillPlan`, which depends only on
which classes are active and so is built once per set of classes), the first resource with the
smallest share wins a tie, and a full resource freezes its classes in the order they became active.

A resource ``r`` that cannot fill first is left out of the plan: one whose classes all cross another
resource ``d`` of clearly smaller capacity (``cap_d < cap_r (1 - DOMINANCE_MARGIN)``). While ``r``
has unfrozen flows, ``d`` has at least as many, and ``d`` has had at least as much subtracted, so
``d``'s share stays below ``r``'s by at least ``(cap_r - cap_d) / flows``; ``r`` never wins a round
and, scanned before ``d``, never changes what ``d`` wins. On the wafer this drops most expert links
from the DRAM-bound zones (a load's link at 288.5 GB/s behind its 256 GB/s stack).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, filterfalse

_INF = float("inf")
#: relative capacity gap above which a resource is dominated (module docstring): far above the
#: rounding of the subtractions (about 1e-16 per class frozen), far below any real capacity step
DOMINANCE_MARGIN = 1e-9


@dataclass(frozen=True)
class FillPlan:
    """What progressive filling over one set of classes needs besides the numbers.

    ``order``: the resources the classes cross that can fill first (the dominated ones left out,
    module docstring), in scan order, and their ``capacity``; ``local[c]``: the positions in
    ``order`` of the resources class ``c`` crosses.
    """

    order: tuple[int, ...]
    capacity: list[float]
    local: dict[int, tuple[int, ...]]

    @classmethod
    def of(cls, classes: Sequence[int], crosses: Sequence[Sequence[int]], capacity: Sequence[float]) -> FillPlan:
        """The plan of ``classes`` (the scan order follows Python's iteration of ``set(classes)``)."""
        named = tuple(dict.fromkeys(chain.from_iterable(map(crosses.__getitem__, set(classes)))))
        on: dict[int, set[int]] = {r: set() for r in named}
        for c in classes:
            for r in crosses[c]:
                on[r].add(c)
        by_capacity = sorted(named, key=capacity.__getitem__)
        order = tuple(r for r in named if not _dominated(r, by_capacity, on, capacity))
        pos = {r: k for k, r in enumerate(order)}
        return cls(order, [capacity[r] for r in order],
                   {c: tuple(pos[r] for r in crosses[c] if r in pos) for c in classes})


def _dominated(r: int, by_capacity: Sequence[int], on: Mapping[int, set[int]], capacity: Sequence[float]) -> bool:
    """Whether another resource of clearly smaller capacity carries every class ``r`` carries."""
    limit = capacity[r] * (1 - DOMINANCE_MARGIN)
    mine = on[r]
    for d in by_capacity:
        if capacity[d] >= limit:
            return False
        if mine <= on[d]:
            return True
    return False


def max_min_rates(classes: Sequence[int], crosses: Sequence[Sequence[int]], count: Sequence[int],
                  capacity: Sequence[float], on: Sequence[Mapping[int, object]],
                  flows_on: Sequence[int], plan: FillPlan | None = None) -> dict[int, float]:
    """Max-min fair rate *per flow* of every class in ``classes`` (module docstring).

    ``crosses[c]`` are the resources class ``c``'s flows cross and ``count[c]`` how many flows it
    has (> 0); ``capacity[r]`` is resource ``r``'s capacity, ``on[r]`` the classes on it in the
    order they became active and ``flows_on[r]`` the flows on it (the sum of their counts).
    ``classes`` must be closed: every class on a resource that a class of ``classes`` crosses is
    itself in ``classes`` (a connected component, or a union of them). ``plan`` is
    ``FillPlan.of(classes, crosses, capacity)``, given when the caller keeps plans.
    """
    if len(classes) == 1:
        c = classes[0]
        return {c: min(map(capacity.__getitem__, crosses[c])) / count[c]}
    if plan is None:
        plan = FillPlan.of(classes, crosses, capacity)
    order, local = plan.order, plan.local
    if len(order) == 1:  # one resource can fill (the others are dominated): one round freezes every class
        return dict.fromkeys(classes, max(plan.capacity[0] / flows_on[order[0]], 0.0))
    remaining = plan.capacity.copy()
    weight = list(map(flows_on.__getitem__, order))  # unfrozen flows on each resource
    scan = range(len(order))
    rates: dict[int, float] = {}  # the frozen classes
    unfrozen = len(classes)
    while True:
        best, share = -1, _INF
        for k in scan:
            w = weight[k]
            if w and remaining[k] < share * w:
                best, share = k, remaining[k] / w
        if share < 0.0:  # rounding left the resource a hair below zero
            share = 0.0
        freeze = list(filterfalse(rates.__contains__, on[order[best]]) if rates else on[order[best]])
        unfrozen -= len(freeze)
        if not unfrozen:  # the last round: nothing is left to share
            rates.update(dict.fromkeys(freeze, share))
            return rates
        weight[best] = 0  # full: every class on it is frozen now, so it is left out of the next rounds
        for c in freeze:
            rates[c] = share
            n = count[c]
            for k in local[c]:
                if k != best:
                    remaining[k] -= share * n
                    weight[k] -= n
