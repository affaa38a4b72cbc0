"""The ``mozart`` backend: every preset's stream verifies on every shipped target, relays are causal."""

from __future__ import annotations

from pathlib import Path

import pytest

from mozartc.driver import CompileOptions, compile_model
from mozartc.hw import load_target
from mozartc.isa.instr import Stream
from mozartc.isa.verify import verify_stream
from mozartc.passes.presets import PIPELINE_PRESETS

TARGETS = sorted((Path(__file__).resolve().parents[2] / "mozartc" / "hw" / "targets").glob("*.toml"))
PRESETS = [p for p in PIPELINE_PRESETS if p != "capture"]


def _stream(model: str, pipeline: str, target: Path) -> Stream:
    result = compile_model(CompileOptions(model=model, pipeline=pipeline, target=str(target), capacity="warn",
                                          emit="isa", micro_batches=2))
    assert result.output is not None and result.output.stream is not None
    return result.output.stream


@pytest.mark.parametrize("target", TARGETS, ids=[t.stem for t in TARGETS])
@pytest.mark.parametrize("pipeline", PRESETS)
def test_every_preset_verifies_on_every_shipped_target(pipeline: str, target: Path) -> None:
    stream = _stream("tiny-moe", pipeline, target)
    verify_stream(stream, load_target(target))  # raises on the first violation
    assert stream.attrs["target"] == load_target(target).name


@pytest.mark.slow
@pytest.mark.parametrize("model", ["olmoe-1b-7b-0924", "deepseek-moe-16b-base", "qwen3-30b-a3b"])
@pytest.mark.parametrize("pipeline", PRESETS)
def test_every_preset_verifies_for_every_paper_model(pipeline: str, model: str) -> None:
    target = next(t for t in TARGETS if t.stem == model)
    verify_stream(_stream(model, pipeline, target), load_target(target))


def test_paper_all_to_all_sends_one_copy_per_destination_chiplet() -> None:
    # mozart-c (the paper's): every dispatch copy goes attention0 -> expertE routed through its switch;
    # nothing is relayed, so no instruction starts or ends at a switch
    stream = _stream("tiny-moe", "mozart-c", TARGETS[0])
    a2a = [i for i in stream.instrs if i.kind == "all_to_all"]
    assert a2a and all(i.op == "send" for i in a2a)
    assert all("switch" not in (i.src or "") and "switch" not in (i.dst or "") for i in a2a)
    assert {i.src for i in a2a if ".dispatch." in i.label} == {"attention0"}
