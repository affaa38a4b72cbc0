"""The synthetic generator's top-k: the float32 exponential race's selection, exactly, fast.

The generator (:mod:`mozartc.traces.synth`) picks a token's experts as the top-k of
``key_te = log(1 - U_te) * inv_w_te`` in float32. The plain numpy code it replaced selected them with
``np.argpartition`` and a stable ``np.argsort`` (4 ns a key); :func:`top_k_desc` selects the same
experts in the same order in about a third of that: keys are <= 0, so their bits read as uint32
sort ascending exactly as the keys sort descending. The expert id replaces the low
``ceil(log2 N_e)`` bits, one SIMD ``np.partition`` finds the k+1 smallest and a sort of those k+1
orders them. A row where two of them agree in the bits left (about one in 10^4 with 128 experts;
exact float32 ties among them too) is redone by the replaced code itself, so even exact ties come
out as before: numpy does not specify their order, but computes it from the row alone.
"""

from __future__ import annotations

import numpy as np

# Expert-id bits packed into a uint32 key; more experts than 2**12 use uint64 (key bits << 32 | id).
_MAX_PACKED_ID_BITS = 12


class Scratch:
    """One thread's reusable arrays: a fresh megabyte-sized numpy array costs a page fault per 4 KiB,
    more than the arithmetic done in it."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, int], dtype: type[np.generic]) -> np.ndarray:
        """An uninitialised C-contiguous array ``shape`` of ``dtype``, reusing the memory of ``name``."""
        size = shape[0] * shape[1]
        buf = self._arrays.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = self._arrays[name] = np.empty(size, dtype=dtype)
        return buf[:size].reshape(shape)

    def column_ids(self, shape: tuple[int, int]) -> np.ndarray:
        """``ids[t, e] = e`` (uint32): an OR with a whole array is twice as fast as with a broadcast row."""
        key = f"ids{shape[1]}"
        ids = self._arrays.get(key)
        if ids is None or ids.shape[0] < shape[0]:
            ids = self._arrays[key] = np.tile(np.arange(shape[1], dtype=np.uint32), (shape[0], 1))
        return ids[:shape[0]]


def top_k_desc(key: np.ndarray, k: int, scratch: Scratch) -> np.ndarray:
    """Column ids of the ``k`` largest entries of each row of ``key`` (float32, all <= 0), largest first.

    Exactly the top-k by value, and equal keys ordered as ``np.argpartition`` and a stable
    ``np.argsort`` of the descending keys order them (:func:`_argpartition_top_k`).
    """
    width = key.shape[1]
    bits = np.ascontiguousarray(key, dtype=np.float32).view(np.uint32)
    id_bits = max(1, (width - 1).bit_length())
    if id_bits <= _MAX_PACKED_ID_BITS:
        shift = id_bits
        packed = scratch.get("bits", key.shape, np.uint32)
        np.bitwise_and(bits, np.uint32((0xFFFFFFFF >> id_bits) << id_bits), out=packed)
        packed |= scratch.column_ids(key.shape)
    else:
        shift = 32
        packed = bits.astype(np.uint64)
        packed <<= np.uint64(32)
        packed |= np.arange(width, dtype=np.uint64)
    m = min(k + 1, width)
    if m < width:
        packed.partition(m - 1, axis=1)
    head = np.sort(packed[:, :m], axis=1)
    cols = head[:, :k] & packed.dtype.type((1 << shift) - 1)
    high = head >> packed.dtype.type(shift)
    tied = high[:, 1:] == high[:, :-1]
    if tied.any():  # rare: about one row in 10^4 for 128 experts
        unsure = np.flatnonzero(tied.any(axis=1))
        cols[unsure] = _argpartition_top_k(key[unsure], k)
    return cols


def _argpartition_top_k(key: np.ndarray, k: int) -> np.ndarray:
    """The replaced code's top-k: ``np.argpartition``, then a stable sort of the k by descending key.

    Used on the rows whose order the packed bits cannot tell, so that exact ties come out as they did.
    """
    width = key.shape[1]
    part = np.argpartition(key, width - k, axis=1)[:, width - k:]
    order = np.argsort(-np.take_along_axis(key, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)
