"""Trace file format: round trip, deterministic bytes, folders, CSV, and every validation error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mozartc.errors import TraceError
from mozartc.traces import RoutingTrace, load_csv, load_trace, save_trace, trace_to_bytes


def _trace(layers: int = 2, tokens: int = 5, experts: int = 8, k: int = 2) -> RoutingTrace:
    rng = np.random.default_rng(0)
    topk = np.stack([np.stack([rng.choice(experts, k, replace=False) for _ in range(tokens)])
                     for _ in range(layers)])
    return RoutingTrace(topk=topk, num_experts=experts, top_k=k, model="m", source="s")


def test_round_trip_and_read_only(tmp_path: Path) -> None:
    trace = _trace()
    save_trace(trace, tmp_path / "t.npz")
    back = load_trace(tmp_path / "t.npz")
    assert np.array_equal(back.topk, trace.topk)
    assert (back.num_experts, back.top_k, back.model, back.layer_ids) == (8, 2, "m", (0, 1))
    with pytest.raises(ValueError):
        back.topk[0, 0, 0] = 1


def test_bytes_are_deterministic() -> None:
    assert trace_to_bytes(_trace()) == trace_to_bytes(_trace())


def test_unknown_arrays_ignored_and_layer_ids(tmp_path: Path) -> None:
    topk = np.array([[[0, 1], [2, 3]]], dtype=np.int16)
    np.savez(tmp_path / "x.npz", topk=topk, num_experts=4, top_k=2, weights=np.ones((1, 2, 2)),
             layer_ids=np.array([7]), model=np.array("mx"))
    trace = load_trace(tmp_path / "x.npz")
    assert trace.layer_ids == (7,) and trace.model == "mx"


def test_folder_concatenates_tokens(tmp_path: Path) -> None:
    for name, rows in (("a.npz", [[0, 1]]), ("b.npz", [[2, 3], [1, 2]])):
        np.savez(tmp_path / name, topk=np.array([rows]), num_experts=4, top_k=2)
    trace = load_trace(tmp_path)
    assert trace.topk.tolist() == [[[0, 1], [2, 3], [1, 2]]]


def test_folder_inconsistent(tmp_path: Path) -> None:
    np.savez(tmp_path / "a.npz", topk=np.array([[[0, 1]]]), num_experts=4, top_k=2)
    np.savez(tmp_path / "b.npz", topk=np.array([[[0, 1]]]), num_experts=5, top_k=2)
    with pytest.raises(TraceError, match=r"num_experts is 5 but a\.npz has 4"):
        load_trace(tmp_path)


@pytest.mark.parametrize(("arrays", "message"), [
    ({"topk": np.zeros((3, 2), dtype=int), "num_experts": 4, "top_k": 2}, r"expected shape \[layers, tokens, k\]"),
    ({"topk": np.array([[[0, 9]]]), "num_experts": 4, "top_k": 2}, "expert id 9 out of range 0..3"),
    ({"topk": np.array([[[0, -1]]]), "num_experts": 4, "top_k": 2}, "expert id -1 out of range"),
    ({"topk": np.array([[[0, 1]]]), "num_experts": 4, "top_k": 3}, "2 experts per token but top_k is 3"),
    ({"topk": np.zeros((1, 0, 2), dtype=int), "num_experts": 4, "top_k": 2}, "empty trace"),
    ({"topk": np.array([[[1, 1]]]), "num_experts": 4, "top_k": 2}, "same expert twice"),
    ({"topk": np.array([[[0.0, 1.0]]]), "num_experts": 4, "top_k": 2}, "integer expert ids"),
    ({"topk": np.array([[[0, 1]]]), "top_k": 2}, "missing scalar 'num_experts'"),
    ({"counts": np.ones((2, 8)), "kind": np.array("aggregate")}, "aggregate-only"),
])
def test_validation_errors(tmp_path: Path, arrays: dict[str, object], message: str) -> None:
    np.savez(tmp_path / "bad.npz", **arrays)  # type: ignore[arg-type]
    with pytest.raises(TraceError, match=message) as info:
        load_trace(tmp_path / "bad.npz")
    assert "bad.npz" in str(info.value)


def test_not_npz_and_missing(tmp_path: Path) -> None:
    (tmp_path / "t.npz").write_text("hello")
    with pytest.raises(TraceError, match=r"not a \.npz file"):
        load_trace(tmp_path / "t.npz")
    with pytest.raises(TraceError, match="no such trace"):
        load_trace(tmp_path / "missing.npz")


def test_csv_import(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("layer,token,e0,e1\n3,1,2,3\n3,0,0,1\n5,0,1,2\n5,1,3,0\n")
    trace = load_csv(path, num_experts=4)
    assert trace.layer_ids == (3, 5)
    assert trace.topk.tolist() == [[[0, 1], [2, 3]], [[1, 2], [3, 0]]]


@pytest.mark.parametrize(("text", "message"), [
    ("layer,tok,e0\n", "expected header"),
    ("layer,token,e0,e1\n0,0,1,x\n", ":2: expected integers"),
    ("layer,token,e0,e1\n0,0,1,2\n0,2,1,2\n", "each token id 0..T-1"),
    ("layer,token,e0,e1\n0,0,1,9\n", "out of range"),
])
def test_csv_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(TraceError, match=message):
        load_csv(path, num_experts=4)
