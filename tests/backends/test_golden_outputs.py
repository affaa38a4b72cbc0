"""Golden instruction streams and reports: tiny-moe on the baseline and Mozart-C, byte for byte.

Any change to the passes, the backend or the executor that moves a byte shows up here as a diff to
review like code. Regenerate after an intended change with ``MOZARTC_UPDATE_GOLDEN=1 pytest
tests/backends/test_golden_outputs.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mozartc.driver import CompileOptions, compile_model
from mozartc.executor.report import report_json

GOLDEN = Path(__file__).parent / "golden"
PIPELINES = ["baseline", "mozart-c"]


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_stream_and_report_match_the_golden_files(pipeline: str) -> None:
    result = compile_model(CompileOptions(model="tiny-moe", pipeline=pipeline, seq_len=16, micro_batch=2,
                                          micro_batches=1, emit="isa", run=True))
    assert result.output is not None and result.report is not None
    outputs = {f"tiny.{pipeline}.mzs": result.output.text, f"tiny.{pipeline}.report.json": report_json(result.report)}
    for name, text in outputs.items():
        path = GOLDEN / name
        if os.environ.get("MOZARTC_UPDATE_GOLDEN"):
            path.write_text(text)
        assert text == path.read_text(), f"{name} differs from the golden file"
