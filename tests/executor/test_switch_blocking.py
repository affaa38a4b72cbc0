"""The target's ``switch.blocking`` decides whether transfers through a switch serialise."""

from __future__ import annotations

from pathlib import Path

from mozartc.executor import execute
from mozartc.executor.resources import ExecOptions
from mozartc.hw import load_target
from mozartc.hw.target import Target
from mozartc.isa.instr import Instr, Stream
from tests.conftest import REPO

WAFER = REPO / "targets" / "wafer.toml"


def _two_sends_through_switch0() -> Stream:
    # expert0 -> expert1 and expert2 -> expert3 both pass switch0 but use different links
    return Stream("s", {}, (
        Instr("send", "all_to_all", "a", src="expert0", dst="expert1", bytes=288_500_000),
        Instr("send", "all_to_all", "b", src="expert2", dst="expert3", bytes=288_500_000),
    ))


def _blocking_wafer(tmp_path: Path) -> Target:
    path = tmp_path / "blocking.toml"
    text = WAFER.read_text()
    assert "blocking = false" in text  # the shipped switches are non-blocking crossbars
    path.write_text(text.replace("blocking = false", "blocking = true"))
    return load_target(path)


def test_blocking_switch_serialises_and_crossbar_overlaps(tmp_path: Path) -> None:
    blocking = _blocking_wafer(tmp_path)
    crossbar = load_target(WAFER)
    serial = execute(_two_sends_through_switch0(), blocking).step_time
    parallel = execute(_two_sends_through_switch0(), crossbar).step_time
    # 288.5 MB over the 288.5 GB/s edge takes about 1 ms each: serial about 2 ms, parallel about 1 ms
    assert abs(serial - 2 * parallel) < 1e-6
    # an explicit executor option overrides the target
    assert execute(_two_sends_through_switch0(), blocking, ExecOptions(switch_exclusive=False)).step_time == parallel


def _relay_and_load() -> Stream:
    # a relayed dispatch's uplink leg (attention0 -> switch0) and a weight load through switch0
    # (dram0 -> expert1) use disjoint links; only the switch can serialise them
    return Stream("s", {}, (
        Instr("send", "all_to_all", "up", src="attention0", dst="switch0", bytes=288_500_000),
        Instr("load", "dram_load", "w", src="dram0", dst="expert1", bytes=256_000_000),
    ))


def _relay_leaf_and_load() -> Stream:
    # a relayed leaf leg (switch0 -> expert0) continues the uplink transaction: it does not take the switch
    return Stream("s", {}, (
        Instr("send", "all_to_all", "leaf", src="switch0", dst="expert0", bytes=288_500_000),
        Instr("load", "dram_load", "w", src="dram0", dst="expert1", bytes=256_000_000),
    ))


def test_blocking_switch_holds_the_relayed_uplink_leg_but_not_the_leaf_legs(tmp_path: Path) -> None:
    blocking = _blocking_wafer(tmp_path)
    serial = execute(_relay_and_load(), blocking)
    parallel = execute(_relay_and_load(), blocking, ExecOptions(switch_exclusive=False))
    one = max(parallel.finish)
    # the two transfers take turns in the switch: the step is their sum, not their max
    assert abs(serial.step_time - (parallel.finish[0] + parallel.finish[1])) < 1e-9
    assert serial.step_time > one * 1.5
    leaf = execute(_relay_leaf_and_load(), blocking)
    assert abs(leaf.step_time - max(execute(_relay_leaf_and_load(), blocking,
                                            ExecOptions(switch_exclusive=False)).finish)) < 1e-12


def test_a_blocking_switch_bounds_the_step_by_the_time_of_everything_holding_it(tmp_path: Path) -> None:
    from mozartc.executor import make_report

    blocking = _blocking_wafer(tmp_path)
    timeline = execute(_relay_and_load(), blocking)
    report = make_report(timeline)
    # the two transfers take turns in switch0: its summed hold time is the whole step (tight bound)
    assert report["lower_bound_from"].startswith("switch:switch0")
    assert abs(report["lower_bound_s"] - timeline.step_time) < 1e-12
