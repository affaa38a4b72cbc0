"""Expert weights larger than SRAM stream in tiles (docs/schedule.md, "Weights larger than SRAM").

tiny-moe (hidden 64, 32 experts of FFN 32, top-4) on a toy target whose expert chiplets have 4 tiles
of 0.01 MiB: S = int(0.04 x 2^20) = 41943 bytes. A cluster of 2 experts is W = 2 x 3 x 64 x 32 x 2 B
= 24576 bytes: 2W + A > S, so it cannot stay resident. A tile is t = (S - A) // 4; for any working
set A up to 9175 bytes, t lies in 8192..12287, so every MoE block streams in ceil(24576 / t) = 3 tiles
of 8192 bytes.

Tiles hold whole experts in turn (``tile-layout=expert-major``): a chiplet's 2 experts, A then B, of
P = 3 x 64 x 32 = 6144 parameters each, are cut at 2P and 4P. Tile 0 computes 2/3 of A, tile 1 the
last third of A and the first third of B, tile 2 the rest of B. Each GEMM is cut along its weight
dimension (64: ``k`` of gate and up (64 x 32), ``n`` of down (32 x 64)) at floor(64 x 2/3) = 42 and
floor(64 x 1/3) = 21: A's pieces are 42 and 22, B's 21 and 43.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from mozartc.driver import CompileOptions, CompileResult, compile_model
from mozartc.experiments.tomlw import dumps
from mozartc.ir import Region
from mozartc.isa.verify import verify_stream
from mozartc.traces.format import RoutingTrace, save_trace
from tests.executor.targets import target_tables

W = 2 * 3 * 64 * 32 * 2
SRAM = int(4 * 0.01 * (1 << 20))
MICRO_BATCHES = 3


@pytest.fixture(scope="module")
def small_sram_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tables = target_tables(groups=4, per_group=4,
                           dram=(*((f"switch{g}", 100.0) for g in range(4)), ("attention0", 100.0)))
    tables["chiplet_kinds"]["expert"]["sram_mb_per_tile"] = 0.01
    path = Path(tmp_path_factory.mktemp("tiles")) / "small-sram.toml"
    path.write_text(dumps(tables))
    return path


def compile_tiled(target: Path, pipeline: str = "mozart-c") -> CompileResult:
    return compile_model(CompileOptions(model="tiny-moe", pipeline=pipeline, target=str(target), seq_len=16,
                                        micro_batch=2, micro_batches=MICRO_BATCHES, emit="isa", run=True))


@pytest.fixture(scope="module")
def result(small_sram_target: Path) -> CompileResult:
    return compile_tiled(small_sram_target)


def tile_gemms_by_step(result: CompileResult) -> dict[tuple[str, str], list[list[tuple[int, int, int]]]]:
    """(step, chiplet) -> per tile, its GEMMs' (m, k, n), the tile found as the load its GEMMs wait for."""
    assert result.output is not None and result.output.stream is not None
    instrs = result.output.stream.instrs
    loads: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, x in enumerate(instrs):
        phase, mb, layer, step, owner = x.label.split(".")
        if step == "load_experts":
            loads[(f"{phase}.{mb}.{layer}", owner)].append(i)
    tiles: dict[tuple[str, str], list[list[tuple[int, int, int]]]] = {key: [[], [], []] for key in loads}
    for x in instrs:
        phase, mb, layer, step, owner = x.label.split(".")
        if step == "experts" and x.op == "gemm":
            key = (f"{phase}.{mb}.{layer}", owner)
            (k,) = [k for k, i in enumerate(loads[key]) if i in x.deps]
            tiles[key][k].append((x.m, x.k, x.n))
    return tiles


def test_the_plan_tiles_every_moe_block_in_three(result: CompileResult) -> None:
    schedule = next(r for r in result.module.body if isinstance(r, Region) and r.kind == "schedule")
    sram = schedule.attrs["sram"]
    assert isinstance(sram, dict)
    assert sram["tiled"] == {"experts": {"l1": 3, "l2": 3, "l3": 3}}
    expert = sram["expert0"]
    assert isinstance(expert, dict) and expert["capacity"] == SRAM == 41943
    # two weight tiles (one computing, one loading: weights + buffers) and two gradient tiles of
    # W / 3 = 8192 bytes, plus the working set
    assert expert["weights"] == expert["buffers"] == W // 3
    assert expert["gradients"] == 2 * W // 3
    assert isinstance(expert["activations"], int) and 0 < expert["activations"] <= 9175
    assert any("stream in tiles" in note for note in result.notes)


def test_tiles_compute_whole_experts_in_turn(result: CompileResult) -> None:
    tiles = tile_gemms_by_step(result)
    assert len(tiles) == 2 * MICRO_BATCHES * 3 * 16
    for per_tile in tiles.values():
        # weight dimension of each GEMM: k of gate/up (n = 32), n of down (k = 32)
        cuts = [[k if n == 32 else n for _, k, n in gemms] for gemms in per_tile]
        assert cuts == [[42, 42], [22, 22, 21, 21], [43, 43]]
        rows = [m for gemms in per_tile for m, _, _ in gemms]
        a, b = rows[0], rows[-1]
        assert rows == [a, a, a, a, b, b, b, b] and a >= b  # heaviest expert first


