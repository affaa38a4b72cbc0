"""Hand-computed timings on the shipped wafer.toml; each expected value is worked from the target's numbers.

wafer.toml: HBM2 stacks 256 GB/s, 100 ns; die-to-die edges 4616 links / 2 x 0.125 GB/s = 288.5 GB/s per
direction, 5 ns; switches 1700 GB/s, 10 ns; chiplets 100 tiles x 16 arrays of 24x24 at 1 GHz.
"""

from __future__ import annotations

import pytest

from mozartc.executor import execute, make_report
from mozartc.executor.resources import ExecOptions
from mozartc.hw import Target, default_target_path, load_target
from mozartc.hw.cost import chiplet_gemm
from mozartc.hw.topology import build_topology, route
from mozartc.isa.instr import Instr, Stream

MB = 1 << 20
DRAM_GBPS, DRAM_NS = 256.0, 100.0
EDGE_GBPS, EDGE_NS = 288.5, 5.0
SWITCH_NS = 10.0


@pytest.fixture(scope="module")
def wafer() -> Target:
    return load_target(default_target_path())


def load(src: str, dst: str, nbytes: int, deps: tuple[int, ...] = ()) -> Instr:
    return Instr("load", "dram_load", f"load {dst}", deps, src=src, dst=dst, bytes=nbytes)


def send(src: str, dst: str, nbytes: int, deps: tuple[int, ...] = ()) -> Instr:
    return Instr("send", "all_to_all", f"send {src}->{dst}", deps, src=src, dst=dst, bytes=nbytes)


def gemm(unit: str, m: int, k: int, n: int, deps: tuple[int, ...] = (), count: int = 1) -> Instr:
    return Instr("gemm", "compute", f"gemm {unit}", deps, unit=unit, m=m, k=k, n=n, count=count)


def run(target: Target, *instrs: Instr, blocking: bool | None = None) -> tuple[list[float], list[float], float]:
    """Time ``instrs``; ``blocking`` True/False forces the switch model (None: the target's, a crossbar)."""
    tl = execute(Stream("t", {}, tuple(instrs)), target, ExecOptions(switch_exclusive=blocking))
    return tl.start.tolist(), tl.finish.tolist(), tl.step_time


def dram_load_time(nbytes: int) -> float:
    # dram0 -> switch0 -> expertE: latency 100 (DRAM) + 5 (edge) + 10 (switch) ns; bottleneck 256 GB/s
    return (DRAM_NS + EDGE_NS + SWITCH_NS) * 1e-9 + nbytes / (DRAM_GBPS * 1e9)


def test_wafer_numbers_are_the_ones_this_file_assumes(wafer: Target) -> None:
    assert wafer.dram[0].bandwidth_gbps == DRAM_GBPS and wafer.dram[0].latency_ns == DRAM_NS
    assert wafer.edge_bandwidth_gbps(wafer.chiplet("expert0")) == EDGE_GBPS
    assert wafer.links.latency_ns == EDGE_NS and wafer.switch.latency_ns == SWITCH_NS


def test_one_load_is_latency_plus_bytes_over_dram_bandwidth(wafer: Target) -> None:
    # 48 MiB: 115 ns + 50331648 / 256e9 s = 196.608 us + 0.115 us = 196.723 us
    _, finish, step = run(wafer, load("dram0", "expert0", 48 * MB))
    assert step == pytest.approx(196.723e-6, rel=1e-12)
    assert finish[0] == pytest.approx(dram_load_time(48 * MB), rel=1e-12)


def test_two_loads_on_one_dram_stack_serialise(wafer: Target) -> None:
    # both hold dram0 (and switch0): the second starts when the first ends; step = t1 + t2
    t1, t2 = dram_load_time(48 * MB), dram_load_time(16 * MB)
    start, _finish, step = run(wafer, load("dram0", "expert0", 48 * MB), load("dram0", "expert1", 16 * MB))
    assert start[1] == pytest.approx(t1, rel=1e-12)
    assert step == pytest.approx(t1 + t2, rel=1e-12)


def test_loads_on_different_stacks_overlap(wafer: Target) -> None:
    t = dram_load_time(8 * MB)
    _, _, step = run(wafer, load("dram0", "expert0", 8 * MB), load("dram1", "expert4", 8 * MB))
    assert step == pytest.approx(t, rel=1e-12)


@pytest.mark.parametrize("mib", [2, 8])
def test_load_overlaps_an_independent_gemm_on_another_chiplet(wafer: Target, mib: int) -> None:
    # gemm 2048x2048x768 on one chiplet: 4187 cycles at 1 GHz (chiplet_gemm), x4 = 16.748 us;
    # load 2 MiB = 8.192 + 0.115 us (shorter), 8 MiB = 32.768 + 0.115 us (longer); no shared resource: max
    g = 4 * chiplet_gemm(2048, 2048, 768, wafer.chiplet("expert5"), wafer.clock_ghz).seconds
    assert g == pytest.approx(16.748e-6, rel=1e-12)
    t = dram_load_time(mib * MB)
    _, _, step = run(wafer, load("dram0", "expert0", mib * MB), gemm("expert5", 2048, 2048, 768, count=4))
    assert step == pytest.approx(max(g, t), rel=1e-12)


