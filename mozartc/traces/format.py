"""Routing-trace file format (DESIGN.md contract) and its I/O.

A trace is an ``.npz`` holding ``topk`` (integer expert ids, shape ``[layers, tokens, k]``) and the
scalars ``num_experts`` and ``top_k``; optional ``model``, ``source``, ``layer_ids`` ``[layers]`` and
``num_shared_experts``. Arrays a loader does not know are ignored. A folder of such files for one
model is one trace whose tokens are the files' tokens concatenated (files in name order).
CSV import: a header ``layer,token,e0,...,e{k-1}`` and one row per (layer, token).

Everything is validated at the edge: a bad file raises :class:`TraceError` naming the file (and
array) and what was expected; the rest of mozartc only sees a frozen :class:`RoutingTrace`.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from dataclasses import InitVar, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from mozartc.errors import TraceError
from mozartc.fileio import atomic_write_stream

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Duplicate check by pairwise column compares up to this k, by sorting rows above it.
_PAIRWISE_MAX_K = 16


@dataclass(frozen=True, eq=False)
class RoutingTrace:
    """Per-token routing decisions of every MoE layer of one model.

    ``topk[l, t, :]`` are the ``top_k`` distinct routed-expert ids token ``t`` selects at layer ``l``
    (``0 <= id < num_experts``). ``layer_ids[l]`` is the model layer index of trace layer ``l``
    (``0..layers-1`` when the file does not say). ``num_shared_experts`` always-active experts are
    not in ``topk`` (they take no routing decision).

    ``topk`` is validated and kept as a read-only copy; ``owned=True`` (for a producer that has
    just built ``topk`` in the compact id dtype and holds no other reference to it) keeps that
    array itself, read-only, instead of copying it.
    """

    topk: np.ndarray
    num_experts: int
    top_k: int
    model: str = ""
    source: str = ""
    layer_ids: tuple[int, ...] = ()
    num_shared_experts: int = 0
    where: str = field(default="<memory>", compare=False)
    owned: InitVar[bool] = False

    def __post_init__(self, owned: bool) -> None:
        topk = _validated_topk(self.topk, self.num_experts, self.top_k, self.where, copy=not owned)
        object.__setattr__(self, "topk", topk)
        ids = tuple(int(i) for i in self.layer_ids) or tuple(range(topk.shape[0]))
        if len(ids) != topk.shape[0]:
            raise TraceError(
                f"layer_ids has {len(ids)} entries but topk has {topk.shape[0]} layers",
                where=f"{self.where}: array 'layer_ids'",
            )
        object.__setattr__(self, "layer_ids", ids)
        if self.num_shared_experts < 0:
            raise TraceError("num_shared_experts must be >= 0", where=self.where)

    @property
    def num_layers(self) -> int:
        """Number of MoE layers in the trace."""
        return int(self.topk.shape[0])

    @property
    def num_tokens(self) -> int:
        """Tokens per layer."""
        return int(self.topk.shape[1])

    def layer(self, index: int) -> np.ndarray:
        """``topk`` of trace layer ``index``: a read-only ``[tokens, k]`` view."""
        return self.topk[index]

    def split_tokens(self, fraction: float = 0.5) -> tuple[RoutingTrace, RoutingTrace]:
        """Split the tokens into a first part (``fraction`` of them) and the rest (fit / evaluate)."""
        cut = round(self.num_tokens * fraction)
        if not 0 < cut < self.num_tokens:
            raise TraceError(f"cannot split {self.num_tokens} tokens at fraction {fraction}", self.where)
        return self.with_topk(self.topk[:, :cut]), self.with_topk(self.topk[:, cut:])

    def with_topk(self, topk: np.ndarray) -> RoutingTrace:
        """A copy of this trace's metadata around another ``topk`` of the same layers."""
        return RoutingTrace(
            topk=topk, num_experts=self.num_experts, top_k=self.top_k, model=self.model,
            source=self.source, layer_ids=self.layer_ids, num_shared_experts=self.num_shared_experts,
            where=self.where,
        )


