"""Memory footprint in the report: SRAM by what holds it per chiplet, DRAM in use per stack."""

from __future__ import annotations

import pytest

from mozartc.driver import CompileOptions, CompileResult, compile_model
from mozartc.executor.memory import dram_bytes, sram_bytes
from mozartc.ir import Region
from mozartc.ir.summary import summarize


def test_hand_made_attributes() -> None:
    attrs = {"sram.capacity.expert0": 1000, "sram.peak.expert0": 600, "sram.weights.expert0": 200,
             "sram.buffers.expert0": 200, "sram.gradients.expert0": 150, "sram.activations.expert0": 50,
             "dram.capacity.dram0": 100, "dram.weights.dram0": 60, "dram.state.dram0": 30,
             "dram.gradients.dram0": 0, "dram.activations.dram0": 25, "model": "m"}
    assert sram_bytes(attrs) == {"expert0": {"weights": 200, "buffers": 200, "gradients": 150, "activations": 50,
                                             "peak": 600, "capacity": 1000, "share": 0.6}}
    assert dram_bytes(attrs) == {"dram0": {"weights": 60, "state": 30, "gradients": 0, "activations": 25,
                                           "in_use": 115, "capacity": 100, "share": 1.15, "spill": 15}}


@pytest.fixture(scope="module", params=["sgd", "adam"])
def tiny(request: pytest.FixtureRequest) -> CompileResult:
    return compile_model(CompileOptions(model="tiny-moe", pipeline="mozart-c", seq_len=16, micro_batch=2,
                                        micro_batches=2, optimizer=request.param, run=True))


def test_dram_keeps_every_weight_once(tiny: CompileResult) -> None:
    assert tiny.report is not None
    kept = tiny.report["dram_bytes"]
    # params x 2 bytes (f16); each block's bytes are split over stacks rounding up, so a few bytes more
    weights = sum(e["weights"] for e in kept.values())
    expected = 2 * summarize(tiny.module).params_total
    assert expected <= weights <= expected + 64 * len(kept)


def test_dram_keeps_every_forward_save_and_the_optimizer_state(tiny: CompileResult) -> None:
    assert tiny.report is not None
    kept = tiny.report["dram_bytes"]
    schedule = next(r for r in tiny.module.body if isinstance(r, Region) and r.kind == "schedule")
    saved = sum(op.int_attr("bytes") for op in schedule.ops()
                if op.name == "save_act" and str(op.attrs["phase"]) == "fwd")
    activations = sum(e["activations"] for e in kept.values())
    assert saved <= activations <= saved + 64 * len(kept)
    state = sum(e["state"] for e in kept.values())
    streamed = sum(e["weights"] for e in kept.values()) - next(tiny.module.ops_named("embed")).int_attr("param_bytes")
    if tiny.module.attrs["optimizer"] == "adam":  # two moments like the parameter
        assert state == pytest.approx(2 * streamed, rel=1e-3)
    else:
        assert state == 0
    for entry in kept.values():
        assert entry["in_use"] == entry["weights"] + entry["state"] + entry["gradients"] + entry["activations"]
        assert entry["spill"] == max(0, entry["in_use"] - entry["capacity"])


def test_sram_parts_add_up_to_the_peak(tiny: CompileResult) -> None:
    assert tiny.report is not None
    for entry in tiny.report["sram_bytes"].values():
        assert entry["peak"] == entry["weights"] + entry["buffers"] + entry["gradients"] + entry["activations"]
        assert entry["share"] == pytest.approx(entry["peak"] / entry["capacity"])
        assert entry["buffers"] in (0, entry["weights"])  # double buffering: one extra copy, or none
