"""Cost models: hand-checked small cases (worked in the comments) and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.errors import TargetError
from mozartc.hw import default_target_path, load_target
from mozartc.hw.cost import (
    chiplet_gemm,
    sa_gemm_cycles,
    sa_gemm_folds,
    sa_gemm_sram_elements,
    switch_reduction_time,
    transfer_time,
)
from mozartc.hw.schema import ChipletKindSpec
from mozartc.hw.target import Chiplet, Target


@pytest.fixture(scope="module")
def wafer() -> Target:
    return load_target(default_target_path())


@pytest.mark.parametrize(
    ("M", "K", "N", "rows", "cols", "df", "expected"),
    [
        # os, 1 fold: K + rows + cols - 2 - 1 = 4 + 4 + 4 - 2 - 1
        (4, 4, 4, 4, 4, "os", 9),
        # os, ceil(8/4) * ceil(4/4) = 2 folds of 10, minus 1
        (8, 4, 4, 4, 4, "os", 19),
        # ws, ceil(7/4) * ceil(6/4) = 4 folds of M + 2*rows + cols - 2 = 5 + 8 + 4 - 2 = 15 -> 59
        (5, 7, 6, 4, 4, "ws", 59),
        # is, ceil(7/4) * ceil(5/4) = 4 folds of N + 2*rows + cols - 2 = 6 + 8 + 4 - 2 = 16 -> 63
        (5, 7, 6, 4, 4, "is", 63),
        # os, 4 folds of 7 + 4 + 4 - 2 = 13 -> 51 (partial tiles cost a full fold)
        (5, 7, 6, 4, 4, "os", 51),
        # non-square arrays, numbers measured with SCALE-Sim v3 (see docs/hardware.md)
        (13, 9, 11, 4, 8, "os", 151),  # ceil(13/4)*ceil(11/8) = 8 folds * (9+4+8-2) - 1
        (13, 9, 11, 4, 8, "ws", 161),  # ceil(9/4)*ceil(11/8) = 6 folds * (13+8+8-2) - 1
        (13, 9, 11, 4, 8, "is", 149),  # ceil(9/4)*ceil(13/8) = 6 folds * (11+8+8-2) - 1
        (13, 9, 11, 8, 4, "ws", 185),  # ceil(9/8)*ceil(11/4) = 6 folds * (13+16+4-2) - 1
    ],
)
def test_sa_gemm_cycles_hand_cases(M: int, K: int, N: int, rows: int, cols: int, df: str, expected: int) -> None:
    assert sa_gemm_cycles(M, K, N, rows, cols, df) == expected


def test_folds() -> None:
    assert sa_gemm_folds(100, 64, 50, 16, 16, "os") == 7 * 4  # ceil(100/16) * ceil(50/16)
    assert sa_gemm_folds(100, 64, 50, 16, 16, "ws") == 4 * 4  # ceil(64/16) * ceil(50/16)
    assert sa_gemm_folds(100, 64, 50, 16, 16, "is") == 4 * 7  # ceil(64/16) * ceil(100/16)


def test_bad_dataflow_and_sizes() -> None:
    with pytest.raises(ValueError):
        sa_gemm_cycles(4, 4, 4, 4, 4, "rs")
    with pytest.raises(ValueError):
        sa_gemm_cycles(0, 4, 4, 4, 4, "os")


@settings(max_examples=200, deadline=None)
@given(M=st.integers(1, 3000), dm=st.integers(0, 500), K=st.integers(1, 3000), N=st.integers(1, 3000),
       rows=st.integers(2, 64), cols=st.integers(2, 64), df=st.sampled_from(["os", "ws", "is"]))
def test_cycles_monotone_in_m_and_bounded_by_work(M: int, dm: int, K: int, N: int, rows: int, cols: int,
                                                  df: str) -> None:
    cycles = sa_gemm_cycles(M, K, N, rows, cols, df)
    assert sa_gemm_cycles(M + dm, K, N, rows, cols, df) >= cycles
    assert cycles * rows * cols >= M * K * N  # no array does more than rows*cols MACs a cycle


def _chip(tiles: int, arrays: int, rows: int, cols: int, df: str = "os") -> Chiplet:
    kind = ChipletKindSpec(tiles=tiles, arrays_per_tile=arrays, array_rows=rows, array_cols=cols, dataflow=df,
                           sram_mb_per_tile=1.0, sram_bandwidth_gbps_per_tile=1.0, d2d_links_per_edge=1)
    return Chiplet("expert0", "expert", "k", kind, 0, 1.0)


def test_chiplet_gemm_hand_case() -> None:
    # 1 tile x 2 arrays of 4x4, os, (8x4)@(4x4). Candidates:
    #   pm=2, pn=1: each array (4x4)@(4x4): 9 cycles             <- best
    #   pm=1, pn=2: (8x4)@(4x2): 2 folds * 10 - 1 = 19
    #   pk=2: (8x2)@(2x4): 2 folds * (2+4+4-2) - 1 = 15, + 1 adder-tree level = 16
    split = chiplet_gemm(8, 4, 4, _chip(1, 2, 4, 4), clock_ghz=1.0)
    assert (split.split_m, split.split_n, split.split_k, split.arrays_used) == (2, 1, 1, 2)
    assert split.cycles == 9 and split.seconds == pytest.approx(9e-9)
    assert split.utilization == pytest.approx(8 * 4 * 4 / (2 * 16 * 9))  # 0.444


def test_chiplet_gemm_k_split_when_it_wins() -> None:
    # 1 tile x 4 arrays of 2x2, os, (2x64)@(64x2): M and N fit one array, so only K can be split.
    # pk=4: (2x16)@(16x2) = 16 + 2 + 2 - 2 - 1 = 17 cycles + ceil(log2 4) = 2 -> 19 (vs 65 unsplit)
    split = chiplet_gemm(2, 64, 2, _chip(1, 4, 2, 2), clock_ghz=2.0)
    assert (split.split_k, split.cycles) == (4, 19)
    assert split.seconds == pytest.approx(19 / 2e9)


@settings(max_examples=60, deadline=None)
@given(M=st.integers(1, 600), K=st.integers(1, 600), N=st.integers(1, 600),
       tiles=st.integers(1, 6), arrays=st.sampled_from([1, 2, 4, 8]), rows=st.integers(2, 16),
       df=st.sampled_from(["os", "ws", "is"]))
def test_chiplet_utilization_at_most_one(M: int, K: int, N: int, tiles: int, arrays: int, rows: int,
                                         df: str) -> None:
    split = chiplet_gemm(M, K, N, _chip(tiles, arrays, rows, rows, df), 1.0)
    assert 0 < split.utilization <= 1.0
    assert split.arrays_used <= tiles * arrays
    assert split.cycles <= sa_gemm_cycles(M, K, N, rows, rows, df)  # one array is always a candidate


def test_transfer_time() -> None:
    # 1 GB at 100 GB/s = 10 ms, plus 50 ns
    assert transfer_time(1e9, 100.0, 50.0) == pytest.approx(0.01 + 50e-9)
    assert transfer_time(0, 100.0, 50.0) == 0.0
    with pytest.raises(ValueError):
        transfer_time(1.0, 0.0, 0.0)


def test_lone_transfer_on_the_wafer(wafer: Target) -> None:
    # dram0 -> switch0 -> expert0 alone: 256 MB at the HBM2 stack's 256 GB/s = 1 ms, + 100 + 5 + 4 ns
    assert transfer_time(256e6, 256.0, 109.0) == pytest.approx(1e-3 + 109e-9)


def test_switch_reduction_time(wafer: Target) -> None:
    # wafer switch: 4 ns; reduction 1154 GB/s (4 ports of 288.5)
    # 4 inputs of 288.5 MB = 1.154 GB read by the adder at 1154 GB/s = 1 ms, + 4 ns
    assert switch_reduction_time(288.5e6, 4, wafer) == pytest.approx(1e-3 + 4e-9)


def test_switch_reduction_off(wafer: Target) -> None:
    spec = wafer.switch.model_copy(update={"reduction": False, "reduction_gbps": None})
    no_reduce = Target(**{**wafer.__dict__, "switch": spec})
    with pytest.raises(TargetError, match="no in-network reduction"):
        switch_reduction_time(1.0, 2, no_reduce)


def test_sram_elements_hand_cases() -> None:
    # 8x8x8 on 4x4. os: A read ceil(8/4)=2 times (128), B read 2 times (128); C written once (64)
    assert sa_gemm_sram_elements(8, 8, 8, 4, 4, "os") == (256, 64)
    # ws: B once (64) + A once per N fold (2 x 64); partial sums per K fold: 64 x 2
    assert sa_gemm_sram_elements(8, 8, 8, 4, 4, "ws") == (192, 128)
    # is: A once (64) + B once per M fold (2 x 64); partial sums per K fold: 64 x 2
    assert sa_gemm_sram_elements(8, 8, 8, 4, 4, "is") == (192, 128)


def test_chiplet_gemm_sram_side() -> None:
    # hand case above: 2 arrays (one tile), each (4x4)@(4x4) os: reads 16 + 16, writes 16 -> 48 elements,
    # x 2 arrays x 2 B = 192 B at 1 GB/s = 192 ns > 9 ns of compute
    split = chiplet_gemm(8, 4, 4, _chip(1, 2, 4, 4), clock_ghz=1.0)
    assert split.sram_bytes_per_tile == 192
    assert split.sram_seconds == pytest.approx(192e-9)
    assert split.bound_seconds == pytest.approx(192e-9)
