"""``benchmarks/scale.py``: the growth-exponent fit, the plan of points, and its smallest point run once.

Times are not checked (benchmarks print figures; tests never time): the smoke run checks that every
stage ran and what the stream must hold.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import load_benchmark


def _script() -> ModuleType:
    return load_benchmark("scale")


@pytest.fixture(scope="module")
def scale() -> ModuleType:
    return _script()


@pytest.mark.parametrize(("a", "b"), [(3.0, 1.0), (0.5, 2.0), (7.0, 0.0), (1e-3, 1.5)])
def test_fit_recovers_the_exponent_of_a_power_law(scale: ModuleType, a: float, b: float) -> None:
    xs = [12, 24, 48, 96]
    assert scale.fit_exponent(xs, [a * x**b for x in xs]) == pytest.approx(b, abs=1e-9)


def test_fit_is_the_least_squares_slope_of_noisy_points(scale: ModuleType) -> None:
    # log2 y = 1, 2.5, 3 at log2 x = 0, 1, 2: slope (by hand) = sum (x - 1)(y - 13/6) / sum (x - 1)^2 = 2 / 2
    assert scale.fit_exponent([1, 2, 4], [2.0, 2 ** 2.5, 8.0]) == pytest.approx(1.0)


def test_fit_needs_two_points(scale: ModuleType) -> None:
    with pytest.raises(ValueError, match="two"):
        scale.fit_exponent([1], [1.0])


def test_plan_varies_one_factor_at_a_time_around_the_base(scale: ModuleType) -> None:
    points = scale.plan({"layers": (12, 24), "experts": (64, 128)})
    assert points == [scale.BASE, {**scale.BASE, "layers": 24}, {**scale.BASE, "experts": 64}]


def test_the_synthetic_config_reads_back_through_the_frontend(scale: ModuleType, tmp_path: Path) -> None:
    from mozartc.frontend import resolve_config

    path = tmp_path / "config.json"
    path.write_text(json.dumps(scale.hf_config(3, 64)))
    cfg = resolve_config(str(path))
    assert (cfg.num_layers, cfg.num_experts, cfg.top_k) == (3, 64, 8)
    assert all(cfg.is_moe_layer(i) for i in range(3))


def test_smallest_point_runs_every_stage(scale: ModuleType, tmp_path: Path) -> None:
    point = {name: min(values) for name, values in scale.FULL.items()}
    out = scale.measure_point(point, tmp_path)
    assert out["point"] == point
    assert set(out["stages"]) == set(scale.STAGES)
    assert all(row["cpu_s"] >= 0 and row["maxrss_mb"] > 0 for row in out["stages"].values())
    assert set(out["manager_s"]) == set(scale.PASSES)
    assert out["instructions"] > 0 and out["mzs_bytes"] > out["instructions"]
    assert out["step_time_s"] > 0
    json.dumps(out)  # what the worker prints
