"""``kl``: recursive Kernighan-Lin bisection of the co-activation graph (networkx).

The graph has one node per expert and edge weights ``C_ij``. A set of experts that is to form the
clusters of sizes ``(s_1, ..., s_q)`` (a slice of :func:`mozartc.traces.stats.cluster_sizes`,
larger first) is split into the experts of the first ``floor(q/2)`` sizes and those of the other
``ceil(q/2)`` by ``networkx.algorithms.community.kernighan_lin_bisection`` (swaps keep the part
sizes), starting from the split by expert index, with a fixed seed (a part without any swap
candidate keeps that split); recursion stops at one cluster. With equal sizes this is the plain
halving ``floor(q/2) m | ceil(q/2) m``; with unequal sizes the larger clusters sit in the left
parts. The cut ignores load.
"""

from __future__ import annotations

import numpy as np

from mozartc.solvers.clustering.base import ClusterOptions, LayerClustering, LayerProblem


def kl(problem: LayerProblem, options: ClusterOptions) -> LayerClustering:
    """Minimise the co-activation cut between clusters by recursive KL bisection."""
    import networkx as nx
    from networkx.algorithms.community import kernighan_lin_bisection

    c = problem.coact
    graph = nx.Graph()
    graph.add_nodes_from(range(problem.num_experts))
    iu, ju = np.nonzero(np.triu(c, 1))
    graph.add_weighted_edges_from((int(i), int(j), int(c[i, j])) for i, j in zip(iu, ju, strict=True))
    assignment = np.empty(problem.num_experts, dtype=np.int64)
    next_label = 0
    stack: list[tuple[list[int], tuple[int, ...]]] = [(list(range(problem.num_experts)), problem.sizes)]
    while stack:
        nodes, sizes = stack.pop()
        if len(sizes) == 1:
            assignment[nodes] = next_label
            next_label += 1
            continue
        left_parts = len(sizes) // 2
        cut = sum(sizes[:left_parts])
        start = (set(nodes[:cut]), set(nodes[cut:]))
        try:
            one, two = kernighan_lin_bisection(graph.subgraph(nodes), partition=start, weight="weight",
                                               seed=options.seed)
        except ValueError:  # networkx finds no swap candidates (e.g. no edges): keep the start split
            one, two = start
        left, right = (one, two) if len(one) == cut else (two, one)  # networkx may return them swapped
        stack.append((sorted(right), sizes[left_parts:]))
        stack.append((sorted(left), sizes[:left_parts]))
    return LayerClustering(assignment)
