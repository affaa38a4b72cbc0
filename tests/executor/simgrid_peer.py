"""Time a flow graph with SimGrid's max-min fluid network model (an independent peer of mozartc's executor).

Run by the system python, which has Debian's ``python3-simgrid``::

    /usr/bin/python3 tests/executor/simgrid_peer.py < in.json > out.json

Input: ``{"resources": [{"name", "capacity_Bps"}], "items": [...]}``; an item is
``{"kind": "flow", "resources": [names], "bytes", "latency_s", "deps"}`` or
``{"kind": "delay", "duration_s", "deps"}``, ``deps`` naming earlier items by index.
Output: ``{"start": [...], "finish": [...], "simgrid_version": "..."}`` in seconds.

Model: an item starts (is ready) when its last dependency finishes (time 0 without any). A delay
finishes ``duration_s`` later. A flow moves ``bytes`` (rounded to an integer) over all its resources
at once, the rates of the active flows being at every moment the unweighted max-min fair share of
the resources' capacities; it finishes ``latency_s`` after its last byte (latency holds no
resource). A flow of 0 bytes or without resources has an instantaneous bandwidth phase.

SimGrid setup: the CM02 network model (latency and bandwidth factors 1, weight-S 0) without cross
traffic, on links of latency 0, so that every flow has sharing penalty 1 and no TCP-gamma bound:
pure max-min. Latencies and delays are kept by the controller actor, which waits with timers
(``wait_any_for``), not sleeps. ``network/optim:Full`` recomputes durations from remaining bytes at
each step: the default lazy update compares absolute completion dates with ``surf/precision``
(1e-9 s), which merges events closer than 1 ns (errors of ~5e-3 on short flows), and a tighter
precision makes it miss completions (SimGrid then reports a deadlock).
"""

from __future__ import annotations

import heapq
import json
import os
import sys
from typing import Any

SIMGRID_ARGS = [
    "simgrid_peer",
    "--log=root.thres:critical",
    "--cfg=network/model:CM02",
    "--cfg=network/crosstraffic:0",
    "--cfg=network/optim:Full",
]


def _import_simgrid() -> Any:
    """Import simgrid with stderr muted (the import logs a configuration change there)."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import simgrid
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)
    return simgrid


sg = _import_simgrid()


def flow_route(item: dict) -> tuple[str, ...]:
    """The distinct resources a flow item moves bytes over (empty if it has no bandwidth phase)."""
    if item["kind"] != "flow" or round(item["bytes"]) <= 0:
        return ()
    return tuple(dict.fromkeys(item["resources"]))


def build_platform(resources: list[dict], items: list[dict]) -> dict[int, tuple[Any, Any]]:
    """Create one link per resource and a host pair routed over each distinct flow route.

    Returns the (source, destination) hosts of every flow item with a bandwidth phase.
    """
    zone = sg.NetZone.create_full_zone("peer")
    links = {}
    for r in resources:
        link = zone.create_link(r["name"], float(r["capacity_Bps"])).set_latency(0.0)
        link.set_sharing_policy(sg.Link.SharingPolicy.SHARED, None)  # the default, made explicit
        links[r["name"]] = link.seal()
    pairs: dict[tuple[str, ...], tuple[Any, Any]] = {}
    endpoints: dict[int, tuple[Any, Any]] = {}
    for i, item in enumerate(items):
        route = flow_route(item)
        if not route:
            continue
        if route not in pairs:
            src = zone.create_host(f"src{len(pairs)}", 1.0).seal()
            dst = zone.create_host(f"dst{len(pairs)}", 1.0).seal()
            hops = [sg.LinkInRoute(links[name]) for name in route]
            zone.add_route(src.netpoint, dst.netpoint, None, None, hops, False)
            pairs[route] = (src, dst)
        endpoints[i] = pairs[route]
    zone.create_host("controller", 1.0).seal()
    zone.seal()
    return endpoints


class Controller:
    """The actor walking the dependency graph: flows run as comms, latency and delay ends wait in a heap."""

    def __init__(self, items: list[dict], endpoints: dict[int, tuple[Any, Any]]) -> None:
        self.items = items
        self.endpoints = endpoints
        self.start = [0.0] * len(items)
        self.finish = [0.0] * len(items)
        self.unfinished = len(items)
        self.waiting = [len(item["deps"]) for item in items]
        self.children: list[list[int]] = [[] for _ in items]
        for i, item in enumerate(items):
            for d in item["deps"]:
                self.children[d].append(i)
        self.events: list[tuple[float, int]] = []  # (finish time, item)
        self.comms: list[Any] = []  # running bandwidth phases ...
        self.comm_items: list[int] = []  # ... and their items

    def ready(self, i: int, now: float) -> None:
        """Start item ``i`` at ``now``."""
        item = self.items[i]
        self.start[i] = now
        if item["kind"] == "delay":
            heapq.heappush(self.events, (now + float(item["duration_s"]), i))
        elif i in self.endpoints:
            src, dst = self.endpoints[i]
            self.comms.append(sg.Comm.sendto_async(src, dst, round(item["bytes"])))
            self.comm_items.append(i)
        else:
            heapq.heappush(self.events, (now + float(item["latency_s"]), i))

    def done(self, i: int, when: float) -> None:
        """Finish item ``i`` at ``when`` and start the children it was the last dependency of."""
        self.finish[i] = when
        self.unfinished -= 1
        for c in self.children[i]:
            self.waiting[c] -= 1
            if self.waiting[c] == 0:
                self.ready(c, when)

    def __call__(self) -> None:
        for i, item in enumerate(self.items):
            if not item["deps"]:
                self.ready(i, 0.0)
        now = 0.0
        while True:
            while self.events and self.events[0][0] <= now:  # zero delays re-enter at the same time
                when, i = heapq.heappop(self.events)
                self.done(i, when)
            if not self.comms and not self.events:
                return
            timeout = self.events[0][0] - now if self.events else -1.0
            k = sg.Comm.wait_any_for(self.comms, timeout)
            if k < 0:  # the next event is due: take its exact time rather than the clock
                now = max(self.events[0][0], sg.Engine.clock)
                continue
            now = sg.Engine.clock
            self.comms.pop(k)
            i = self.comm_items.pop(k)
            heapq.heappush(self.events, (now + float(self.items[i]["latency_s"]), i))


def simulate(spec: dict) -> dict:
    """Time the flow graph ``spec`` (see the module docstring)."""
    engine = sg.Engine(SIMGRID_ARGS)
    endpoints = build_platform(spec["resources"], spec["items"])
    controller = Controller(spec["items"], endpoints)
    sg.Actor.create("controller", sg.Host.by_name("controller"), controller)
    engine.run()
    if controller.unfinished:
        raise SystemExit(f"simgrid_peer: SimGrid stopped with {controller.unfinished} items unfinished")
    return {"start": controller.start, "finish": controller.finish, "simgrid_version": str(sg.simgrid_version)}


def main() -> None:
    json.dump(simulate(json.load(sys.stdin)), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
