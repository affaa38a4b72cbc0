"""Max-min fair sharing: the fill plan (scan order, dominated resources left out, fast paths) gives the
same bits as textbook progressive filling, and the hand-worked shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.executor.sharing import FillPlan, max_min_rates


def textbook(classes: Sequence[int], crosses: Sequence[Sequence[int]], count: Sequence[int],
             capacity: Sequence[float], on: Sequence[Mapping[int, object]],
             flows_on: Sequence[int]) -> dict[int, float]:
    """Progressive filling as written before any speed-up: every resource scanned every round, in the
    order the set of classes first names them; the first smallest share wins; a full resource
    freezes its classes in activation order and their rates are taken off every resource they cross."""
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


#: capacities with repeats (ties), and a clear ladder (dominated resources)
CAPACITIES = [1.0e9, 2.5e9, 3.0e9, 3.0e9, 256e9, 288.5e9, 288.5e9, 1154e9, 7.0]


Sharing = tuple[list[int], list[tuple[int, ...]], list[int], list[float], list[dict[int, None]], list[int]]


@st.composite
def sharings(draw: st.DrawFn) -> Sharing:
    """Random classes (distinct resource sets, 1-4 resources each, from up to 8 resources), flow
    counts, capacities and activation orders; the classes are all active."""
    n_res = draw(st.integers(1, 8))
    capacity = [draw(st.sampled_from(CAPACITIES)) for _ in range(n_res)]
    sets = draw(st.lists(st.frozensets(st.integers(0, n_res - 1), min_size=1, max_size=4), min_size=1, max_size=10,
                         unique=True))
    crosses = [tuple(draw(st.permutations(sorted(s)))) for s in sets]
    count = [draw(st.integers(1, 70)) for _ in crosses]
    order = draw(st.permutations(range(len(crosses))))  # activation order
    on: list[dict[int, None]] = [{} for _ in range(n_res)]
    flows_on = [0] * n_res
    for c in order:
        for r in crosses[c]:
            on[r][c] = None
            flows_on[r] += count[c]
    classes = sorted(draw(st.permutations(range(len(crosses)))))
    return classes, crosses, count, capacity, on, flows_on


@settings(max_examples=500, deadline=None)
@given(sharings())
def test_the_fill_plan_gives_the_textbook_rates_to_the_bit(case: Sharing) -> None:
    classes, crosses, count, capacity, on, flows_on = case
    expected = textbook(classes, crosses, count, capacity, on, flows_on)
    plan = FillPlan.of(tuple(classes), crosses, capacity) if len(classes) > 1 else None
    got = max_min_rates(tuple(classes), crosses, count, capacity, on, flows_on, plan)
    assert got == expected  # same keys, and floats equal to the bit (no tolerance)
    assert all(a.hex() == b.hex() for a, b in ((got[c], expected[c]) for c in classes))


def test_a_link_behind_a_slower_dram_stack_is_left_out_and_the_stack_shares() -> None:
    # resources: 0 = a 256 GB/s stack, 1..4 = 288.5 GB/s links to four chiplets; four loads, one per
    # link, and a send on link 1 alone
    capacity = [256e9, 288.5e9, 288.5e9, 288.5e9, 288.5e9]
    crosses = [(0, 1), (0, 2), (0, 3), (0, 4), (1,)]
    count = [2, 2, 2, 2, 1]
    on: list[dict[int, None]] = [dict.fromkeys([0, 1, 2, 3]), dict.fromkeys([0, 4]), {1: None}, {2: None}, {3: None}]
    flows_on = [8, 3, 2, 2, 2]
    plan = FillPlan.of((0, 1, 2, 3), crosses, capacity)
    assert plan.order == (0,)  # links 2-4 carry only loads of the slower stack; link 1 is not active here
    plan5 = FillPlan.of((0, 1, 2, 3, 4), crosses, capacity)
    assert set(plan5.order) == {0, 1}  # link 1 also carries the send: it stays
    rates = max_min_rates((0, 1, 2, 3, 4), crosses, count, capacity, on, flows_on, plan5)
    # the stack fills first at 256/8 = 32 GB/s a flow; link 1 then has 288.5 - 2 x 32 = 224.5 for the send
    assert rates == {0: 32e9, 1: 32e9, 2: 32e9, 3: 32e9, 4: 224.5e9}
