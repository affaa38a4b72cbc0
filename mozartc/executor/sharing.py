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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def max_min_rates(classes: Iterable[int], crosses: Sequence[Sequence[int]], count: Sequence[int],
                  capacity: Sequence[float], on: Sequence[Mapping[int, object]],
                  flows_on: Sequence[int]) -> dict[int, float]:
    """Max-min fair rate *per flow* of every class in ``classes`` (module docstring).

    ``crosses[c]`` are the resources class ``c``'s flows cross and ``count[c]`` how many flows it
    has (> 0); ``capacity[r]`` is resource ``r``'s capacity, ``on[r]`` the classes on it and
    ``flows_on[r]`` the flows on it (the sum of their counts). ``classes`` must be closed: every
    class on a resource that a class of ``classes`` crosses is itself in ``classes`` (a connected
    component, or a union of them).
    """
    unfrozen = set(classes)
    if len(unfrozen) == 1:
        (c,) = unfrozen
        return {c: min(capacity[r] for r in crosses[c]) / count[c]}
    rates: dict[int, float] = {}
    remaining: dict[int, float] = {}
    weight: dict[int, int] = {}
    for c in unfrozen:
        for r in crosses[c]:
            if r not in weight:
                remaining[r] = capacity[r]
                weight[r] = flows_on[r]
    while unfrozen:
        best, share = -1, float("inf")
        for r, w in weight.items():
            if w and remaining[r] < share * w:
                best, share = r, remaining[r] / w
        share = max(share, 0.0)
        for c in on[best]:
            if c in unfrozen:
                unfrozen.discard(c)
                rates[c] = share
                n = count[c]
                for r in crosses[c]:
                    remaining[r] -= share * n
                    weight[r] -= n
    return rates