def _index_dtype(num_experts: int) -> type[np.integer]:
    """The compact id dtype mozartc stores: int16 up to 32767 experts, else int32."""
    return np.int16 if num_experts <= np.iinfo(np.int16).max else np.int32


def _file_dtype(num_experts: int) -> type[np.integer]:
    """The dtype ``topk`` is written in: ``uint8`` up to 256 experts, else the in-memory id dtype."""
    return np.uint8 if num_experts <= 256 else _index_dtype(num_experts)


def _validated_topk(topk: object, num_experts: int, top_k: int, where: str, *, copy: bool = True) -> np.ndarray:
    """Check ``topk`` against the contract and return a read-only compact-int copy (``copy=False``:
    ``topk`` itself, made read-only, when it already is a contiguous array of that dtype)."""
    arr_where = f"{where}: array 'topk'"
    for name, value in (("num_experts", num_experts), ("top_k", top_k)):
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value <= 0:
            raise TraceError(f"{name} must be a positive integer, got {value!r}", where=where)
    if top_k > num_experts:
        raise TraceError(f"top_k ({top_k}) exceeds num_experts ({num_experts})", where=where)
    arr = np.asarray(topk)
    if arr.dtype.kind not in "iu":
        raise TraceError(f"expected integer expert ids, got dtype {arr.dtype}", where=arr_where)
    if arr.ndim != 3:
        raise TraceError(f"expected shape [layers, tokens, k], got {list(arr.shape)}", where=arr_where)
    if arr.shape[2] != top_k:
        raise TraceError(f"last axis has {arr.shape[2]} experts per token but top_k is {top_k}", arr_where)
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise TraceError(f"empty trace (shape {list(arr.shape)}): no layers or no tokens", arr_where)
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= num_experts:
        bad = lo if lo < 0 else hi
        raise TraceError(f"expert id {bad} out of range 0..{num_experts - 1}", where=arr_where)
    dtype = _index_dtype(int(num_experts))
    keep = not copy and arr is topk and arr.dtype == dtype and arr.flags.c_contiguous and arr.flags.owndata
    out = arr if keep else arr.astype(dtype, copy=True)
    dup = _first_duplicate(out)
    if dup is not None:
        raise TraceError(f"token {dup[1]} of layer {dup[0]} selects the same expert twice", arr_where)
    out.setflags(write=False)
    return out


def _first_duplicate(topk: np.ndarray) -> tuple[int, int] | None:
    """``(layer, token)`` of the first token that lists an expert twice, or None.

    Up to ``_PAIRWISE_MAX_K`` experts a token, every pair of columns is compared, a layer at a time
    (k(k-1)/2 vector compares: 0.05 s for 48 x 100k x 8, where sorting every row took 0.35 s).
    """
    k = topk.shape[2]
    if k > _PAIRWISE_MAX_K:
        ordered = np.sort(topk, axis=-1)
        found = np.argwhere(ordered[..., 1:] == ordered[..., :-1])
        return (int(found[0][0]), int(found[0][1])) if found.size else None
    same = np.empty(topk.shape[1], dtype=bool)
    equal = np.empty_like(same)
    for layer in range(topk.shape[0]):
        cols = np.ascontiguousarray(topk[layer].T)
        same.fill(False)
        for i in range(k - 1):
            for j in range(i + 1, k):
                same |= np.equal(cols[i], cols[j], out=equal)
        if same.any():
            return layer, int(np.argmax(same))
    return None


# ---------------------------------------------------------------------------------------------- loading

def load_trace(path: str | Path) -> RoutingTrace:
    """Load a trace ``.npz`` file, or a folder of them for one model (tokens concatenated)."""
    p = Path(path)
    if p.is_dir():
        return _load_folder(p)
    if not p.exists():
        raise TraceError("no such trace file or folder", where=str(p))
    if p.suffix.lower() == ".csv":
        raise TraceError("CSV traces need num_experts: use load_csv() / 'mozartc traces import'", str(p))
    return _load_npz(p)


