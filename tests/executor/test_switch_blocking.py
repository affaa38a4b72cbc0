"""The target's ``switch.blocking`` decides whether transfers through a switch serialise."""

from __future__ import annotations

from pathlib import Path

from mozartc.backends.isa import Instr, Stream
from mozartc.executor import execute
from mozartc.executor.resources import ExecOptions
from mozartc.hw import load_target
from tests.conftest import REPO

WAFER = REPO / "targets" / "wafer.toml"


def _two_sends_through_switch0() -> Stream:
    # expert0 -> expert1 and expert2 -> expert3 both pass switch0 but use different links
    return Stream("s", {}, (
        Instr("send", "all_to_all", "a", src="expert0", dst="expert1", bytes=288_500_000),
        Instr("send", "all_to_all", "b", src="expert2", dst="expert3", bytes=288_500_000),
    ))


def test_blocking_switch_serialises_and_crossbar_overlaps(tmp_path: Path) -> None:
    blocking = load_target(WAFER)
    crossbar_file = tmp_path / "crossbar.toml"
    crossbar_file.write_text(WAFER.read_text().replace("blocking = true", "blocking = false"))
    crossbar = load_target(crossbar_file)
    serial = execute(_two_sends_through_switch0(), blocking).step_time
    parallel = execute(_two_sends_through_switch0(), crossbar).step_time
    # 288.5 MB over the 288.5 GB/s edge takes about 1 ms each: serial about 2 ms, parallel about 1 ms
    assert abs(serial - 2 * parallel) < 1e-6
    # an explicit executor option overrides the target
    assert execute(_two_sends_through_switch0(), blocking, ExecOptions(switch_exclusive=False)).step_time == parallel
