"""IR types: what an SSA value holds.

Text forms::

    tensor<8x256x2048xf16>   a dense tensor (shape then element type)
    routing<2048x8>          top-k routing decisions: tokens x k expert ids (with their weights)
    event                    a schedule event (no data; orders work)
"""

from __future__ import annotations

from dataclasses import dataclass

# Element types and their size in bytes.
DTYPE_BYTES: dict[str, int] = {
    "f32": 4, "f16": 2, "bf16": 2, "fp8": 1, "i64": 8, "i32": 4, "i8": 1, "i1": 1,
}


@dataclass(frozen=True)
class TensorType:
    """A dense tensor of ``shape`` and element type ``dtype``."""

    shape: tuple[int, ...]
    dtype: str

    def __str__(self) -> str:
        dims = "".join(f"{d}x" for d in self.shape)
        return f"tensor<{dims}{self.dtype}>"

    @property
    def numel(self) -> int:
        """Number of elements."""
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        """Size in bytes: ``numel * bytes(dtype)``."""
        return self.numel * DTYPE_BYTES[self.dtype]


@dataclass(frozen=True)
class RoutingType:
    """Routing decisions: for each of ``tokens`` tokens, ``k`` expert ids and gate weights."""

    tokens: int
    k: int

    def __str__(self) -> str:
        return f"routing<{self.tokens}x{self.k}>"


@dataclass(frozen=True)
class EventType:
    """A schedule event: carries no data, only ordering."""

    def __str__(self) -> str:
        return "event"


Type = TensorType | RoutingType | EventType
