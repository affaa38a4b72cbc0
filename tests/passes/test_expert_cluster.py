"""``expert-cluster``: clusters on every experts op, from a trace or a synthetic one (said in the IR)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mozartc.errors import TraceError
from mozartc.frontend import capture, trace_shape
from mozartc.ir.verifier import verify
from mozartc.passes.base import PassContext
from mozartc.passes.expert_cluster import ExpertCluster
from mozartc.traces import c_t, save_trace, synthesize, synthesize_model


@pytest.fixture(scope="module")
def tiny_ir():  # type: ignore[no-untyped-def]
    return capture("tiny-moe")


def test_synthetic_when_no_trace(tiny_ir) -> None:  # type: ignore[no-untyped-def]
    module = ExpertCluster(method="greedy", clusters=8).run(tiny_ir.clone(), PassContext())
    verify(module)
    ops = list(module.ops_named("experts"))
    assert len(ops) == 3
    for op in ops:
        flat = sorted(e for c in op.attrs["clusters"] for e in c)
        assert flat == list(range(32)) and all(len(c) == 4 for c in op.attrs["clusters"])
    info = module.attrs["clustering"]
    assert isinstance(info, dict) and str(info["trace"]).startswith("synthetic")
    assert info["shared_experts"] == "attention-chiplet"


def test_from_trace_file(tiny_ir, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    trace = synthesize_model(trace_shape("tiny-moe"), 2000, seed=5)
    save_trace(trace, tmp_path / "t.npz")
    ctx = PassContext(trace_path=str(tmp_path / "t.npz"))
    module = ExpertCluster(method="cpsat", clusters=8).run(tiny_ir.clone(), ctx)
    verify(module)
    for layer, op in enumerate(module.ops_named("experts")):
        assignment = np.empty(32, dtype=int)
        for index, members in enumerate(op.attrs["clusters"]):
            assignment[members] = index
        assert op.attrs["C_T"] == pytest.approx(c_t(trace.layer(layer), assignment, 32), abs=1e-6)
    assert module.attrs["clustering"]["trace"] == str(tmp_path / "t.npz")


def test_mismatched_trace(tiny_ir, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    save_trace(synthesize(3, 64, 4, 100, seed=0), tmp_path / "t.npz")
    with pytest.raises(TraceError, match="64 experts top-4 but the model's experts ops have 32"):
        ExpertCluster(clusters=8).run(tiny_ir.clone(), PassContext(trace_path=str(tmp_path / "t.npz")))
