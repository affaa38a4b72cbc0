"""Hand-computed timings; each expected value is worked from the target's numbers (docs/executor.md).

wafer.toml: HBM2 stacks 256 GB/s, 100 ns; die-to-die edges 4616 links / 2 x 0.125 GB/s = 288.5 GB/s per
direction, 5 ns; switches 4 ns, crossbar 1700 GB/s (>= its ports: never the limit); chiplets 100 tiles
x 16 arrays of 24x24 at 1 GHz. With ``links.bump_rows = 1`` an edge has 577 links: 36.0625 GB/s.
"""

from __future__ import annotations

import pytest

from mozartc.executor import execute, make_report
from mozartc.hw import Target, default_target_path, load_target
from mozartc.hw.cost import chiplet_gemm
from mozartc.hw.topology import Topology
from mozartc.isa.instr import Instr, Stream
from tests.executor.targets import toy_target, wafer_with

MB = 1 << 20
GB = 10**9
DRAM_GBPS, DRAM_NS = 256.0, 100.0
EDGE_GBPS, EDGE_NS = 288.5, 5.0
SWITCH_NS = 4.0
LOAD_NS = DRAM_NS + EDGE_NS + SWITCH_NS  # dram0 -> switch0 (crossed) -> expertE


@pytest.fixture(scope="module")
def wafer() -> Target:
    return load_target(default_target_path())


def load(src: str, dst: str, nbytes: int, deps: tuple[int, ...] = ()) -> Instr:
    return Instr("load", "dram_load", f"load {dst}", deps, src=src, dst=dst, bytes=nbytes)


def send(src: str, dst: str, nbytes: int, deps: tuple[int, ...] = ()) -> Instr:
    return Instr("send", "all_to_all", f"send {src}->{dst}", deps, src=src, dst=dst, bytes=nbytes)


def gemm(unit: str, m: int, k: int, n: int, deps: tuple[int, ...] = (), count: int = 1) -> Instr:
    return Instr("gemm", "compute", f"gemm {unit}", deps, unit=unit, m=m, k=k, n=n, count=count)


def run(target: Target, *instrs: Instr) -> tuple[list[float], list[float], float]:
    tl = execute(Stream("t", {}, tuple(instrs)), target)
    return tl.start.tolist(), tl.finish.tolist(), tl.step_time


def test_wafer_numbers_are_the_ones_this_file_assumes(wafer: Target) -> None:
    assert wafer.dram[0].bandwidth_gbps == DRAM_GBPS and wafer.dram[0].latency_ns == DRAM_NS
    assert wafer.edge_bandwidth_gbps(wafer.chiplet("expert0")) == EDGE_GBPS
    assert wafer.links.latency_ns == EDGE_NS and wafer.switch.latency_ns == SWITCH_NS
    thin = wafer_with(links__bump_rows=1)
    assert thin.edge_bandwidth_gbps(thin.chiplet("expert0")) == 36.0625
    assert not Topology.of(wafer).resources[Topology.of(wafer).resource_id("switch:switch0")].binding


def test_one_load_is_latency_plus_bytes_over_dram_bandwidth(wafer: Target) -> None:
    # 48 MiB: 109 ns + 50331648 / 256e9 s = 196.608 us + 0.109 us = 196.717 us
    _, finish, step = run(wafer, load("dram0", "expert0", 48 * MB))
    assert step == pytest.approx(196.717e-6, rel=1e-12)
    assert finish[0] == pytest.approx(LOAD_NS * 1e-9 + 48 * MB / 256e9, rel=1e-12)


def test_two_equal_loads_on_one_stack_share_it_and_finish_together(wafer: Target) -> None:
    # each gets 128 GB/s (the leaf links, 288.5 GB/s each, do not bind): both end at 2B / 256 GB/s + 109 ns
    start, finish, _ = run(wafer, load("dram0", "expert0", GB), load("dram0", "expert1", GB))
    assert start == [0.0, 0.0]
    expected = 2 * GB / 256e9 + LOAD_NS * 1e-9
    assert finish[0] == pytest.approx(expected, rel=1e-12) and finish[1] == pytest.approx(expected, rel=1e-12)


