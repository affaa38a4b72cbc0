"""The executor against a peer simulator: SimGrid's max-min fluid model (``simgrid_peer.py``).

Random streams of loads, stores, sends, reductions and barriers with dependencies on random small
targets are timed by mozartc and by SimGrid 3.32 (Debian's ``python3-simgrid``, run by the system
``/usr/bin/python3`` in a subprocess; ``.ci/run`` installs it). The peer's platform is built here
from the networkx graph and docs/executor.md's resource rules, not from the executor's routes:
every die-to-die edge is two links (one per direction), a DRAM stack one channel, a switch a
crossbar plus an adder tree; a route crosses the crossbar of every switch it leaves. Every
instruction's finish time must agree to 1e-6 (the issue asks for 1%).
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import subprocess
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mozartc.executor import execute
from mozartc.hw import Target, default_target_path, load_target
from mozartc.hw.topology import build_topology
from mozartc.isa.instr import Instr, Stream
from tests.executor.strategies import valid_streams
from tests.executor.targets import small_targets, toy_target

SYSTEM_PYTHON = "/usr/bin/python3"
PEER = Path(__file__).with_name("simgrid_peer.py")
FLOW_OPS = ("load", "store", "send", "reduce", "barrier")


@functools.cache
def simgrid_available() -> bool:
    try:
        return subprocess.run([SYSTEM_PYTHON, "-c", "import simgrid"], capture_output=True,
                              timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


needs_simgrid = pytest.mark.skipif(not simgrid_available(),
                                   reason="SimGrid peer needs python3-simgrid for /usr/bin/python3 "
                                          "(apt-get install -y python3-simgrid; .ci/run installs it)")


def peer_platform(target: Target) -> tuple[list[dict[str, Any]], nx.Graph]:
    """Resources of ``target`` as the peer sees them: name and capacity in bytes/s."""
    g = build_topology(target)
    out: list[dict[str, Any]] = []
    for a, b, data in g.edges(data=True):
        bps = data["bandwidth_gbps"] * 1e9
        if "dram" in (g.nodes[a]["kind"], g.nodes[b]["kind"]):
            stack = a if g.nodes[a]["kind"] == "dram" else b
            out.append({"name": f"channel {stack}", "capacity_Bps": bps})
        else:
            out += [{"name": f"{a}>{b}", "capacity_Bps": bps}, {"name": f"{b}>{a}", "capacity_Bps": bps}]
    for s in target.switches:
        out.append({"name": f"crossbar {s}", "capacity_Bps": target.switch.bandwidth_gbps * 1e9})
        if target.switch.reduction and target.switch.reduction_gbps is not None:
            out.append({"name": f"adders {s}", "capacity_Bps": target.switch.reduction_gbps * 1e9})
    return out, g


def peer_item(instr: Instr, g: nx.Graph, target: Target) -> dict[str, Any]:
    deps = list(instr.deps)
    if instr.op == "barrier":
        return {"kind": "delay", "duration_s": 0.0, "deps": deps}
    if instr.op == "reduce":
        return {"kind": "flow", "resources": [f"adders {instr.unit}"], "bytes": instr.bytes * instr.inputs,
                "latency_s": target.switch.latency_ns * 1e-9, "deps": deps}
    nodes = nx.shortest_path(g, instr.src, instr.dst)
    names: list[str] = []
    latency_ns = 0.0
    for a, b in itertools.pairwise(nodes):
        latency_ns += g.edges[a, b]["latency_ns"]
        dram = [n for n in (a, b) if g.nodes[n]["kind"] == "dram"]
        names.append(f"channel {dram[0]}" if dram else f"{a}>{b}")
    for n in nodes[:-1]:
        if g.nodes[n]["kind"] == "switch":
            names.append(f"crossbar {n}")
            latency_ns += target.switch.latency_ns
    return {"kind": "flow", "resources": names, "bytes": instr.bytes, "latency_s": latency_ns * 1e-9, "deps": deps}


def peer_finish(stream: Stream, target: Target) -> list[float]:
    resources, g = peer_platform(target)
    spec = {"resources": resources, "items": [peer_item(i, g, target) for i in stream.instrs]}
    done = subprocess.run([SYSTEM_PYTHON, str(PEER)], input=json.dumps(spec), capture_output=True, text=True,
                          timeout=120, check=True)
    return [float(x) for x in json.loads(done.stdout)["finish"]]


def assert_agree(stream: Stream, target: Target) -> None:
    ours = execute(stream, target).finish.tolist()
    theirs = peer_finish(stream, target)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == pytest.approx(b, rel=1e-6, abs=1e-15), (i, stream.instrs[i])


@needs_simgrid
def test_worked_example_agrees_with_simgrid() -> None:
    gb = 10**9
    stream = Stream("t", {}, (
        Instr("load", "dram_load", "A", src="dram0", dst="expert0", bytes=2 * gb),
        Instr("load", "dram_load", "B", src="dram0", dst="expert0", bytes=gb),
        Instr("load", "dram_load", "C", src="dram0", dst="expert1", bytes=3 * gb),
        Instr("send", "all_to_all", "D", (2,), src="expert1", dst="attention0", bytes=gb)))
    assert_agree(stream, toy_target())


@needs_simgrid
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_streams_agree_with_simgrid(data: st.DataObject) -> None:
    target = data.draw(small_targets())
    stream = data.draw(valid_streams(target, min_size=10, max_size=60, ops=FLOW_OPS))
    assert_agree(stream, target)


@needs_simgrid
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_busy_wafer_agrees_with_simgrid(seed: int) -> None:
    # 400 flows on the shipped wafer, each after up to 2 random earlier ones: dozens run at once
    rng = random.Random(seed)
    target = load_target(default_target_path())
    chiplets = [c.name for c in target.chiplets]
    drams = [d.name for d in target.dram]
    instrs: list[Instr] = []
    for i in range(400):
        deps = tuple(sorted(rng.sample(range(max(0, i - 40), i), min(i, rng.randint(0, 2)))))
        op = rng.choice(["load", "store", "send"])
        src, dst = (rng.choice(drams), rng.choice(chiplets)) if op == "load" else (
            (rng.choice(chiplets), rng.choice(drams)) if op == "store" else rng.sample(chiplets, 2))
        instrs.append(Instr(op, "all_to_all", f"i{i}", deps, src=src, dst=dst, bytes=rng.randint(1, 1 << 26)))
    assert_agree(Stream("busy", {}, tuple(instrs)), target)