def test_sliced_tiles_cut_every_expert(small_sram_target: Path) -> None:
    sliced = compile_tiled(small_sram_target, "expert-cluster{method=cpsat},allocate{method=bip},a2a-dedup,"
                                              "stream-schedule{tile-layout=sliced}")
    for per_tile in tile_gemms_by_step(sliced).values():
        # every tile: both experts' gate/up and down, the weight dimension 64 cut in ceil(64 / 3) = 22
        assert [[k if n == 32 else n for _, k, n in gemms] for gemms in per_tile] == [[22] * 4] * 3


def test_report_sram_never_exceeds_capacity(result: CompileResult) -> None:
    assert result.report is not None
    sram = result.report["sram_bytes"]
    assert len(sram) == 17
    assert all(entry["peak"] <= entry["capacity"] for entry in sram.values())


def test_tiles_stream_every_micro_batch_through_two_buffers(result: CompileResult) -> None:
    assert result.output is not None and result.output.stream is not None
    stream = result.output.stream
    instrs = stream.instrs
    verify_stream(stream)
    loads: dict[tuple[str, str], list[int]] = defaultdict(list)  # (step, chiplet) -> tile loads
    computes: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, x in enumerate(instrs):
        phase, mb, layer, step, owner = x.label.split(".")
        if step == "load_experts":
            loads[(f"{phase}.{mb}.{layer}", owner)].append(i)
        elif step == "experts" and x.op == "gemm":
            computes[(f"{phase}.{mb}.{layer}", owner)].append(i)
    # every phase and micro-batch of the 3 MoE layers loads each expert chiplet's cluster in 3 tiles
    assert len(loads) == 2 * MICRO_BATCHES * 3 * 16
    assert all(len(v) == 3 and all(instrs[i].bytes == W // 3 for i in v) for v in loads.values())
    for key, tile_loads in loads.items():
        gemms = computes[key]
        # 2 + 4 + 2 GEMMs (module docstring); every GEMM waits for its own tile's load
        tile_of = [next(k for k in range(3) if tile_loads[k] in instrs[i].deps) for i in gemms]
        assert tile_of == [0, 0, 1, 1, 1, 1, 2, 2]
        last_of_tile = [gemms[1], gemms[5], gemms[7]]
        # tile 2's load waits for tile 0's compute (two tile buffers)
        assert last_of_tile[0] in instrs[tile_loads[2]].deps


def test_gradients_of_a_tiled_block_accumulate_in_dram(result: CompileResult) -> None:
    schedule = next(r for r in result.module.body if isinstance(r, Region) and r.kind == "schedule")
    steps = {op.result_name for op in schedule.ops()}
    for layer in (1, 2, 3):
        # written after every micro-batch but the last (which updates and stores the weights),
        # read back before every micro-batch but the first
        assert {f"bwd.m{m}.l{layer}.store_grads_experts" for m in range(MICRO_BATCHES - 1)} <= steps
        assert f"bwd.m{MICRO_BATCHES - 1}.l{layer}.store_grads_experts" not in steps
        assert {f"bwd.m{m}.l{layer}.load_grads_experts" for m in range(1, MICRO_BATCHES)} <= steps
        assert f"bwd.m0.l{layer}.load_grads_experts" not in steps
    # the dense first layer and the head still fit: they load once per phase
    assert "fwd.m1.l0.load_dense" not in steps and "fwd.m0.l0.load_dense" in steps


def test_experts_without_tokens_still_stream_their_tiles(small_sram_target: Path, tmp_path: Path) -> None:
    # experts 28-31 never fire; contiguous clusters put them on expert14 and expert15 (two each)
    rng = np.random.default_rng(0)
    topk = np.stack([np.stack([rng.choice(28, 4, replace=False) for _ in range(500)]) for _ in range(3)])
    save_trace(RoutingTrace(topk=topk, num_experts=32, top_k=4, layer_ids=(1, 2, 3)), tmp_path / "t.npz")
    result = compile_model(CompileOptions(
        model="tiny-moe", target=str(small_sram_target), trace=str(tmp_path / "t.npz"), seq_len=16,
        micro_batch=2, micro_batches=2, emit="isa", run=True,
        pipeline="expert-cluster{method=contiguous},allocate{method=round-robin},stream-schedule"))
    assert result.output is not None and result.output.stream is not None
    instrs = result.output.stream.instrs
    verify_stream(result.output.stream)
    for chiplet in ("expert14", "expert15"):
        step = f"fwd.m0.l1.experts.{chiplet}"
        mine = [i for i, x in enumerate(instrs) if x.label in (step, f"fwd.m0.l1.load_experts.{chiplet}")]
        loads = [i for i in mine if instrs[i].op == "load"]
        ends = [i for i in mine if instrs[i].op == "barrier"]
        assert len(loads) == len(ends) == 3 and not any(instrs[i].op == "gemm" for i in mine)
        # each tile ends when its load does; tile 2 loads into tile 0's freed buffer
        assert all(load in instrs[end].deps for load, end in zip(loads, ends, strict=True))
        assert ends[0] in instrs[loads[2]].deps