def test_four_loads_through_slow_links_finish_together_at_link_rate() -> None:
    # bump_rows = 1: leaf links carry 36.0625 GB/s < 256 / 4, so each load runs at its link's rate and the
    # stack is 56% busy: all four end at 1e9 / 36.0625e9 s = 27.730 ms (+109 ns). The serialising engine
    # of mozartc 0.1 gave 111 ms.
    thin = wafer_with(links__bump_rows=1)
    tl = execute(Stream("t", {}, tuple(load("dram0", f"expert{e}", GB) for e in range(4))), thin)
    expected = GB / 36.0625e9 + LOAD_NS * 1e-9
    assert tl.finish.tolist() == pytest.approx([expected] * 4, rel=1e-12)
    assert expected == pytest.approx(27.7298e-3, rel=1e-5)
    # 4 x 36.0625 / 256 of the stack (the step has 109 ns of latency on top)
    assert make_report(tl)["utilization"]["dram:dram0"] == pytest.approx(4 * 36.0625 / 256, rel=1e-5)


def test_worked_example_three_loads_two_sharing_a_link_and_a_dependent_send() -> None:
    # docs/executor.md, "A worked example". Toy target: dram0 (70 GB/s, 100 ns) on switch0; leaf and
    # uplink edges 40 GB/s per direction, 5 ns; switch 10 ns. A, B: dram0 -> expert0 (2 GB, 1 GB) share
    # the link switch0->expert0; C: dram0 -> expert1 (3 GB); D: expert1 -> attention0 (1 GB) after C.
    toy = toy_target()
    a, b, c = load("dram0", "expert0", 2 * GB), load("dram0", "expert0", GB), load("dram0", "expert1", 3 * GB)
    d = send("expert1", "attention0", GB, deps=(2,))
    tl = execute(Stream("t", {}, (a, b, c, d)), toy)
    ms = 1e-3
    # t=0: link e0 gives A, B 20 each (40/2 < 70/3); dram0 has 30 left for C (< C's link, 40).
    # B ends at 1 GB / 20 = 50 ms; A has 1 GB left, C 3 - 1.5 = 1.5 GB. Then A, C get 35 each (70/2).
    # A ends at 50 + 1/35 s = 78.571 ms; C has 0.5 GB left, alone at min(70, 40) = 40: 12.5 ms more.
    # D starts when C finishes (+115 ns latency) and takes 1 GB / 40 = 25 ms + 20 ns (two edges, switch0).
    t_b, t_a, t_c = 50 * ms, 50 * ms + 1 / 35, 50 * ms + 1 / 35 + 12.5 * ms
    assert tl.finish[1] == pytest.approx(t_b + 115e-9, rel=1e-12)
    assert tl.finish[0] == pytest.approx(t_a + 115e-9, rel=1e-12)
    assert tl.finish[2] == pytest.approx(t_c + 115e-9, rel=1e-12)
    assert tl.start[3] == pytest.approx(tl.finish[2], rel=1e-15)
    assert tl.finish[3] == pytest.approx(t_c + 115e-9 + 25 * ms + 20e-9, rel=1e-12)
    assert t_c + 25 * ms == pytest.approx(116.0714e-3, rel=1e-6)
    # the class log shows the three phases of C: 30, then 35, then 40 GB/s
    assert [r for _, _, r in tl.flow_rates(2)] == pytest.approx([30e9, 35e9, 40e9], rel=1e-12)
    assert [(a, b) for a, b, _ in tl.flow_rates(2)] == pytest.approx([(0, t_b), (t_b, t_a), (t_a, t_c)], rel=1e-12)
    report = make_report(tl)
    assert report["lower_bounds_s"]["dram"] == pytest.approx(6 * GB / 70e9, rel=1e-9)  # 85.7 ms
    assert report["critical_path_s"]["dram_load"] == pytest.approx(t_c + 115e-9, rel=1e-9)
    assert report["critical_path_s"]["all_to_all"] == pytest.approx(25 * ms + 20e-9, rel=1e-9)


