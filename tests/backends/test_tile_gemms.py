"""What each weight tile of a streamed block computes (``compute.tile_gemms``), worked by hand."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mozartc.backends.mozart.compute import Gemm, Part, tile_gemms


def flops(gemms: list[Gemm]) -> int:
    return sum(2 * m * k * n * c for m, k, n, c in gemms)


def test_expert_major_cuts_two_experts_in_three_tiles() -> None:
    # experts A and B of weight 3 each: cut at 2 and 4; gate/up (m, 64, 32) cut along k, down along n
    a: Part = (3, [(32, 64, 32, 2), (32, 32, 64, 1)])
    b: Part = (3, [(16, 64, 32, 2), (16, 32, 64, 1)])
    assert tile_gemms([a, b], 0, 3, "expert-major") == [(32, 42, 32, 2), (32, 32, 42, 1)]
    assert tile_gemms([a, b], 1, 3, "expert-major") == [(32, 22, 32, 2), (32, 32, 22, 1),
                                                        (16, 21, 32, 2), (16, 32, 21, 1)]
    assert tile_gemms([a, b], 2, 3, "expert-major") == [(16, 43, 32, 2), (16, 32, 43, 1)]


def test_expert_major_tiles_larger_than_an_expert_hold_whole_experts() -> None:
    # four experts in two tiles: two whole experts each, GEMMs uncut
    parts: list[Part] = [(5, [(8, 4, 6, 1)]), (5, [(8, 4, 6, 1)]), (5, [(9, 4, 6, 1)]), (5, [(9, 4, 6, 1)])]
    assert tile_gemms(parts, 0, 2, "expert-major") == [(8, 4, 6, 1), (8, 4, 6, 1)]
    assert tile_gemms(parts, 1, 2, "expert-major") == [(9, 4, 6, 1), (9, 4, 6, 1)]


def test_an_expert_without_tokens_still_takes_its_share_of_the_tiles() -> None:
    parts: list[Part] = [(1, [(8, 4, 6, 1)]), (1, [])]
    assert tile_gemms(parts, 0, 2, "expert-major") == [(8, 4, 6, 1)]
    assert tile_gemms(parts, 1, 2, "expert-major") == []


def test_one_part_cuts_like_equal_pieces() -> None:
    # a single block (attention): the weight dimension 10 in 3 floor pieces 3, 3, 4
    part: Part = (1, [(7, 10, 2, 1)])
    assert [tile_gemms([part], k, 3, "expert-major") for k in range(3)] == [
        [(7, 3, 2, 1)], [(7, 3, 2, 1)], [(7, 4, 2, 1)]]


def test_sliced_cuts_every_gemm_in_every_tile() -> None:
    parts: list[Part] = [(3, [(32, 64, 32, 2)]), (3, [(16, 32, 64, 1)])]
    for k in range(3):
        assert tile_gemms(parts, k, 3, "sliced") == [(32, 22, 32, 2), (16, 32, 22, 1)]


gemm = st.tuples(st.integers(1, 64), st.integers(1, 300), st.integers(1, 300), st.integers(1, 3))
part = st.tuples(st.integers(1, 10_000), st.lists(gemm, max_size=3))


@given(st.lists(part, min_size=1, max_size=12), st.integers(1, 40))
def test_expert_major_tiles_add_up_to_the_untiled_work(parts: list[Part], count: int) -> None:
    tiles = [tile_gemms(parts, k, count, "expert-major") for k in range(count)]
    assert sum(flops(t) for t in tiles) == flops([g for _, gemms in parts for g in gemms])
    # a part's GEMMs are cut at most once per tile boundary inside it: parts + tiles - 1 pieces
    assert sum(len(t) for t in tiles) <= sum(len(g) for _, g in parts) + (count - 1) * max(
        len(g) for _, g in parts)