def _load_npz(p: Path) -> RoutingTrace:
    where = str(p)
    try:
        with p.open("rb") as handle:
            magic = handle.read(4)
    except OSError as err:
        raise TraceError(f"cannot read the file ({err.strerror})", where=where) from None
    if magic != b"PK\x03\x04":
        raise TraceError("not a .npz file (expected a zip archive of .npy arrays)", where=where)
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, zlib.error) as err:
        raise TraceError(f"not a readable .npz file ({err})", where=where) from None
    if "topk" not in arrays:
        kind = _scalar_str(arrays.get("kind"))
        hint = " (an aggregate-only file: it has counts, not per-token routing)" if kind == "aggregate" else ""
        raise TraceError(f"no 'topk' array{hint}; arrays present: {', '.join(sorted(arrays))}", where)
    num_experts = _scalar_int(arrays, "num_experts", where, required=True)
    top_k = _scalar_int(arrays, "top_k", where, required=True)
    shared = _scalar_int(arrays, "num_shared_experts", where, required=False)
    layer_ids: tuple[int, ...] = ()
    if "layer_ids" in arrays:
        ids = arrays["layer_ids"]
        if ids.ndim != 1 or ids.dtype.kind not in "iu":
            raise TraceError("expected a 1-d integer array", where=f"{where}: array 'layer_ids'")
        layer_ids = tuple(int(i) for i in ids)
    source = _scalar_str(arrays.get("source")) or _scalar_str(arrays.get("source_repo"))
    return RoutingTrace(
        topk=arrays["topk"], num_experts=num_experts, top_k=top_k,
        model=_scalar_str(arrays.get("model")), source=source, layer_ids=layer_ids,
        num_shared_experts=shared, where=where,
    )


def _scalar_int(arrays: dict[str, np.ndarray], name: str, where: str, *, required: bool) -> int:
    if name not in arrays:
        if required:
            raise TraceError(f"missing scalar '{name}'", where=where)
        return 0
    value = arrays[name]
    if value.size != 1 or value.dtype.kind not in "iu":
        raise TraceError(f"expected an integer scalar, got {value.dtype} {list(value.shape)}",
                         where=f"{where}: array '{name}'")
    return int(value.reshape(()))


def _scalar_str(value: np.ndarray | None) -> str:
    if value is None or value.size != 1 or value.dtype.kind not in "US":
        return ""
    item = value.reshape(()).item()
    return item.decode() if isinstance(item, bytes) else str(item)


def _load_folder(folder: Path) -> RoutingTrace:
    files = sorted(folder.glob("*.npz"))
    if not files:
        raise TraceError("folder holds no .npz trace files", where=str(folder))
    parts = [_load_npz(f) for f in files]
    first = parts[0]
    for part in parts[1:]:
        for attr in ("num_experts", "top_k", "num_layers", "layer_ids", "num_shared_experts"):
            if getattr(part, attr) != getattr(first, attr):
                raise TraceError(
                    f"{attr} is {getattr(part, attr)} but {files[0].name} has {getattr(first, attr)}",
                    where=part.where,
                )
        if part.model and first.model and part.model != first.model:
            raise TraceError(f"model '{part.model}' differs from '{first.model}' in {files[0].name}",
                             where=part.where)
    return RoutingTrace(
        topk=np.concatenate([p.topk for p in parts], axis=1), num_experts=first.num_experts,
        top_k=first.top_k, model=first.model, source=first.source or str(folder),
        layer_ids=first.layer_ids, num_shared_experts=first.num_shared_experts, where=str(folder),
    )


