"""The CLI's one progress display: plain lines when not a terminal, a rich bar on one."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from mozartc.cli.progress import counting, progress
from tests.conftest import REPO, CliResult


def test_plain_lines_every_tenth_and_the_last() -> None:
    out = io.StringIO()
    with progress("reproduce", 30, stream=out, terminal=False) as advance:
        for done in range(1, 31):
            advance(done, 30, f"run{done}")
    lines = out.getvalue().splitlines()
    # 1/30 is past 0 %, then each tenth: 3, 6, ..., 30
    assert lines == ["reproduce: 1/30 run1", *(f"reproduce: {n}/30 run{n}" for n in range(3, 31, 3))]
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()


def test_a_bar_on_a_terminal_is_transient() -> None:
    out = io.StringIO()
    with progress("sweep", 4, stream=out, terminal=True) as advance:
        for done in range(1, 5):
            advance(done, 4, "")
    assert "sweep: 1/4" not in out.getvalue()  # drawn by rich, not as plain lines


def test_counting_grows_the_total_rather_than_fail() -> None:
    seen: list[tuple[int, int]] = []
    tick = counting(lambda done, total, _label: seen.append((done, total)), 2)
    for _ in range(3):
        tick(0)
    assert seen == [(1, 2), (2, 2), (3, 3)]


def test_piped_cluster_writes_plain_progress_lines(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    trace = REPO / "tests" / "passes" / "golden" / "tiny-trace.npz"
    res = cli("cluster", "--trace", trace, "--clusters", "4", "--method", "greedy", "--json")
    assert res.code == 0, res.err
    progress_lines = [line for line in res.err.splitlines() if line.startswith("clustering layers: ")]
    done, total = progress_lines[-1].split()[-1].split("/")
    assert done == total
