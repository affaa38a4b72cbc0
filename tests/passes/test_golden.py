"""Golden IR for every pass: small IR in, expected IR out (files under tests/passes/golden/).

The chain starts from ``tiny.mir`` (tiny-moe captured at seq_len 16, micro-batch 2) and a 64-token
routing trace. Regenerate after an intended change with ``MOZARTC_UPDATE_GOLDEN=1 pytest
tests/passes/test_golden.py`` and review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mozartc.driver import optimize_text
from mozartc.ir import print_module
from mozartc.passes import PassContext

GOLDEN = Path(__file__).parent / "golden"
TRACE = GOLDEN / "tiny-trace.npz"

# (input file, pass pipeline, expected output file)
CASES = [
    ("tiny.mir", "verify", "tiny.mir"),
    ("tiny.mir", "summarize", "tiny.summarize.mir"),
    ("tiny.mir", "expert-cluster{method=greedy}", "tiny.clustered.mir"),
    ("tiny.mir", "expert-cluster{method=contiguous}", "tiny.contiguous.mir"),
    ("tiny.clustered.mir", "allocate{method=bip}", "tiny.allocated.mir"),
    ("tiny.contiguous.mir", "allocate{method=round-robin}", "tiny.round-robin.mir"),
    ("tiny.allocated.mir", "a2a-dedup", "tiny.dedup.mir"),
    ("tiny.allocated.mir", "a2a-dedup{switch-multicast=true,switch-reduce=true,relay-chunks=2}",
     "tiny.multicast.mir"),
    ("tiny.dedup.mir", "stream-schedule{micro-batches=2}", "tiny.scheduled.mir"),
    ("tiny.round-robin.mir", "stream-schedule{micro-batches=2,overlap=false,order=index}", "tiny.baseline.mir"),
    ("tiny.dedup.mir", "stream-schedule{micro-batches=2,reload=per-micro-batch,recompute=true}",
     "tiny.per-micro-batch.mir"),
]


@pytest.mark.parametrize(("source", "pipeline", "expected"), CASES, ids=[c[2] for c in CASES])
def test_golden(source: str, pipeline: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)  # the IR records the trace path as given: keep it relative
    text = (GOLDEN / source).read_text()
    module = optimize_text(text, source, pipeline, ctx=PassContext(trace_path=TRACE.name, seed=0))
    out = print_module(module)
    path = GOLDEN / expected
    if os.environ.get("MOZARTC_UPDATE_GOLDEN") and path.name != source:
        path.write_text(out)
    assert out == path.read_text(), f"{pipeline} on {source} differs from {expected}"
