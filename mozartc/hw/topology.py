"""The NoP tree as a networkx graph, and routes between any two endpoints.

Nodes: ``attention0`` (root), ``switchG``, ``expertE``, ``dramD``, each with ``kind`` ("attention",
"switch", "expert", "dram") and ``group`` (None off the groups). Edges (undirected, full duplex;
``bandwidth_gbps`` is per direction)::

    expertE -- switchG     links = links_per_edge(expert)      bw = links / 2 * GB/s per link
    switchG -- attention0  links = uplink links of the root    bw = links / 2 * GB/s per link
    dramD   -- its node    DRAM interface                     bw = dram bandwidth, latency = DRAM latency

Die-to-die edges have ``latency_ns = links.latency_ns``; switches add ``switch.latency_ns`` to any
route through them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx

from mozartc.errors import TargetError
from mozartc.hw.target import Target


@dataclass(frozen=True)
class Hop:
    """One edge of a route, in travel order."""

    src: str
    dst: str
    bandwidth_gbps: float
    latency_ns: float
    links: int | None


@dataclass(frozen=True)
class Route:
    """A path through the topology with its bottleneck bandwidth and total latency."""

    nodes: tuple[str, ...]
    hops: tuple[Hop, ...]
    switch_latency_ns: float

    @property
    def bandwidth_gbps(self) -> float:
        """Bottleneck (minimum) per-direction bandwidth; infinite for an empty route."""
        return min((h.bandwidth_gbps for h in self.hops), default=float("inf"))

    @property
    def latency_ns(self) -> float:
        """Sum of hop latencies plus the latency of every switch passed through."""
        return sum(h.latency_ns for h in self.hops) + self.switch_latency_ns


def build_topology(target: Target) -> nx.Graph:
    """The NoP-tree graph of ``target`` (see module docstring for nodes and edge attributes)."""
    g: nx.Graph = nx.Graph(name=target.name)
    per_link = target.links.bandwidth_gbps_per_link
    root = target.attention_chiplets[0]
    g.add_node(root.name, kind="attention", group=None, chiplet_kind=root.kind_name)
    uplink = target.uplink_links()
    for group, switch in enumerate(target.switches):
        g.add_node(switch, kind="switch", group=group, latency_ns=target.switch.latency_ns)
        g.add_edge(root.name, switch, bandwidth_gbps=uplink / 2 * per_link,
                   latency_ns=target.links.latency_ns, links=uplink, medium="2.5d")
    for chip in target.expert_chiplets:
        assert chip.group is not None
        g.add_node(chip.name, kind="expert", group=chip.group, chiplet_kind=chip.kind_name)
        links = target.links_per_edge(chip)
        g.add_edge(chip.name, target.switches[chip.group], bandwidth_gbps=links / 2 * per_link,
                   latency_ns=target.links.latency_ns, links=links, medium="2.5d")
    for stack in target.dram:
        group = g.nodes[stack.attached_to]["group"]
        g.add_node(stack.name, kind="dram", group=group, technology=stack.technology,
                   capacity_mb=stack.capacity_mb)
        g.add_edge(stack.name, stack.attached_to, bandwidth_gbps=stack.bandwidth_gbps,
                   latency_ns=stack.latency_ns, links=None, medium=stack.technology)
    return g


def route(graph: nx.Graph, src: str, dst: str) -> Route:
    """The path from ``src`` to ``dst`` (unique in a tree) with each hop's bandwidth and latency."""
    for end in (src, dst):
        if end not in graph:
            raise TargetError(f"no endpoint '{end}' in the topology", where="route")
    nodes = tuple(nx.shortest_path(graph, src, dst))
    hops = tuple(
        Hop(a, b, graph.edges[a, b]["bandwidth_gbps"], graph.edges[a, b]["latency_ns"], graph.edges[a, b]["links"])
        for a, b in itertools.pairwise(nodes)
    )
    switch_ns = sum(graph.nodes[n].get("latency_ns", 0.0) for n in nodes[1:-1] if graph.nodes[n]["kind"] == "switch")
    return Route(nodes, hops, switch_ns)