def test_dependent_chain_takes_the_sum(wafer: Target) -> None:
    # load -> gemm on the loaded chiplet -> send back to the root: t_load + t_gemm + t_send
    g = chiplet_gemm(256, 2048, 768, wafer.chiplet("expert0"), wafer.clock_ghz).seconds
    # expert0 -> switch0 -> attention0: 2 edges (5 ns each) + 1 switch (10 ns); bottleneck 288.5 GB/s
    s = (2 * EDGE_NS + SWITCH_NS) * 1e-9 + 1_000_000 / (EDGE_GBPS * 1e9)
    _, _, step = run(wafer, load("dram0", "expert0", 2 * MB), gemm("expert0", 256, 2048, 768, (0,)),
                     send("expert0", "attention0", 1_000_000, (1,)))
    assert step == pytest.approx(dram_load_time(2 * MB) + g + s, rel=1e-12)


def test_transfer_time_is_bytes_over_route_bandwidth_plus_latency(wafer: Target) -> None:
    # expert0 -> switch0 -> attention0 -> switch1 -> expert5: 4 edges x 5 ns + 2 switches x 10 ns = 40 ns
    nbytes = 3_000_000
    expected = 40e-9 + nbytes / (EDGE_GBPS * 1e9)
    _, _, step = run(wafer, send("expert0", "expert5", nbytes))
    assert step == pytest.approx(expected, rel=1e-12)
    r = route(build_topology(wafer), "expert0", "expert5")  # agrees with the topology module
    assert step == pytest.approx(r.latency_ns * 1e-9 + nbytes / (r.bandwidth_gbps * 1e9), rel=1e-12)


def test_contention_on_a_switch_delays_the_second_transfer(wafer: Target) -> None:
    # expert4 -> expert5 and expert6 -> expert7 share no edge, only switch1. A blocking switch is held
    # for the whole transfer: the second starts when the first ends, delayed by t1 = 20 ns + 1e6 / 288.5e9 s;
    # the shipped crossbar runs both at once
    t1 = (2 * EDGE_NS + SWITCH_NS) * 1e-9 + 1_000_000 / (EDGE_GBPS * 1e9)
    t2 = (2 * EDGE_NS + SWITCH_NS) * 1e-9 + 500_000 / (EDGE_GBPS * 1e9)
    pair = (send("expert4", "expert5", 1_000_000), send("expert6", "expert7", 500_000))
    start, finish, step = run(wafer, *pair, blocking=True)
    assert start[1] == pytest.approx(t1, rel=1e-12)
    assert finish[1] - t2 == pytest.approx(t1, rel=1e-12)
    assert step == pytest.approx(t1 + t2, rel=1e-12)
    start, finish, step = run(wafer, *pair)
    assert start == [0.0, 0.0] and step == pytest.approx(t1, rel=1e-12)


def test_reduce_and_compute_durations(wafer: Target) -> None:
    # reduce: 10 ns + 4 x 1 MB / 1024 GB/s; compute: flops / peak (1.8432 PFLOP/s), efficiency 1
    red = Instr("reduce", "all_to_all", "r", unit="switch2", bytes=1_000_000, inputs=4)
    comp = Instr("compute", "compute", "c", unit="attention0", flops=18_432_000_000)
    _, finish, _ = run(wafer, red, comp)
    assert finish[0] == pytest.approx(10e-9 + 4e6 / 1024e9, rel=1e-12)
    assert finish[1] == pytest.approx(18_432_000_000 / 1.8432e15, rel=1e-12)


def test_experts_on_one_chiplet_run_in_sequence(wafer: Target) -> None:
    g = chiplet_gemm(512, 2048, 768, wafer.chiplet("expert3"), wafer.clock_ghz).seconds
    _, _, step = run(wafer, *(gemm("expert3", 512, 2048, 768) for _ in range(3)))
    assert step == pytest.approx(3 * g, rel=1e-12)


def test_waiting_transfer_does_not_block_a_free_resource(wafer: Target) -> None:
    # (blocking switch) %0 holds dram0; %1 (dram0 -> expert1) waits for it; %2 (attention0 -> expert2
    # over switch0) is ready at 0 too but needs switch0, which %0 also holds; %3 a gemm on expert1 runs at once
    g = chiplet_gemm(256, 256, 256, wafer.chiplet("expert1"), wafer.clock_ghz).seconds
    start, _, _ = run(wafer, load("dram0", "expert0", MB), load("dram0", "expert1", MB),
                      send("attention0", "expert2", 1000), gemm("expert1", 256, 256, 256), blocking=True)
    assert start[3] == 0.0 and g > 0
    assert start[1] == pytest.approx(dram_load_time(MB), rel=1e-12)
    # %1 and %2 both wait for %0; (ready, index) order gives switch0 to %1 first
    assert start[2] >= start[1]


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
    assert report["utilization"]["dram:dram0"] == pytest.approx(dram_load_time(48 * MB) / tl.step_time, rel=1e-9)
