"""``mozartc run``: summary, report and trace files, determinism, and exit 2 on malformed streams."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult

SMALL = REPO / "tests" / "isa" / "data" / "small.mzs"
REPORT_KEYS = {"step_time_s", "breakdown_s", "lower_bound_s", "lower_bound_from", "C_T", "utilization",
               "critical_path_s", "target", "model", "pipeline", "mozartc_version", "instructions"}


def test_run_writes_report_and_trace(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    report, trace = tmp_path / "r.json", tmp_path / "t.json"
    res = cli("run", SMALL, "--target", REPO / "targets" / "wafer.toml", "--report", report, "--perfetto", trace)
    assert res.code == 0, res.err
    assert "step time" in res.out and "lower bound" in res.out
    data = json.loads(report.read_text())
    assert set(data) >= REPORT_KEYS
    assert set(data["breakdown_s"]) >= {"compute", "dram_load", "dram_save", "all_to_all", "exposed"}
    assert data["model"] == "tiny-moe" and data["pipeline"] == "mozart-c" and data["C_T"] == 3.25
    assert data["instructions"] == 17 and data["target"] == "mozart-wafer"
    assert sum(data["breakdown_s"].values()) == pytest.approx(data["step_time_s"], rel=1e-9)
    assert data["lower_bound_s"] <= data["step_time_s"]


def test_perfetto_trace_structure(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    trace = tmp_path / "t.json"
    assert cli("run", SMALL, "--perfetto", trace).code == 0
    events = json.loads(trace.read_text())["traceEvents"]
    procs = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    wanted = {"dram:dram0", "compute:expert0", "link:attention0->switch0", "switch:switch0", "sync"}
    assert wanted <= set(procs.values())
    slices = [e for e in events if e["ph"] == "X"]
    assert all(set(e) >= {"name", "ts", "dur", "pid", "tid", "cat"} for e in slices)
    assert all((e["pid"], e["tid"]) in threads for e in slices)
    # slices on one track never overlap (flows sharing a bandwidth go on lanes)
    by_track: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for e in slices:
        by_track.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
    for spans in by_track.values():
        spans.sort()
        assert all(a[1] <= b[0] + 1e-6 for a, b in itertools.pairwise(spans))
    load = next(e for e in slices if e["name"] == "m0.l0.fwd.w.expert0" and procs[e["pid"]] == "dram:dram0")
    assert load["ts"] == 0 and load["dur"] >= (109e-9 + 9437184 / 256e9) * 1e6 * (1 - 1e-9)
    # a send from the root to expert0 appears on every resource it crosses (the crossbar of switch0 too)
    dispatch = {procs[e["pid"]] for e in slices if e["name"] == "m0.l0.fwd.dispatch.expert0"}
    assert dispatch == {"link:attention0->switch0", "link:switch0->expert0", "switch:switch0"}
    # counter tracks: the bandwidth each resource carries, never above its capacity, ending at 0
    counters: dict[int, list[float]] = {}
    for e in events:
        if e["ph"] == "C":
            counters.setdefault(e["pid"], []).extend(e["args"].values())
    dram0 = next(pid for pid, name in procs.items() if name == "dram:dram0")
    assert max(counters[dram0]) <= 256.0 + 1e-6 and counters[dram0][-1] == 0.0


def test_two_runs_are_byte_identical(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    outs = []
    for k in range(2):
        r, t = tmp_path / f"r{k}.json", tmp_path / f"t{k}.json"
        assert cli("run", SMALL, "--report", r, "--perfetto", t).code == 0
        outs.append((r.read_bytes(), t.read_bytes()))
    assert outs[0] == outs[1]


MALFORMED = [
    ("syntax", "  %0 = load dram0 -> {bytes = 1, kind = dram_load}\n", ":2:22: unexpected '{'"),
    ("unknown resource", "  %0 = load dram0 -> expert99 {bytes = 1, kind = dram_load}\n",
     ":2:22: %0: unknown resource 'expert99'"),
    ("cycle", "  %0 = barrier {kind = sync} after(%1)\n  %1 = barrier {kind = sync} after(%0)\n",
     ":2:36: %0: cycle or missing dependency"),
    ("missing dependency", "  %0 = barrier {kind = sync} after(%4)\n", ":2:36: %0: cycle or missing dependency"),
    ("unknown op", "  %0 = jump expert0 {kind = compute}\n", ":2:8: %0: unknown op 'jump'"),
    ("missing bytes", "  %0 = store expert0 -> dram1 {kind = dram_save}\n", ":2:8: %0: store needs a positive 'bytes'"),
]


@pytest.mark.parametrize(("case", "body", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_stream_exits_2_with_line_and_column(cli: Callable[..., CliResult], tmp_path: Path,
                                                       case: str, body: str, message: str) -> None:
    src = tmp_path / "bad.mzs"
    src.write_text("stream @s {\n" + body + "}\n")
    report, trace = tmp_path / "r.json", tmp_path / "t.json"
    res = cli("run", src, "--report", report, "--perfetto", trace)
    assert res.code == 2
    assert res.err.startswith(f"mozartc: error: {src}{message}"), res.err
    assert res.err.count("\n") == 1 and "Traceback" not in res.err
    assert not report.exists() and not trace.exists() and res.out == ""


def test_other_target_name_is_a_warning(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    res = cli("run", SMALL, "--target", REPO / "targets" / "olmoe-1b-7b-0924.toml")
    assert res.code == 0 and "mozartc: warning:" in res.err and "emitted for target 'mozart-wafer'" in res.err
