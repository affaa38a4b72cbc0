"""NoP-tree graph and routes on the shipped wafer.toml (numbers worked by hand in comments)."""

from __future__ import annotations

import networkx as nx
import pytest

from mozartc.errors import TargetError
from mozartc.hw import default_target_path, load_target
from mozartc.hw.topology import build_topology, route

# wafer.toml: expert edge sqrt(833.8 mm^2) = 28.876 mm -> floor(28876 / 50) = 577 links per row,
# x 8 bump rows = 4616 links; per direction 4616 / 2 * 0.125 = 288.5 GB/s. The root faces each of
# the 4 switches with one edge of the same size (4616 links). Die-to-die hop 5 ns, switch 4 ns,
# HBM2 256 GB/s with 100 ns.
EXPERT_BW = 288.5


@pytest.fixture(scope="module")
def graph() -> nx.Graph:
    return build_topology(load_target(default_target_path()))


def test_graph_shape(graph: nx.Graph) -> None:
    kinds = [d["kind"] for _, d in graph.nodes(data=True)]
    assert kinds.count("attention") == 1 and kinds.count("switch") == 4
    assert kinds.count("expert") == 16 and kinds.count("dram") == 6
    assert nx.is_tree(graph)  # 27 nodes, 26 edges
    assert sorted(graph.neighbors("switch1")) == ["attention0", "dram1", "expert4", "expert5", "expert6", "expert7"]
    assert sorted(n for n in graph.neighbors("attention0") if n.startswith("dram")) == ["dram4", "dram5"]


def test_edge_attributes(graph: nx.Graph) -> None:
    e = graph.edges["expert0", "switch0"]
    assert (e["links"], e["bandwidth_gbps"], e["latency_ns"]) == (4616, EXPERT_BW, 5.0)
    up = graph.edges["switch2", "attention0"]
    assert (up["links"], up["bandwidth_gbps"]) == (4616, EXPERT_BW)
    d = graph.edges["dram0", "switch0"]
    assert (d["bandwidth_gbps"], d["latency_ns"]) == (256.0, 100.0)


def test_route_within_group(graph: nx.Graph) -> None:
    r = route(graph, "expert0", "expert1")
    assert r.nodes == ("expert0", "switch0", "expert1")
    assert r.bandwidth_gbps == EXPERT_BW
    assert r.latency_ns == 5 + 5 + 4  # two hops and one switch


def test_route_across_groups(graph: nx.Graph) -> None:
    r = route(graph, "expert0", "expert5")
    assert r.nodes == ("expert0", "switch0", "attention0", "switch1", "expert5")
    assert [h.links for h in r.hops] == [4616] * 4
    assert r.latency_ns == 4 * 5 + 2 * 4  # four hops, two switches


def test_route_from_dram(graph: nx.Graph) -> None:
    r = route(graph, "dram0", "expert2")
    assert r.nodes == ("dram0", "switch0", "expert2")
    assert r.bandwidth_gbps == 256.0  # HBM2 is the bottleneck
    assert r.latency_ns == 100 + 5 + 4
    far = route(graph, "dram4", "expert15")
    assert far.nodes == ("dram4", "attention0", "switch3", "expert15")
    assert far.latency_ns == 100 + 5 + 5 + 4


def test_route_to_self_and_unknown(graph: nx.Graph) -> None:
    r = route(graph, "expert3", "expert3")
    assert r.hops == () and r.latency_ns == 0 and r.bandwidth_gbps == float("inf")
    with pytest.raises(TargetError, match="no endpoint 'expert99'"):
        route(graph, "expert0", "expert99")
