"""Max-min fair rates of flows sharing capacities (progressive filling).

Given active flows, each crossing a set of resources, and each resource's capacity, the max-min fair
allocation is the one where no flow's rate can grow without shrinking the rate of a flow that is no
faster. Progressive filling finds it (Bertsekas and Gallager, *Data Networks*, section 6.5.2; it
is the allocation of SimGrid's fluid LMM model with equal weights):

1. every unfrozen flow's rate grows at the same pace;
2. the first resource to fill is the one with the smallest fair share
   ``remaining capacity / unfrozen flows on it``; its unfrozen flows freeze at that share;
3. subtract their rates from every resource they cross, and repeat until every flow is frozen.

Each round freezes at least one flow, so it takes at most ``len(flows)`` rounds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def max_min_rates(flows: Iterable[int], crosses: Sequence[Sequence[int]], capacity: Sequence[float],
                  on: Sequence[Mapping[int, object]]) -> dict[int, float]:
    """Max-min fair rate of every flow in ``flows`` (module docstring).

    ``crosses[f]`` are the resources flow ``f`` crosses; ``capacity[r]`` is resource ``r``'s
    capacity; ``on[r]`` are the flows on resource ``r``. ``flows`` must be closed: every flow on a
    resource that a flow of ``flows`` crosses is itself in ``flows`` (a connected component, or a
    union of them).
    """
    unfrozen = set(flows)
    rates: dict[int, float] = {}
    if len(unfrozen) == 1:
        (f,) = unfrozen
        return {f: min(capacity[r] for r in crosses[f])}
    remaining: dict[int, float] = {}
    count: dict[int, int] = {}
    for f in unfrozen:
        for r in crosses[f]:
            if r not in count:
                remaining[r] = capacity[r]
                count[r] = len(on[r])
    while unfrozen:
        best, share = -1, float("inf")
        for r, c in count.items():
            if c and remaining[r] < share * c:
                best, share = r, remaining[r] / c
        share = max(share, 0.0)
        for f in on[best]:
            if f in unfrozen:
                unfrozen.discard(f)
                rates[f] = share
                for r in crosses[f]:
                    remaining[r] -= share
                    count[r] -= 1
    return rates