def test_loads_on_different_stacks_overlap(wafer: Target) -> None:
    _, _, step = run(wafer, load("dram0", "expert0", 8 * MB), load("dram1", "expert4", 8 * MB))
    assert step == pytest.approx(LOAD_NS * 1e-9 + 8 * MB / 256e9, rel=1e-12)


def test_a_flow_ending_early_frees_bandwidth_for_the_other(wafer: Target) -> None:
    # 48 MiB and 16 MiB from dram0: 128 GB/s each until the small one ends at 32 MiB / 256 GB/s; the large
    # one then has 32 MiB left at 256 GB/s: it ends at 64 MiB / 256 GB/s, the sum of both at full rate
    _, finish, _ = run(wafer, load("dram0", "expert0", 48 * MB), load("dram0", "expert1", 16 * MB))
    assert finish[1] == pytest.approx(32 * MB / 256e9 + LOAD_NS * 1e-9, rel=1e-12)
    assert finish[0] == pytest.approx(64 * MB / 256e9 + LOAD_NS * 1e-9, rel=1e-12)


@pytest.mark.parametrize("mib", [2, 8])
def test_load_overlaps_an_independent_gemm_on_another_chiplet(wafer: Target, mib: int) -> None:
    # gemm 2048x2048x768 on one chiplet: 4187 cycles at 1 GHz (chiplet_gemm), x4 = 16.748 us;
    # load 2 MiB = 8.192 + 0.109 us (shorter), 8 MiB = 32.768 + 0.109 us (longer); no shared resource: max
    g = 4 * chiplet_gemm(2048, 2048, 768, wafer.chiplet("expert5"), wafer.clock_ghz).seconds
    assert g == pytest.approx(16.748e-6, rel=1e-12)
    t = LOAD_NS * 1e-9 + mib * MB / 256e9
    _, _, step = run(wafer, load("dram0", "expert0", mib * MB), gemm("expert5", 2048, 2048, 768, count=4))
    assert step == pytest.approx(max(g, t), rel=1e-12)


def test_dependent_chain_takes_the_sum(wafer: Target) -> None:
    # load -> gemm on the loaded chiplet -> send back to the root: t_load + t_gemm + t_send
    g = chiplet_gemm(256, 2048, 768, wafer.chiplet("expert0"), wafer.clock_ghz).seconds
    # expert0 -> switch0 -> attention0: 2 edges (5 ns each) + 1 switch (4 ns); bottleneck 288.5 GB/s
    s = (2 * EDGE_NS + SWITCH_NS) * 1e-9 + 1_000_000 / (EDGE_GBPS * 1e9)
    _, _, step = run(wafer, load("dram0", "expert0", 2 * MB), gemm("expert0", 256, 2048, 768, (0,)),
                     send("expert0", "attention0", 1_000_000, (1,)))
    assert step == pytest.approx(LOAD_NS * 1e-9 + 2 * MB / 256e9 + g + s, rel=1e-12)


def test_transfer_time_is_bytes_over_route_bandwidth_plus_latency(wafer: Target) -> None:
    # expert0 -> switch0 -> attention0 -> switch1 -> expert5: 4 edges x 5 ns + 2 switches x 4 ns = 28 ns
    nbytes = 3_000_000
    expected = 28e-9 + nbytes / (EDGE_GBPS * 1e9)
    _, _, step = run(wafer, send("expert0", "expert5", nbytes))
    assert step == pytest.approx(expected, rel=1e-12)
    r = Topology.of(wafer).route("expert0", "expert5")  # agrees with the topology module
    assert step == pytest.approx(r.latency_ns * 1e-9 + nbytes / (r.bandwidth_gbps * 1e9), rel=1e-12)


