"""``--html`` on ``mozartc compile`` (needs ``--run``) and ``mozartc run``: the page, stable bytes, and no
file when the command fails."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO, CliResult

SMALL = REPO / "tests" / "isa" / "data" / "small.mzs"


def test_compile_html_without_run_is_exit_2_and_writes_nothing(cli: Callable[..., CliResult],
                                                               tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    res = cli("compile", "tiny-moe", "--html", page)
    assert res.code == 2
    assert res.err == "mozartc: error: --html: needs --run: the HTML report shows a timed step\n"
    assert not page.exists() and res.out == ""


def test_run_html_writes_the_page_byte_identically(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    pages = []
    for k in range(2):
        page = tmp_path / f"r{k}.html"
        res = cli("run", SMALL, "--target", REPO / "targets" / "wafer.toml", "--html", page)
        assert res.code == 0, res.err
        pages.append(page.read_bytes())
    assert pages[0] == pages[1]
    text = pages[0].decode()
    for section in ("summary", "breakdown", "critical-path", "bounds", "utilisation", "traffic", "sram", "dram",
                    "energy", "mapping"):
        assert f'<section id="{section}"' in text
    # a bare stream says which experts sit nowhere: the mapping section explains why it is empty
    assert "does not say which experts sit where" in text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left behind


def test_failed_run_leaves_no_html(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    src = tmp_path / "bad.mzs"
    src.write_text("stream @s {\n  %0 = jump expert0 {kind = compute}\n}\n")
    page = tmp_path / "r.html"
    res = cli("run", src, "--html", page)
    assert res.code == 2 and "unknown op 'jump'" in res.err
    assert not page.exists()
