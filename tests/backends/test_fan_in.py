"""Dependency fan-in of the mozart backend stays linear and does not change the timing.

Two rules trim dependency edges (mozartc/backends/mozart/lowering.py): a chiplet's share of a finished
step larger than ``OWNER_FAN_IN`` is joined by one barrier, and a tile's GEMMs do not repeat the
earlier tile loads they already wait for through the tile before. On the tiled toy of
tests/passes/test_tiled_streaming.py (every MoE block streams in 3 tiles), with ``OWNER_FAN_IN`` set
low so the barriers appear, the stream must time exactly like the one with every edge written out:
same start and finish of every instruction, same report but the instruction count.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mozartc.backends.mozart import lower_module, lowering
from mozartc.driver import CompileOptions, compile_model
from mozartc.executor import execute, make_report
from mozartc.experiments.tomlw import dumps
from mozartc.hw import load_target
from mozartc.ir.core import Module
from mozartc.isa.instr import Stream
from tests.executor.targets import target_tables


@pytest.fixture(scope="module")
def tiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Module, str]:
    tables = target_tables(groups=4, per_group=4,
                           dram=(*((f"switch{g}", 100.0) for g in range(4)), ("attention0", 100.0)))
    tables["chiplet_kinds"]["expert"]["sram_mb_per_tile"] = 0.01
    path = Path(tmp_path_factory.mktemp("fan_in")) / "small-sram.toml"
    path.write_text(dumps(tables))
    result = compile_model(CompileOptions(model="tiny-moe", pipeline="mozart-c", target=str(path), seq_len=16,
                                          micro_batch=2, micro_batches=3))
    return result.module, str(path)


def _direct(monkeypatch: pytest.MonkeyPatch, module: Module, target: Any) -> Stream:
    """The stream with every dependency edge written out (no owner barriers, nothing covered)."""
    emit = lowering.Lowering.emit

    def every_edge(self: lowering.Lowering, *args: Any, covered: str = "", **fields: Any) -> int:
        return emit(self, *args, **fields)

    with monkeypatch.context() as patch:
        patch.setattr(lowering, "OWNER_FAN_IN", 10**9)
        patch.setattr(lowering.Lowering, "emit", every_edge)
        return lower_module(module, target)


def test_trimmed_edges_time_like_every_edge(tiled: tuple[Module, str], monkeypatch: pytest.MonkeyPatch) -> None:
    module, path = tiled
    target = load_target(path)
    full = _direct(monkeypatch, module, target)
    monkeypatch.setattr(lowering, "OWNER_FAN_IN", 4)
    trimmed = lower_module(module, target)
    joins = {i for i, x in enumerate(trimmed.instrs) if x.op == "barrier" and x.label.count(".") == 5}
    assert joins, "OWNER_FAN_IN = 4 should join the 12 GEMMs of a tiled expert step per chiplet"
    kept = [i for i in range(len(trimmed.instrs)) if i not in joins]
    assert len(kept) == len(full.instrs)
    for i, x in zip(kept, full.instrs, strict=True):
        y = trimmed.instrs[i]
        assert (y.op, y.label, y.src, y.dst, y.unit, y.bytes, y.m, y.k, y.n, y.count) == \
            (x.op, x.label, x.src, x.dst, x.unit, x.bytes, x.m, x.k, x.n, x.count)
    edges = sum(len(x.deps) for x in trimmed.instrs)
    assert edges < sum(len(x.deps) for x in full.instrs)
    a, b = execute(full, target), execute(trimmed, target)
    np.testing.assert_array_equal(a.start, b.start[kept])
    np.testing.assert_array_equal(a.finish, b.finish[kept])
    ra, rb = make_report(a), make_report(b)
    ra.pop("instructions"), rb.pop("instructions")
    assert ra == rb