def test_sends_through_a_crossbar_share_only_their_links(wafer: Target) -> None:
    # expert4 -> expert5 and expert6 -> expert7 share no link, only switch1's crossbar (1700 GB/s):
    # both run at 288.5 GB/s from time 0
    t1 = (2 * EDGE_NS + SWITCH_NS) * 1e-9 + 1_000_000 / (EDGE_GBPS * 1e9)
    start, _, step = run(wafer, send("expert4", "expert5", 1_000_000), send("expert6", "expert7", 500_000))
    assert start == [0.0, 0.0] and step == pytest.approx(t1, rel=1e-12)


def test_a_slow_crossbar_is_shared_by_the_flows_through_it() -> None:
    # switch bandwidth 20 GB/s (< its 40 GB/s ports): two 1 GB sends expert0 -> attention0 and
    # expert1 -> attention0 share the uplink (40) and the crossbar (20): 10 GB/s each, 100 ms (+20 ns)
    toy = toy_target(switch_gbps=20.0)
    assert Topology.of(toy).resources[Topology.of(toy).resource_id("switch:switch0")].binding
    _, finish, _ = run(toy, send("expert0", "attention0", GB), send("expert1", "attention0", GB))
    assert finish == pytest.approx([0.1 + 20e-9] * 2, rel=1e-12)


def test_reduce_and_compute_durations(wafer: Target) -> None:
    # reduce: 4 ns + 4 x 1 MB / 1154 GB/s through switch2's adder tree; compute: flops / peak (1.8432 PFLOP/s)
    feed = send("expert8", "switch2", 1_000_000)
    red = Instr("reduce", "all_to_all", "r", (0,), unit="switch2", bytes=1_000_000, inputs=4)
    comp = Instr("compute", "compute", "c", unit="attention0", flops=18_432_000_000)
    _, finish, _ = run(wafer, feed, red, comp)
    t_feed = 5e-9 + 1e6 / 288.5e9
    assert finish[0] == pytest.approx(t_feed, rel=1e-12)
    assert finish[1] == pytest.approx(t_feed + 4e-9 + 4e6 / 1154e9, rel=1e-12)
    assert finish[2] == pytest.approx(18_432_000_000 / 1.8432e15, rel=1e-12)


def test_experts_on_one_chiplet_run_in_sequence(wafer: Target) -> None:
    g = chiplet_gemm(512, 2048, 768, wafer.chiplet("expert3"), wafer.clock_ghz).seconds
    start, _, step = run(wafer, *(gemm("expert3", 512, 2048, 768) for _ in range(3)))
    assert step == pytest.approx(3 * g, rel=1e-12)
    assert start == pytest.approx([0.0, g, 2 * g], rel=1e-12)


def test_report_on_hand_case(wafer: Target) -> None:
    tl = execute(Stream("t", {"C_T": 5.5, "model": "m"}, (
        load("dram0", "expert0", 48 * MB), gemm("expert0", 2048, 2048, 768, (0,)),
        send("expert0", "attention0", 1_000_000, (1,)))), wafer)
    report = make_report(tl)
    assert report["C_T"] == 5.5 and report["model"] == "m" and report["instructions"] == 3
    assert sum(report["breakdown_s"].values()) == pytest.approx(report["step_time_s"], rel=1e-9)
    assert report["breakdown_s"]["exposed"] == pytest.approx(0.0, abs=1e-15)
    # a pure chain: the dependency-chain bound is the step time
    assert report["lower_bound_s"] == pytest.approx(report["step_time_s"], rel=1e-9)
    assert report["lower_bounds_s"]["dram"] == pytest.approx(48 * MB / 256e9, rel=1e-9)
    assert sum(report["critical_path_s"].values()) == pytest.approx(report["step_time_s"], rel=1e-9)
    assert all(0.0 <= u <= 1.0 for u in report["utilization"].values())
    assert report["utilization"]["dram:dram0"] == pytest.approx(48 * MB / 256e9 / tl.step_time, rel=1e-9)
