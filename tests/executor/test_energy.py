"""Energy per step: hand-computed small streams, invariants, the report keys and the summary line.

The toy target (tests/executor/targets.py) has attention0 and expert0, expert1 behind switch0, one
DRAM stack dram0 on switch0, 4 tiles per chiplet, fp16 (2 bytes). The energy table below uses round
numbers so every expectation is worked by hand in pJ (1 pJ = 1e-12 J).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.driver import CompileOptions, compile_model
from mozartc.executor import execute, format_summary, make_report, report_json
from mozartc.executor.energy import COMPONENTS, _exact_sums, _Terms, activity, step_energy, tokens_per_step
from mozartc.hw import Target, default_target_path, load_target, target_from_dict
from mozartc.hw.schema import EnergySpec
from mozartc.isa.instr import Instr, Stream
from mozartc.isa.signatures import StreamSignatures
from tests.executor.targets import target_tables

PJ = 1e-12
ENERGY: dict[str, Any] = {
    "mac_pj": 1.0, "add_pj": 0.5, "sram_pj_per_bit": 0.25, "f2f_pj_per_bit": 0.05, "link_pj_per_bit": 0.5,
    "switch_pj_per_bit": 0.4, "chiplet_static_w_per_tile": 2.0, "switch_static_w": 3.0,
    "gemm_sram_reads": "once", "dram": {"hbm0": {"pj_per_bit": 4.0, "static_w": 1.0}},
}
#: 3 chiplets x 4 tiles x 2 W + 1 switch x 3 W + 1 stack x 1 W
STATIC_W = 3 * 4 * 2.0 + 3.0 + 1.0


def toy(**energy: Any) -> Target:
    tables = target_tables()
    tables["energy"] = {**ENERGY, **energy}
    return target_from_dict(tables, "toy")


def gemm(m: int, k: int, n: int, count: int = 1, unit: str = "expert0") -> Instr:
    return Instr("gemm", "compute", "g", unit=unit, m=m, k=k, n=n, count=count)


def load(nbytes: int) -> Instr:
    return Instr("load", "dram_load", "l", src="dram0", dst="expert0", bytes=nbytes)


def send(nbytes: int) -> Instr:
    return Instr("send", "all_to_all", "s", src="expert0", dst="attention0", bytes=nbytes)


def joules(target: Target, *instrs: Instr) -> tuple[dict[str, float], float]:
    tl = execute(Stream("t", {}, tuple(instrs)), target)
    out = step_energy(tl)
    assert out is not None
    return out, tl.step_time


def test_one_gemm_one_load_one_send_by_hand() -> None:
    energy, step = joules(toy(), gemm(8, 16, 4, count=2), load(1000), send(500))
    # gemm: 8*16*4*2 = 1024 MACs x 1 pJ; SRAM (8*16 + 16*4 + 8*4) x 2 = 448 elements = 7168 bits x 0.3 pJ
    # load dram0 -> switch0 -> expert0, 8000 bits: DRAM 8000 x 4, one link 8000 x 0.5, switch0's crossbar
    #   8000 x 0.4, written to expert0's SRAM 8000 x 0.3
    # send expert0 -> switch0 -> attention0, 4000 bits: two links 2 x 4000 x 0.5, one crossbar 4000 x 0.4,
    #   read and written in SRAM 2 x 4000 x 0.3
    assert energy["compute"] == pytest.approx(1024 * PJ)
    assert energy["sram"] == pytest.approx((7168 + 8000 + 8000) * 0.3 * PJ)
    assert energy["links"] == pytest.approx((8000 + 8000) * 0.5 * PJ)
    assert energy["switch"] == pytest.approx((8000 + 4000) * 0.4 * PJ)
    assert energy["dram"] == pytest.approx(8000 * 4.0 * PJ)
    assert energy["ssd"] == 0.0
    assert energy["static"] == pytest.approx(STATIC_W * step)


def test_compute_and_reduce_by_hand() -> None:
    compute = Instr("compute", "compute", "c", unit="attention0", flops=1000)
    into = [Instr("send", "all_to_all", "in", src=f"expert{e}", dst="switch0", bytes=100) for e in (0, 1)]
    reduce = Instr("reduce", "all_to_all", "r", (1, 2), unit="switch0", bytes=100, inputs=2)
    energy, _ = joules(toy(), compute, *into, reduce)
    # compute: 1000 FLOPs = 500 MACs x 1 pJ; SRAM 1.5 elements per FLOP = 1500 x 2 bytes = 24000 bits x 0.3
    assert energy["compute"] == pytest.approx(500 * PJ)
    # two sends into switch0's buffer, 800 bits each: one link each, read from SRAM at the source only,
    # no crossbar (the route ends in the switch)
    assert energy["sram"] == pytest.approx((24000 + 2 * 800) * 0.3 * PJ)
    assert energy["links"] == pytest.approx(2 * 800 * 0.5 * PJ)
    # reduce: 2 x 100 bytes = 1600 bits read through the adder tree x 0.4, (2 - 1) x 50 fp16 adds x 0.5
    assert energy["switch"] == pytest.approx((1600 * 0.4 + 50 * 0.5) * PJ)
    assert energy["dram"] == 0.0


def test_ssd_bytes_go_to_the_ssd_component() -> None:
    tables = target_tables()
    tables["dram_kinds"]["hbm0"]["technology"] = "ssd"
    tables["energy"] = ENERGY
    energy, _ = joules(target_from_dict(tables, "toy-ssd"), load(1000))
    assert energy["ssd"] == pytest.approx(8000 * 4.0 * PJ) and energy["dram"] == 0.0


def test_store_reads_sram_once_and_writes_dram() -> None:
    store = Instr("store", "dram_save", "st", src="expert1", dst="dram0", bytes=250)
    energy, _ = joules(toy(), store)
    assert energy["sram"] == pytest.approx(2000 * 0.3 * PJ)
    assert energy["dram"] == pytest.approx(2000 * 4.0 * PJ)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 64), st.integers(1, 64), st.integers(1, 64), st.integers(1, 3))
def test_per_array_sram_reads_at_least_once_per_gemm(m: int, k: int, n: int, count: int) -> None:
    once = activity(execute(Stream("t", {}, (gemm(m, k, n, count),)), toy()), "once").sram_bits
    per_array = activity(execute(Stream("t", {}, (gemm(m, k, n, count),)), toy()), "per-array").sram_bits
    assert once == (m * k + k * n + m * n) * count * 16
    assert per_array >= once


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 10**6), st.integers(1, 10**6), st.integers(1, 4))
def test_components_add_up_and_scale_linearly(load_bytes: int, send_bytes: int, count: int) -> None:
    target = toy()
    one, step1 = joules(target, gemm(16, 32, 8, count), load(load_bytes), send(send_bytes))
    two, step2 = joules(target, gemm(16, 32, 8, 2 * count), load(2 * load_bytes), send(2 * send_bytes))
    for energy in (one, two):
        assert energy["total"] == pytest.approx(sum(energy[c] for c in COMPONENTS), rel=1e-12)
    for component in ("compute", "sram", "links", "switch", "dram"):
        assert two[component] == pytest.approx(2 * one[component], rel=1e-12)
    assert one["static"] == pytest.approx(STATIC_W * step1) and two["static"] == pytest.approx(STATIC_W * step2)


@pytest.mark.parametrize(("field", "component"), [("mac_pj", "compute"), ("link_pj_per_bit", "links"),
                                                  ("switch_pj_per_bit", "switch"), ("f2f_pj_per_bit", "sram")])
def test_energy_is_linear_in_each_price(field: str, component: str) -> None:
    tl = execute(Stream("t", {}, (gemm(16, 32, 8), load(4096), send(2048))), toy())
    table = tl.target.spec.energy
    assert table is not None
    base = step_energy(tl)
    doubled = step_energy(tl, table.model_copy(update={field: 2 * getattr(table, field)}))
    assert base is not None and doubled is not None
    # sram is priced at sram_pj_per_bit + f2f_pj_per_bit = 0.25 + 0.05: doubling f2f gives 0.35 / 0.3
    factor = (0.35 / 0.3) if component == "sram" else 2.0
    for name in COMPONENTS:
        assert doubled[name] == pytest.approx(base[name] * (factor if name == component else 1.0), rel=1e-12)


def test_static_energy_is_static_power_times_step_time() -> None:
    wafer = load_target(default_target_path())
    table = wafer.spec.energy
    assert isinstance(table, EnergySpec)
    tl = execute(Stream("t", {}, (load(48 << 20),)), wafer)
    energy = step_energy(tl)
    assert energy is not None
    # 17 chiplets x 100 tiles, 4 switches, 6 HBM2 stacks
    power = 1700 * table.chiplet_static_w_per_tile + 4 * table.switch_static_w + 6 * table.dram["hbm2"].static_w
    assert energy["static"] == pytest.approx(power * tl.step_time, rel=1e-12)


def test_tokens_per_step_from_stream_attributes() -> None:
    assert tokens_per_step({"micro_batches": 4, "micro_batch": 8, "seq_len": 256}) == 8192
    assert tokens_per_step({"micro_batch": 8, "seq_len": 256}) is None
    assert tokens_per_step({"micro_batches": True, "micro_batch": 8, "seq_len": 256}) is None


def test_report_keys_per_token_and_summary_line() -> None:
    attrs: dict[str, str | int | float | bool] = {"micro_batches": 2, "micro_batch": 4, "seq_len": 8}
    tl = execute(Stream("t", attrs, (gemm(16, 32, 8), load(4096))), toy())
    report = make_report(tl)
    energy = report["energy_j"]
    assert set(energy) == {*COMPONENTS, "total"}
    assert report["tokens_per_step"] == 64
    assert report["energy_per_token_j"]["total"] == pytest.approx(energy["total"] / 64, rel=1e-11)
    assert report["average_power_w"] == pytest.approx(energy["total"] / report["step_time_s"], rel=1e-11)
    assert report_json(report) == report_json(make_report(execute(tl.stream, toy())))
    line = format_summary(report).splitlines()[-1]
    assert line.startswith("  energy: ") and "per step" in line and "per token" in line and "average" in line


def test_target_without_energy_table_has_no_energy_in_report() -> None:
    target = target_from_dict(target_tables(), "no-energy")
    report = make_report(execute(Stream("t", {}, (load(4096),)), target))
    assert not {"energy_j", "energy_per_token_j", "average_power_w", "tokens_per_step"} & set(report)
    assert "energy" not in format_summary(report)


def test_backend_records_tokens_per_step() -> None:
    result = compile_model(CompileOptions(model="tiny-moe", pipeline="mozart-c", emit="isa", micro_batches=2))
    assert result.output is not None and result.output.stream is not None
    attrs = result.output.stream.attrs
    assert attrs["micro_batches"] == 2
    assert tokens_per_step(attrs) == 2 * int(attrs["micro_batch"]) * int(attrs["seq_len"])


def _compute(flops: int) -> Instr:
    return Instr("compute", "compute", "c", unit="expert1", flops=flops)


def _reduce(nbytes: int, inputs: int) -> Instr:  # after instruction 0, a send into switch0
    return Instr("reduce", "all_to_all", "r", (0,), unit="switch0", bytes=nbytes, inputs=inputs)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([gemm(8, 16, 4, 2), gemm(3, 5, 7), load(1000), load(7), send(333),
                                 _compute(5), _compute(10**6 + 1), _reduce(64, 3), _reduce(5, 2)]),
                min_size=1, max_size=40),
       st.sampled_from(["once", "per-array"]))
def test_activity_from_signature_counts_equals_the_stream_order_sums(instrs: list[Instr], reads: str) -> None:
    # the per-signature sums are used only when they are exactly the stream-order float sums
    feed = Instr("send", "all_to_all", "in", src="expert0", dst="switch0", bytes=96)
    stream = Stream("t", {}, (feed, *instrs))
    tl = execute(stream, toy())
    assert activity(tl, reads, StreamSignatures.of(stream)) == activity(tl, reads)


def test_activity_falls_back_to_stream_order_when_sums_could_round() -> None:
    # flops / 2 of 2**60 + 1 is not a multiple of 1/4 in floats' reach: the sums are added in stream order
    stream = Stream("t", {}, (_compute(2**60 + 1), _compute(3), _compute(2**60 + 1)))
    tl = execute(stream, toy())
    assert _exact_sums(_Terms(tl, "once"), StreamSignatures.of(stream)) is None
    macs = 0.0
    for flops in (2**60 + 1, 3, 2**60 + 1):
        macs += flops / 2
    assert activity(tl, "once", StreamSignatures.of(stream)).macs == macs
