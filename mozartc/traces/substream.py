"""Stretches of one PCG64 stream's float32 uniforms drawn on other threads, byte for byte.

``Generator.random(dtype=np.float32)`` takes 32 bits an entry from the bit generator: the low half of
a 64-bit PCG64 output, then its high half (kept in the state as ``has_uint32`` / ``uinteger``), then
the next output. So ``count`` such uniforms move the stream by a known number of 64-bit outputs, and
the thread that owns the stream can hand its current state to a worker, which draws them from a copy
(:meth:`Substream.fill`), and jump past them itself (:func:`skip_float32`: ``PCG64.advance``, a
128-bit multiply-add chain of O(log count) steps). Every later draw then reads the same numbers as
when the one thread drew everything in order, so the bytes do not depend on how many workers draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

_MASK32 = 0xFFFFFFFF


def skip_float32(bit_generator: np.random.BitGenerator, count: int) -> None:
    """Move ``bit_generator`` (a PCG64) past the ``count`` float32 uniforms ``Generator.random`` would draw."""
    if not isinstance(bit_generator, np.random.PCG64):
        raise TypeError(f"skip_float32 needs a PCG64 bit generator, got {type(bit_generator).__name__}")
    if count <= 0:
        return
    state = bit_generator.state
    if state["has_uint32"]:  # the first uniform reads the kept high half
        count -= 1
        bit_generator.state = {**state, "has_uint32": 0, "uinteger": 0}
    whole, half = divmod(count, 2)
    if whole:
        bit_generator.advance(whole)  # also clears the kept half: none is left here
    if half:  # the last uniform reads a low half: the high half stays kept for the next draw
        high = int(bit_generator.random_raw()) >> 32
        bit_generator.state = {**bit_generator.state, "has_uint32": 1, "uinteger": high & _MASK32}


class Substream:
    """One worker's generator: draws from a copy of a state another thread handed over."""

    def __init__(self) -> None:
        self._generator = np.random.Generator(np.random.PCG64(0))  # fixed seed: every state is set before use

    def fill(self, state: Mapping[str, Any], out: np.ndarray) -> None:
        """Fill ``out`` (float32) with the uniforms a ``Generator`` in ``state`` would draw next."""
        self._generator.bit_generator.state = state
        self._generator.random(out=out, dtype=np.float32)
