"""Algorithm 1 (PAPER.md section 4) checked against runs worked by hand."""

from __future__ import annotations

import numpy as np

from mozartc.solvers.clustering.greedy import greedy_clusters


def _sym(n: int, pairs: dict[tuple[int, int], int]) -> np.ndarray:
    c = np.zeros((n, n), dtype=np.int64)
    for (i, j), w in pairs.items():
        c[i, j] = c[j, i] = w
    np.fill_diagonal(c, 100)  # the diagonal (tokens per expert) must be ignored
    return c


def test_seed_pair_farthest_seeds_fill() -> None:
    # seed pair (0,2)=9; pulls vs {0,2}: e1=1, e3=1, e4=2, e5=0 -> seed 5;
    # + C[5]: e1=5, e3=1, e4=3 -> seed 3; fill {5}: C51=4 > C54=1 -> 1; {3} gets 4.
    c = _sym(6, {(0, 1): 1, (0, 2): 9, (0, 4): 2, (1, 3): 3, (1, 5): 4, (2, 3): 1, (3, 4): 5, (4, 5): 1})
    assert greedy_clusters(c, 3) == [[0, 2], [5, 1], [3, 4]]


def test_fill_order_cluster_zero_first() -> None:
    # seed pair (0,1)=10; pulls: e2=5, e3=0, e4=0, e5=1 -> tie 3/4, lowest index 3 seeds cluster 1.
    # Cluster 0 fills first and takes 2 (sum 5) although 2 is 3's strongest partner (8);
    # cluster 1 then takes 4 (C34=1 > C35=0) and 5 (2 with {3,4}).
    c = _sym(6, {(0, 1): 10, (0, 2): 5, (2, 3): 8, (3, 4): 1, (4, 5): 2, (1, 5): 1})
    assert greedy_clusters(c, 2) == [[0, 1, 2], [3, 4, 5]]


def test_ties_lowest_index() -> None:
    assert greedy_clusters(np.zeros((4, 4), dtype=int), 2) == [[0, 1], [2, 3]]
    # two equally strong pairs: (1,2) is lexicographically before (2,3)
    c = _sym(4, {(1, 2): 3, (2, 3): 3})
    assert greedy_clusters(c, 2)[0] == [1, 2]


def test_average_fill_uses_all_members() -> None:
    # cluster 0 = {0,1}; candidates 2 (C02=4, C12=0 -> avg 2) and 3 (C03=3, C13=3 -> avg 3) -> 3.
    c = _sym(8, {(0, 1): 9, (0, 2): 4, (0, 3): 3, (1, 3): 3})
    assert greedy_clusters(c, 2)[0][:3] == [0, 1, 3]


def test_singleton_clusters() -> None:
    assert greedy_clusters(np.ones((3, 3), dtype=int), 3) == [[0], [1], [2]]
