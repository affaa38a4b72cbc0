"""The ten-line sweep of docs/api.md runs as written and prints what physics says it must."""

from __future__ import annotations

import contextlib
import io
import itertools
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

DOC = REPO / "docs" / "api.md"
ROW = re.compile(r"^\s*(\d+)\s+([\d.]+)\s+(\S+): (\d+) bytes / ([\d.]+) GB/s$")


def _blocks(section: str) -> tuple[str, str]:
    """The python block of ``section`` in docs/api.md and the output block after it."""
    text = DOC.read_text().split(f"## {section}\n", 1)[1]
    code = re.search(r"```python\n(.*?)```\n", text, re.S)
    output = re.search(r"```python\n.*?```\n\n```\n(.*?)```\n", text, re.S)
    assert code is not None and output is not None, f"{DOC}: no python block with its output under '{section}'"
    return code.group(1), output.group(1)


def test_the_sweep_in_docs_api_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, documented = _blocks("A sweep in ten lines")
    assert len(code.strip().splitlines()) <= 10
    monkeypatch.chdir(tmp_path)  # nothing of the checkout is needed but the package
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {"__name__": "__docs__"})
    printed = out.getvalue()
    lines = printed.splitlines()
    assert lines[0].split() == ["HBM2", "GB/s", "step", "ms", "bound"]
    rows = []
    for line in lines[1:]:
        match = ROW.match(line)
        assert match, line
        gbps, step_ms, resource, nbytes, cap = match.groups()
        rows.append((int(gbps), float(step_ms) / 1e3, resource, int(nbytes), float(cap)))
    assert [r[0] for r in rows] == sorted(r[0] for r in rows) and len(rows) >= 3
    steps = [r[1] for r in rows]
    assert all(a > b for a, b in itertools.pairwise(steps)), "more bandwidth, a shorter step"
    dram_bytes = set()
    for gbps, step, resource, nbytes, cap in rows:
        # no resource moves its bytes faster than its capacity: the step is at least the bound (to the
        # printed 2 decimals of a millisecond)
        assert step >= nbytes / (cap * 1e9) - 0.5e-5
        if resource.startswith("dram:"):
            assert cap == gbps  # the bound is on the stack whose bandwidth the sweep set
            dram_bytes.add(nbytes)
    # the mapping does not depend on DRAM bandwidth: the busiest stack moves the same bytes at every point
    assert len(dram_bytes) == 1
    assert printed == documented, f"docs/api.md shows another output than the sweep prints now:\n{printed}"
