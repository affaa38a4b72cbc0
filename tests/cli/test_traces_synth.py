"""``mozartc traces synth``: a model spec's shape, threads that do not change the file, refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mozartc.traces import load_trace


def test_jobs_do_not_change_the_file(cli: Callable[..., Any], tmp_path: Path) -> None:
    files = []
    for jobs in ("1", "2"):
        out = tmp_path / f"j{jobs}.npz"
        r = cli("traces", "synth", "deepseek-moe-16b-base", "--tokens", "3000", "--jobs", jobs, "-o", out)
        assert r.code == 0, r.err
        files.append(out.read_bytes())
    assert files[0] == files[1]
    trace = load_trace(tmp_path / "j1.npz")
    assert trace.topk.shape == (27, 3000, 6) and trace.layer_ids[0] == 1 and trace.num_shared_experts == 2


def test_user_module_and_bad_parameters_exit_2(cli: Callable[..., Any], tmp_path: Path) -> None:
    out = tmp_path / "s.npz"
    r = cli("traces", "synth", "examples/my_moe.py:build", "--tokens", "10", "-o", out)
    assert r.code == 2 and "user module" in r.err and not out.exists()
    r = cli("traces", "synth", "tiny-moe", "--tokens", "10", "--structure", "200", "-o", out)
    assert r.code == 2 and "float32 exp range" in r.err and not out.exists()
