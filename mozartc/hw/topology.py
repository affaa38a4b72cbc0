"""The NoP tree of a target: the one routed graph that drawing, the stream verifier and the executor use.

Nodes (networkx graph, :func:`build_topology`): ``attention0`` (root), ``switchG``, ``expertE``,
``dramD``, each with ``kind`` ("attention", "switch", "expert", "dram") and ``group`` (None off the
groups). Edges (undirected, full duplex; ``bandwidth_gbps`` is per direction)::

    expertE -- switchG     links = links_per_edge(expert)      bw = links / 2 * GB/s per link
    switchG -- attention0  links = uplink links of the root    bw = links / 2 * GB/s per link
    dramD   -- its node    DRAM interface                     bw = dram bandwidth, latency = DRAM latency

:class:`Topology` adds what timing needs: the **resources** data shares and the **route** of every
transfer over them.

==========================  ==================================================================
``link:A->B``               one direction of a die-to-die edge (each direction has the edge's
                            per-direction bandwidth)
``dram:D``                  a DRAM stack's channel: reads and writes share it (it is the DRAM edge)
``switch:S``                a switch's crossbar (``switch.bandwidth_gbps``): every byte that leaves
                            the switch through one of its ports crosses it
``reducer:S``               a switch's adder tree (``switch.reduction_gbps``; only when it reduces)
``compute:C``               a chiplet's systolic arrays (not a bandwidth: the executor runs one
                            instruction at a time on them)
==========================  ==================================================================

A route from ``src`` to ``dst`` is the unique tree path. It uses the DRAM channel at a DRAM end, the
link of every die-to-die edge in travel direction, and the crossbar of every switch the data leaves
(a switch it passes through, or a switch the route starts at: a relay's onward leg). A route that ends
at a switch stops in the switch's buffer and crosses no crossbar. Its latency is the sum of its
edges' latencies plus ``switch.latency_ns`` for every crossbar it crosses.

A crossbar whose capacity is at least the sum of its output ports' capacities (the links out of the
switch and its DRAM channels) can never limit a flow, since every byte crossing it leaves through one
of those ports; :attr:`Resource.binding` is False for it, and the executor leaves it out of the
sharing (it still counts its bytes).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import networkx as nx

from mozartc.errors import TargetError
from mozartc.hw.target import Target

ResourceKind = Literal["compute", "dram", "link", "switch", "reducer"]
#: resource kinds in report and trace order
RESOURCE_KINDS: tuple[ResourceKind, ...] = ("compute", "dram", "switch", "reducer", "link")


@dataclass(frozen=True)
class Hop:
    """One edge of a route, in travel order."""

    src: str
    dst: str
    bandwidth_gbps: float
    latency_ns: float
    links: int | None


@dataclass(frozen=True)
class Resource:
    """Something data or work occupies: ``bandwidth_gbps`` is its capacity (0 for compute arrays)."""

    name: str
    kind: ResourceKind
    bandwidth_gbps: float
    #: False for a capacity that can never be the limit (a crossbar faster than its output ports)
    binding: bool = True


@dataclass(frozen=True)
class Route:
    """A path through the topology with the resources it uses.

    ``resources`` are ids into :attr:`Topology.resources` in travel order (links and DRAM channels,
    then the crossbars crossed); ``switch_latency_ns`` sums the latency of the switches crossed.
    """

    nodes: tuple[str, ...]
    hops: tuple[Hop, ...]
    switch_latency_ns: float
    resources: tuple[int, ...] = ()
    crossbar_gbps: tuple[float, ...] = ()

    @property
    def bandwidth_gbps(self) -> float:
        """Bottleneck (minimum) capacity over the edges and crossbars used; infinite for an empty route."""
        return min((*(h.bandwidth_gbps for h in self.hops), *self.crossbar_gbps), default=float("inf"))

    @property
    def latency_ns(self) -> float:
        """Sum of hop latencies plus the latency of every switch crossed."""
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
        if chip.group is None:
            raise TargetError(f"expert chiplet {chip.name} has no group", where=target.name)
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
    """The path from ``src`` to ``dst`` (unique in a tree) with each hop's bandwidth and latency.

    Graph-only view (no resources); :meth:`Topology.route` adds the resources and crossbars.
    """
    for end in (src, dst):
        if end not in graph:
            raise TargetError(f"no endpoint '{end}' in the topology", where="route")
    nodes = tuple(nx.shortest_path(graph, src, dst))
    hops = tuple(
        Hop(a, b, graph.edges[a, b]["bandwidth_gbps"], graph.edges[a, b]["latency_ns"], graph.edges[a, b]["links"])
        for a, b in itertools.pairwise(nodes)
    )
    crossed = _crossed_switches(graph, nodes)
    switch_ns = sum(graph.nodes[n].get("latency_ns", 0.0) for n in crossed)
    return Route(nodes, hops, switch_ns)


def _crossed_switches(graph: nx.Graph, nodes: tuple[str, ...]) -> list[str]:
    """Switches whose crossbar a route crosses: every switch it leaves (all but the last node)."""
    return [n for n in nodes[:-1] if graph.nodes[n]["kind"] == "switch"]


@dataclass(eq=False)
class Topology:
    """The routed NoP tree of one target: nodes and roles, resources, memoised routes.

    Build it with :meth:`of`; it is cheap (a few dozen nodes) and owns a route cache, so keep one per
    use rather than one per call.
    """

    target: Target
    graph: nx.Graph
    resources: tuple[Resource, ...]
    roles: Mapping[str, str]
    _ids: dict[str, int] = field(repr=False)
    _routes: dict[tuple[str, str], Route] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, target: Target) -> Topology:
        """The topology of ``target``: its graph and every resource (module docstring)."""
        graph = build_topology(target)
        resources: list[Resource] = []
        for chip in target.chiplets:
            resources.append(Resource(f"compute:{chip.name}", "compute", 0.0))
        for stack in target.dram:
            resources.append(Resource(f"dram:{stack.name}", "dram", stack.bandwidth_gbps))
        sw = target.switch
        for switch in target.switches:
            out_ports = sum(graph.edges[switch, n]["bandwidth_gbps"] for n in graph.neighbors(switch))
            resources.append(Resource(f"switch:{switch}", "switch", sw.bandwidth_gbps,
                                      binding=sw.bandwidth_gbps < out_ports))
        if sw.reduction and sw.reduction_gbps is not None:
            resources += [Resource(f"reducer:{s}", "reducer", sw.reduction_gbps) for s in target.switches]
        for a, b, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1])):
            if graph.nodes[a]["kind"] == "dram" or graph.nodes[b]["kind"] == "dram":
                continue
            resources += [Resource(f"link:{a}->{b}", "link", data["bandwidth_gbps"]),
                          Resource(f"link:{b}->{a}", "link", data["bandwidth_gbps"])]
        roles = MappingProxyType({str(n): str(d["kind"]) for n, d in graph.nodes(data=True)})
        return cls(target, graph, tuple(resources), roles, {r.name: i for i, r in enumerate(resources)})

    def resource_id(self, name: str) -> int:
        """The id of resource ``name`` (KeyError if none)."""
        return self._ids[name]

    def has_resource(self, name: str) -> bool:
        """Whether resource ``name`` exists (``reducer:S`` only when the switches reduce)."""
        return name in self._ids

    def role(self, node: str) -> str | None:
        """``attention``, ``expert``, ``switch`` or ``dram``; None for a name not in the topology."""
        return self.roles.get(node)

    def route(self, src: str, dst: str) -> Route:
        """The route ``src -> dst`` with its resources (module docstring); memoised."""
        key = (src, dst)
        hit = self._routes.get(key)
        if hit is not None:
            return hit
        base = route(self.graph, src, dst)
        res: list[int] = []
        for a, b in itertools.pairwise(base.nodes):
            if self.roles[a] == "dram":
                res.append(self._ids[f"dram:{a}"])
            elif self.roles[b] == "dram":
                res.append(self._ids[f"dram:{b}"])
            else:
                res.append(self._ids[f"link:{a}->{b}"])
        crossed = _crossed_switches(self.graph, base.nodes)
        res += [self._ids[f"switch:{s}"] for s in crossed]
        out = Route(base.nodes, base.hops, base.switch_latency_ns, tuple(res),
                    tuple(self.target.switch.bandwidth_gbps for _ in crossed))
        self._routes[key] = out
        return out
