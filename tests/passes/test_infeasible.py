"""Requests the hardware cannot satisfy: exit 2 with the numbers, no traceback, no output file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO, CliResult

Cli = Callable[..., CliResult]
WAFER = REPO / "targets" / "wafer.toml"


def _fails(result: CliResult, *fragments: str) -> None:
    assert result.code == 2, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_more_clusters_than_chiplets(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "o.mir"
    result = cli("compile", "tiny-moe", "--pipeline", "expert-cluster{method=greedy,clusters=32},allocate", "-o", out)
    _fails(result, "32 clusters but the target has 16 expert chiplets (4 groups of 4)")
    assert not out.exists()


def test_clusters_that_do_not_match_the_chiplets(cli: Cli, tmp_path: Path) -> None:
    # 32 experts in 6 clusters is fine (sizes 6,6,5,5,5,5), but 6 clusters cannot fill 16 chiplets
    out = tmp_path / "o.mir"
    assert cli("compile", "tiny-moe", "--pipeline", "expert-cluster{clusters=6}", "-o", out).code == 0
    result = cli("compile", "tiny-moe", "--pipeline", "expert-cluster{clusters=6},allocate", "-o", out)
    _fails(result, "6 clusters but the target has 16 expert chiplets", "expert-cluster{clusters=N}")


def test_block_that_does_not_fit_sram(cli: Cli, tmp_path: Path) -> None:
    small = tmp_path / "small-sram.toml"
    small.write_text(WAFER.read_text().replace("tiles = 100 ", "tiles = 1 ").replace("tiles = 100\n", "tiles = 1\n"))
    out = tmp_path / "o.mir"
    result = cli("compile", "olmoe-1b-7b-0924", "--target", small, "--pipeline", "mozart-b", "-o", out)
    # 1 tile of 2.265 MiB = 2.4 MB cannot hold a micro-batch's working set (2 x 2048 tokens x 2048 x 2 B
    # = 16.8 MB of residual stream alone): not even one weight tile fits; the message names the knobs
    _fails(result, "block 0 (attention): attention0 has 2.4 MB of SRAM but one micro-batch's working set needs",
           "raise chiplet_kinds.attention.tiles or chiplet_kinds.attention.sram_mb_per_tile", "--micro-batch")
    assert not out.exists()