def load_csv(path: str | Path, num_experts: int, *, model: str = "") -> RoutingTrace:
    """Import a CSV trace: header ``layer,token,e0,...,e{k-1}``, one row per (layer, token).

    Layers are sorted by id; every layer must list the same token ids ``0..T-1`` (any row order).
    """
    p = Path(path)
    where = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TraceError(f"cannot read CSV ({err})", where=where) from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise TraceError("empty CSV file", where=where)
    header = [h.strip() for h in rows[0]]
    if len(header) < 3 or header[:2] != ["layer", "token"]:
        raise TraceError(f"expected header 'layer,token,e0,...', got {','.join(header)!r}", f"{where}:1")
    k = len(header) - 2
    body = [r for r in rows[1:] if r]
    if not body:
        raise TraceError("no data rows", where=where)
    try:
        data = np.array([[int(v) for v in r] for r in body], dtype=np.int64)
    except ValueError:
        line = next(i for i, r in enumerate(rows[1:], 2) if r and not all(_is_int(v) for v in r))
        raise TraceError("expected integers in every column", where=f"{where}:{line}") from None
    if data.ndim != 2 or data.shape[1] != k + 2:
        line = next(i for i, r in enumerate(rows[1:], 2) if r and len(r) != k + 2)
        raise TraceError(f"expected {k + 2} columns", where=f"{where}:{line}")
    layers = np.unique(data[:, 0])
    tokens = np.unique(data[:, 1])
    if len(data) != len(layers) * len(tokens) or not np.array_equal(tokens, np.arange(len(tokens))):
        raise TraceError("every layer must list each token id 0..T-1 exactly once", where=where)
    order = np.lexsort((data[:, 1], data[:, 0]))
    if np.unique(data[:, :2], axis=0).shape[0] != len(data):
        raise TraceError("duplicate (layer, token) rows", where=where)
    topk = data[order, 2:].reshape(len(layers), len(tokens), k)
    return RoutingTrace(topk=topk, num_experts=num_experts, top_k=k, model=model, source=where,
                        layer_ids=tuple(int(i) for i in layers), where=where)


def _is_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------------------------- saving

def trace_to_bytes(trace: RoutingTrace) -> bytes:
    """The ``.npz`` bytes of ``trace``: deterministic (fixed zip timestamps, array order, dtypes).

    ``topk`` is stored in the smallest dtype that holds the ids (``uint8`` up to 256 experts, then
    ``int16``, ``int32``) and uncompressed: expert ids carry about ``log2(N_e)`` bits each, so
    deflate saved little beyond the dtype and cost seconds on large traces (7 s for 48 x 100k x 8).
    """
    buffer = io.BytesIO()
    write_npz(trace, buffer)
    return buffer.getvalue()


def write_npz(trace: RoutingTrace, handle: BinaryIO) -> None:
    """Write the bytes of :func:`trace_to_bytes` to the seekable ``handle``, ``topk`` a layer at a time.

    Streamed: no copy of the whole ``topk`` in the file dtype, nor of the file, is built in memory.
    """
    arrays: dict[str, np.ndarray] = {
        "num_experts": np.asarray(trace.num_experts, dtype=np.int64),
        "top_k": np.asarray(trace.top_k, dtype=np.int64),
        "layer_ids": np.asarray(trace.layer_ids, dtype=np.int64),
        "num_shared_experts": np.asarray(trace.num_shared_experts, dtype=np.int64),
        "model": np.asarray(trace.model),
        "source": np.asarray(trace.source),
    }
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as zf:
        _write_topk(zf, trace.topk, np.dtype(_file_dtype(trace.num_experts)))
        for name, array in arrays.items():
            payload = io.BytesIO()
            np.lib.format.write_array(payload, array, allow_pickle=False)
            zf.writestr(_member(f"{name}.npy"), payload.getvalue())


def _member(name: str) -> zipfile.ZipInfo:
    """A stored (uncompressed) zip member with the fixed timestamp."""
    info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_STORED
    return info


def _write_topk(zf: zipfile.ZipFile, topk: np.ndarray, dtype: np.dtype[Any]) -> None:
    """``topk.npy`` in ``dtype``, written as ``np.lib.format.write_array`` writes it, a layer at a time."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": topk.shape})
    info = _member("topk.npy")
    info.file_size = header.tell() + topk.size * dtype.itemsize  # as writestr sets it: picks zip64 alike
    layer = np.empty(topk.shape[1:], dtype=dtype)
    with zf.open(info, "w") as member:
        member.write(header.getvalue())
        for index in range(topk.shape[0]):
            np.copyto(layer, topk[index], casting="unsafe")  # ids fit the file dtype
            member.write(layer.data)


def save_trace(trace: RoutingTrace, path: str | Path) -> None:
    """Write ``trace`` to ``path`` atomically (no partial file on failure)."""
    atomic_write_stream(path, partial(write_npz, trace))
