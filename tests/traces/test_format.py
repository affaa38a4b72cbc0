"""Trace file format: round trip, deterministic bytes, folders, CSV, and every validation error."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mozartc.errors import TraceError
from mozartc.traces import RoutingTrace, load_csv, load_trace, save_trace, trace_to_bytes
from mozartc.traces import format as format_module


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


def _whole_npz(trace: RoutingTrace, dtype: type) -> bytes:
    """The file built in memory, every array written whole by numpy (as ``trace_to_bytes`` once did)."""
    arrays = {"topk": trace.topk.astype(dtype), "num_experts": np.int64(trace.num_experts),
              "top_k": np.int64(trace.top_k), "layer_ids": np.asarray(trace.layer_ids, dtype=np.int64),
              "num_shared_experts": np.int64(trace.num_shared_experts), "model": np.asarray(trace.model),
              "source": np.asarray(trace.source)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, array in arrays.items():
            payload = io.BytesIO()
            np.lib.format.write_array(payload, np.asarray(array), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), payload.getvalue())
    return buffer.getvalue()


@pytest.mark.parametrize(("experts", "dtype"), [(8, np.uint8), (300, np.int16)])
def test_streamed_file_equals_the_whole_arrays_written(tmp_path: Path, experts: int, dtype: type) -> None:
    trace = RoutingTrace(topk=_trace(layers=3, tokens=40, experts=experts, k=3).topk, num_experts=experts, top_k=3,
                         model="m", source="s", layer_ids=(4, 5, 9), num_shared_experts=1)
    save_trace(trace, tmp_path / "t.npz")
    assert (tmp_path / "t.npz").read_bytes() == trace_to_bytes(trace) == _whole_npz(trace, dtype)
    assert [p.name for p in tmp_path.iterdir()] == ["t.npz"]  # no temporary file left


def test_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(format_module, "_write_topk", broken)
    with pytest.raises(OSError, match="disk full"):
        save_trace(_trace(), tmp_path / "t.npz")
    assert list(tmp_path.iterdir()) == []


def test_owned_topk_is_kept_read_only_not_copied() -> None:
    topk = _trace().topk.copy()  # int16, contiguous, owns its data
    kept = RoutingTrace(topk=topk, num_experts=8, top_k=2, owned=True)
    assert kept.topk is topk and not topk.flags.writeable
    copied = RoutingTrace(topk=topk, num_experts=8, top_k=2)
    assert copied.topk is not topk and np.array_equal(copied.topk, topk)
    wide = topk.astype(np.int64)  # not the compact dtype: copied even when owned
    assert RoutingTrace(topk=wide, num_experts=8, top_k=2, owned=True).topk.dtype == np.int16
    assert wide.flags.writeable
    bad = topk.copy()
    bad[0, 0, 1] = bad[0, 0, 0]
    with pytest.raises(TraceError, match="same expert twice"):  # owned is still validated
        RoutingTrace(topk=bad, num_experts=8, top_k=2, owned=True)


@pytest.mark.parametrize(("experts", "dtype"), [(8, np.uint8), (256, np.uint8), (257, np.int16), (40000, np.int32)])
def test_ids_stored_uncompressed_in_the_smallest_dtype(tmp_path: Path, experts: int, dtype: type) -> None:
    topk = np.array([[[0, experts - 1], [experts // 2, 1]]])
    trace = RoutingTrace(topk=topk, num_experts=experts, top_k=2)
    save_trace(trace, tmp_path / "t.npz")
    with zipfile.ZipFile(tmp_path / "t.npz") as zf:
        assert {info.compress_type for info in zf.infolist()} == {zipfile.ZIP_STORED}
    with np.load(tmp_path / "t.npz") as z:
        assert z["topk"].dtype == dtype and z["topk"].tolist() == topk.tolist()
    back = load_trace(tmp_path / "t.npz")
    assert back.topk.tolist() == topk.tolist() and back.topk.dtype == trace.topk.dtype


@pytest.mark.parametrize("k", [3, 16, 17, 20])
def test_duplicate_found_at_its_layer_and_token(k: int) -> None:
    rng = np.random.default_rng(k)
    topk = np.stack([np.stack([rng.permutation(40)[:k] for _ in range(30)]) for _ in range(3)])
    RoutingTrace(topk=topk, num_experts=40, top_k=k)  # distinct: accepted
    topk[1, 7, k - 1] = topk[1, 7, 0]
    topk[2, 2, 1] = topk[2, 2, 0]
    with pytest.raises(TraceError, match="token 7 of layer 1 selects the same expert twice"):
        RoutingTrace(topk=topk, num_experts=40, top_k=k)


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
