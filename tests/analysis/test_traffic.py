"""The copies a token's dispatch sends, the one function behind the stream's and the results' C_T."""

from __future__ import annotations

from pathlib import Path

import pytest

from mozartc.analysis.traffic import CopiesPerToken, copies_per_token
from mozartc.experiments.runner import Job, run_job
from mozartc.ir import parse_file

GOLDEN = Path(__file__).resolve().parents[1] / "passes" / "golden"


def _layout(path: Path) -> float:
    clustering = parse_file(path).attrs["clustering"]
    assert isinstance(clustering, dict)
    value = clustering["C_T"]
    assert isinstance(value, float)
    return value


def test_without_dedup_a_token_is_sent_once_per_selected_expert() -> None:
    module = parse_file(GOLDEN / "tiny.allocated.mir")
    top_k = next(module.ops_named("experts")).int_attr("top_k")
    assert copies_per_token(module) == CopiesPerToken(sent=float(top_k), layout=_layout(GOLDEN / "tiny.allocated.mir"))


def test_with_dedup_the_layout_is_what_is_sent() -> None:
    layout = _layout(GOLDEN / "tiny.dedup.mir")
    assert copies_per_token(parse_file(GOLDEN / "tiny.dedup.mir")) == CopiesPerToken(layout, layout)


def test_unclustered_module_has_none() -> None:
    assert copies_per_token(parse_file(GOLDEN / "tiny.mir")) is None


def test_results_keep_the_layout_c_t_without_dedup() -> None:
    """Bug fix (issue 14): the results' ``layout_C_T`` was the report's copies *sent*, so without
    ``a2a-dedup`` it read ``top_k``. The baseline and Mozart-B share the contiguous layout, so their
    layout C_T is the same; only Mozart-B sends that many copies."""
    outcomes = {p: run_job(Job(key=p, model="tiny-moe", pipeline=p, seq_len=32, micro_batch=2, micro_batches=1))
                for p in ("baseline", "mozart-b")}
    base, dedup = (outcomes[p]["report"] for p in ("baseline", "mozart-b"))
    assert base["C_T"] == 4.0  # tiny-moe routes top-4
    assert base["layout_C_T"] == pytest.approx(dedup["layout_C_T"]) == pytest.approx(dedup["C_T"])
    assert dedup["C_T"] < 4.0
