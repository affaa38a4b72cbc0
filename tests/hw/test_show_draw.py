"""``mozartc target show`` JSON and text, ``target draw`` PNG, and cheap imports."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO, CliResult

WAFER = REPO / "targets" / "wafer.toml"


def test_show_json_wafer(cli: Callable[..., CliResult]) -> None:
    res = cli("target", "show", WAFER, "--json")
    assert res.code == 0, res.err
    s = json.loads(res.out)
    assert (s["expert_chiplets"], s["groups"], s["attention_chiplets"]) == (16, 4, 1)
    assert (s["clock_ghz"], s["precision"]) == (1.0, "fp16")
    # tiles x arrays x PEs x 2 x clock = 100 x 16 x 576 x 2 x 1e9 per chiplet, 17 chiplets
    assert s["peak_flops_total"] == 17 * 100 * 16 * 24 * 24 * 2 * 1e9
    stacks = s["dram_stacks"]
    assert len(stacks) == 6
    assert all(d["capacity_mb"] == 8192 and d["bandwidth_gbps"] == 256 for d in stacks)
    assert all(d["capacity_bytes"] == 8 * 2**30 for d in stacks)  # the file's 8192 MB are MiB
    assert s["dram_capacity_bytes_total"] == 6 * 8 * 2**30
    attached = [d["attached_to"] for d in stacks]
    assert sorted(attached) == ["attention0", "attention0", "switch0", "switch1", "switch2", "switch3"]
    expert = next(c for c in s["chiplets"] if c["name"] == "expert0")
    assert expert["d2d_links"] == 4616 and expert["d2d_bandwidth_gbps"] == 577.0
    # 2.265 MiB per tile x 100 tiles x 17 chiplets, in bytes
    assert s["sram_bytes_total"] == 17 * int(100 * 2.265 * 2**20)


def test_show_text(cli: Callable[..., CliResult]) -> None:
    res = cli("target", "show", WAFER)
    assert res.code == 0
    assert "16 expert chiplets in 4 groups" in res.out and "31.334 PFLOP/s" in res.out
    # one convention: decimal sizes (4.04e9 B of SRAM, 51.5e9 B of DRAM); the file's MiB labelled MiB
    assert "SRAM 4.04 GB, DRAM 51.5 GB at 1.54 TB/s total" in res.out and "2.265 MiB" in res.out
    assert " MB," not in res.out and "49152" not in res.out
    assert "switch3" in res.out and "4616" in res.out


def test_show_to_file(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    assert cli("target", "show", WAFER, "--json", "-o", out).code == 0
    assert json.loads(out.read_text())["groups"] == 4


def test_draw_png(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "wafer.png"
    res = cli("target", "draw", WAFER, "-o", out)
    assert res.code == 0, res.err
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_draw_bad_target_leaves_no_file(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "wafer.png"
    res = cli("target", "draw", REPO / "tests" / "hw" / "malformed" / "syntax_error.toml", "-o", out)
    assert res.code == 2 and not out.exists() and list(tmp_path.iterdir()) == []


def test_import_is_cheap() -> None:
    code = ("import sys, mozartc.hw, mozartc.hw.cost, mozartc.hw.capacity; "
            "print(sorted(m for m in ('matplotlib', 'networkx', 'torch', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO), "PATH": ""})
    assert out.stdout.strip() == "[]"
