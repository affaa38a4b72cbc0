"""Cost models: small pure functions, each with its formula. Times are seconds, sizes bytes.

GEMM convention everywhere: ``(M x K) @ (K x N)``; M is tokens (rows of activations), K the
reduction dimension, N the output features. An array has ``rows x cols`` processing elements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mozartc.errors import TargetError
from mozartc.hw.target import GBPS_BYTES, Chiplet, Target

DATAFLOWS = ("os", "ws", "is")


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def sa_gemm_folds(M: int, K: int, N: int, rows: int, cols: int, dataflow: str) -> int:
    """Number of folds (array-sized pieces of the GEMM run one after another).

    os: ``ceil(M/rows) * ceil(N/cols)`` (each PE keeps one output);
    ws: ``ceil(K/rows) * ceil(N/cols)`` (each PE keeps one weight);
    is: ``ceil(K/rows) * ceil(M/cols)`` (each PE keeps one input).
    A partial fold (a dimension not divisible by the array) costs as much as a full one.
    """
    if dataflow == "os":
        return _ceil_div(M, rows) * _ceil_div(N, cols)
    if dataflow == "ws":
        return _ceil_div(K, rows) * _ceil_div(N, cols)
    if dataflow == "is":
        return _ceil_div(K, rows) * _ceil_div(M, cols)
    raise ValueError(f"dataflow must be one of {DATAFLOWS}, got {dataflow!r}")


def sa_gemm_cycles(M: int, K: int, N: int, rows: int, cols: int, dataflow: str) -> int:
    """Compute cycles of one ``rows x cols`` systolic array for an (M x K) @ (K x N) GEMM.

    With ``F = sa_gemm_folds(...)`` and ``T`` the streamed (temporal) dimension::

        os: T = K   cycles = F * (T + rows + cols - 2) - 1
        ws: T = M   cycles = F * (T + 2*rows + cols - 2) - 1
        is: T = N   cycles = F * (T + 2*rows + cols - 2) - 1

    Per fold: ``T`` cycles to stream operands, ``rows - 1 + cols - 1`` for the skewed fill and
    drain of the wavefront; weight/input-stationary folds first spend ``rows`` cycles loading the
    stationary operand. Folds do not overlap. The final ``- 1`` matches SCALE-Sim v3, whose count
    this reproduces exactly (benchmarks/scalesim_compare.py, docs/hardware.md).
    Example: M=K=N=4 on 4x4, os: 1 fold, 4+4+4-2-1 = 9 cycles.
    """
    if min(M, K, N, rows, cols) <= 0:
        raise ValueError(f"GEMM and array sizes must be positive, got {(M, K, N, rows, cols)}")
    folds = sa_gemm_folds(M, K, N, rows, cols, dataflow)
    temporal = {"os": K, "ws": M, "is": N}[dataflow]
    load = 0 if dataflow == "os" else rows
    return folds * (temporal + load + rows + cols - 2) - 1


def sa_gemm_sram_elements(M: int, K: int, N: int, rows: int, cols: int, dataflow: str) -> tuple[int, int]:
    """(reads, writes) of SRAM elements by one array for an (M x K) @ (K x N) GEMM, no reuse across folds.

        os: reads  = M*K*ceil(N/cols) + K*N*ceil(M/rows)    writes = M*N
        ws: reads  = K*N + M*K*ceil(N/cols)                  writes = M*N*ceil(K/rows)
        is: reads  = M*K + K*N*ceil(M/cols)                  writes = M*N*ceil(K/rows)

    The stationary operand is read once; the streamed operand once per fold across it; ws/is
    write one partial sum per output per K fold (os keeps the sum in the PE).
    Example: 8x8x8 on 4x4, os: reads 64*2 + 64*2 = 256, writes 64.
    """
    if dataflow == "os":
        return M * K * _ceil_div(N, cols) + K * N * _ceil_div(M, rows), M * N
    if dataflow == "ws":
        return K * N + M * K * _ceil_div(N, cols), M * N * _ceil_div(K, rows)
    if dataflow == "is":
        return M * K + K * N * _ceil_div(M, cols), M * N * _ceil_div(K, rows)
    raise ValueError(f"dataflow must be one of {DATAFLOWS}, got {dataflow!r}")


@dataclass(frozen=True)
class GemmSplit:
    """How a GEMM is spread over the arrays of a chiplet, and what it costs."""

    split_m: int
    split_n: int
    split_k: int
    arrays_used: int
    cycles: int
    seconds: float
    utilization: float
    sram_bytes_per_tile: int
    sram_seconds: float

    @property
    def bound_seconds(self) -> float:
        """``max(seconds, sram_seconds)``: compute time unless the tile SRAM cannot feed the arrays."""
        return max(self.seconds, self.sram_seconds)


@lru_cache(maxsize=4096)
def _best_split(M: int, K: int, N: int, tiles: int, arrays_per_tile: int, rows: int, cols: int,
                dataflow: str) -> tuple[int, int, int, int]:
    best: tuple[int, int, int, int, int] | None = None  # (cycles, arrays used, pm, pn, pk)
    for pk in (d for d in range(1, arrays_per_tile + 1) if arrays_per_tile % d == 0 and d <= K):
        slots = tiles * arrays_per_tile // pk
        for pm in range(1, min(slots, M) + 1):
            pn = min(slots // pm, N)
            sub = sa_gemm_cycles(_ceil_div(M, pm), _ceil_div(K, pk), _ceil_div(N, pn), rows, cols, dataflow)
            adder = math.ceil(math.log2(pk)) if pk > 1 else 0
            candidate = (sub + adder, pm * pn * pk, pm, pn, pk)
            if best is None or candidate < best:
                best = candidate
    assert best is not None
    cycles, _, pm, pn, pk = best
    return cycles, pm, pn, pk


def chiplet_gemm(M: int, K: int, N: int, chip: Chiplet, clock_ghz: float, bytes_per_element: int = 2) -> GemmSplit:
    """Split an (M x K) @ (K x N) GEMM over the ``tiles * arrays_per_tile`` arrays of a chiplet.

    The output is cut into ``pm x pn`` blocks, one per array slot; inside a tile the ``pk`` arrays
    of a slot may also split K and add their partial sums in the tile's adder tree
    (``ceil(log2 pk)`` extra cycles). Search over ``pk | arrays_per_tile`` and ``pm``, with
    ``pn = floor(arrays / pk / pm)``, for the fewest cycles (ties: fewer arrays)::

        cycles      = sa_gemm_cycles(ceil(M/pm), ceil(K/pk), ceil(N/pn), rows, cols, df) + adder
        seconds     = cycles / (clock_ghz * 1e9)
        utilization = M*K*N / (tiles * arrays_per_tile * rows * cols * cycles)   (<= 1)

    SRAM side (reported, not folded into ``seconds``): the busiest tile hosts
    ``a = min(arrays_per_tile, arrays_used)`` arrays, each moving ``sa_gemm_sram_elements`` of its
    sub-GEMM::

        sram_bytes_per_tile = a * (reads + writes) * bytes_per_element
        sram_seconds        = sram_bytes_per_tile / (sram_gbps_per_tile * 1e9)
    """
    kind = chip.kind
    cycles, pm, pn, pk = _best_split(M, K, N, kind.tiles, kind.arrays_per_tile, kind.array_rows,
                                     kind.array_cols, kind.dataflow)
    util = M * K * N / (chip.pes * cycles)
    used = pm * pn * pk
    reads, writes = sa_gemm_sram_elements(_ceil_div(M, pm), _ceil_div(K, pk), _ceil_div(N, pn), kind.array_rows,
                                          kind.array_cols, kind.dataflow)
    tile_bytes = min(kind.arrays_per_tile, used) * (reads + writes) * bytes_per_element
    return GemmSplit(pm, pn, pk, used, cycles, cycles / (clock_ghz * 1e9), util, tile_bytes,
                     tile_bytes / (chip.sram_gbps_per_tile * GBPS_BYTES))


def transfer_time(nbytes: float, bandwidth_gbps: float, latency_ns: float) -> float:
    """Time to move ``nbytes`` alone over a route: ``latency_ns * 1e-9 + nbytes / (bandwidth_gbps * 1e9)``.

    ``bandwidth_gbps`` is the route's smallest capacity (cut-through: the bytes pipeline through the
    hops, the latency is paid once). With other traffic the executor shares bandwidth
    (docs/executor.md); this is the lone time. Zero bytes cost nothing (no request is sent).
    """
    if nbytes < 0 or bandwidth_gbps <= 0:
        raise ValueError("nbytes must be >= 0 and bandwidth > 0")
    if nbytes == 0:
        return 0.0
    return latency_ns * 1e-9 + nbytes / (bandwidth_gbps * GBPS_BYTES)


def switch_reduction_time(nbytes_per_input: float, inputs: int, target: Target) -> float:
    """In-switch sum of ``inputs`` equal-size vectors into one.

    The adder reads every input once: ``latency + inputs * nbytes_per_input / reduction_gbps``.
    Raises TargetError when the target's switches do not reduce.
    """
    if not target.switch.reduction or target.switch.reduction_gbps is None:
        raise TargetError("the target's switches have no in-network reduction", where="switch.reduction")
    if inputs < 1:
        raise ValueError("a reduction needs at least one input")
    return transfer_time(inputs * nbytes_per_input, target.switch.reduction_gbps, target.switch.latency_ns)
