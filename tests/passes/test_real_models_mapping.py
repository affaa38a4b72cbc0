"""Real published MoE configs (tests/frontend/data/configs) map and time on the paper's wafer.

``mozartc compile CONFIG --target targets/wafer.toml --pipeline mozart-c --capacity warn --run``
for every family: experts that do not divide the 16 chiplets form unequal clusters (Qwen1.5-MoE's
60, Granite's 40) or are split (Mixtral's 8), weights too large for SRAM stream in tiles
(Mixtral, Qwen3-235B, DeepSeek-V2/V3), and no chiplet's SRAM is ever over capacity. The largest
models take tens of seconds each and are marked slow.
"""

from __future__ import annotations

import pytest

from mozartc.analysis.experts import ExpertsMapping
from mozartc.driver import CompileOptions, CompileResult, compile_model
from mozartc.ir import Region
from tests.conftest import REPO

CONFIGS = REPO / "tests" / "frontend" / "data" / "configs"
WAFER = REPO / "targets" / "wafer.toml"
FAST = ["mixtral-8x7b", "qwen1.5-moe-a2.7b", "granite-3.0-1b-a400m", "granite-3.0-3b-a800m", "olmoe-1b-7b-0924",
        "deepseek-v2-lite", "gpt-oss-20b", "phi-3.5-moe-instruct"]
SLOW = ["dbrx", "glm-4.5-air", "gpt-oss-120b", "qwen3-235b-a22b", "deepseek-v2", "deepseek-v3", "qwen3-coder-480b"]


def _run(name: str) -> CompileResult:
    return compile_model(CompileOptions(model=str(CONFIGS / name), pipeline="mozart-c", target=str(WAFER),
                                        capacity="warn", run=True))


def _check(result: CompileResult) -> None:
    assert result.report is not None and result.report["step_time_s"] > 0
    sram = result.report["sram_bytes"]
    assert len(sram) == 17
    assert all(entry["peak"] <= entry["capacity"] for entry in sram.values())
    assert result.report["step_time_s"] >= result.report["lower_bound_s"]


@pytest.mark.parametrize("name", FAST)
def test_real_model_maps_and_runs(name: str) -> None:
    _check(_run(name))


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_large_real_model_maps_and_runs(name: str) -> None:
    result = _run(name)
    _check(result)
    schedule = next(r for r in result.module.body if isinstance(r, Region) and r.kind == "schedule")
    sram = schedule.attrs["sram"]
    assert isinstance(sram, dict) and "tiled" in sram  # every one of them streams some weights in tiles


def test_mixtral_splits_its_8_experts_over_16_chiplets() -> None:
    result = _run("mixtral-8x7b")
    m = ExpertsMapping.from_op(next(result.module.ops_named("experts")), placed=True)
    assert m.expert_shards == (2,) * 8 and len(m.clusters) == 16
    schedule = next(r for r in result.module.body if isinstance(r, Region) and r.kind == "schedule")
    sram = schedule.attrs["sram"]
    assert isinstance(sram, dict) and isinstance(sram["tiled"], dict) and "experts" in sram["tiled"]


@pytest.mark.parametrize(("name", "sizes"), [("qwen1.5-moe-a2.7b", [3] * 4 + [4] * 12),
                                             ("granite-3.0-3b-a800m", [2] * 8 + [3] * 8)])
def test_uneven_experts_form_clusters_of_two_sizes(name: str, sizes: list[int]) -> None:
    # 60 experts on 16 chiplets: 12 clusters of 4 and 4 of 3; 40: 8 of 3 and 8 of 2
    result = _run(name)
    for op in result.module.ops_named("experts"):
        m = ExpertsMapping.from_op(op, placed=True)
        assert sorted(len(c) for c in m.clusters) == sizes
        assert sorted(e for c in m.clusters for e in c) == list(range(m.experts))
