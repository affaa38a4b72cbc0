"""``check-capacity``: the DRAM capacity check as a pass (hand-worked sizes in tests/hw/test_capacity.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mozartc.errors import CapacityError
from mozartc.frontend import capture
from mozartc.hw import default_target_path, load_target
from mozartc.ir import Module
from mozartc.ir.summary import summarize
from mozartc.passes import PassContext
from mozartc.passes.check_capacity import CheckCapacity
from tests.conftest import CliResult


@pytest.fixture(scope="module")
def olmoe() -> Module:
    return capture("olmoe-1b-7b-0924")


def test_olmoe_fits_with_sgd_and_records_target_and_optimizer(olmoe: Module) -> None:
    ctx = PassContext(target=load_target(default_target_path()))
    module = CheckCapacity().run(olmoe.clone(), ctx)
    assert module.attrs["target"] == "mozart-wafer" and module.attrs["optimizer"] == "sgd"
    assert "capacity_warning" not in module.attrs and ctx.notes == []


def test_olmoe_with_adam_warns_or_fails(olmoe: Module) -> None:
    # 6.92e9 params x (2 weights + 2 gradients + 4 Adam state) B = 55.4 GB > 51.5 GB of HBM2
    assert summarize(olmoe).params_total == 6_919_161_856
    ctx = PassContext(target=load_target(default_target_path()))
    module = CheckCapacity(optimizer="adam", on_overflow="warn").run(olmoe.clone(), ctx)
    warning = module.attrs["capacity_warning"]
    assert isinstance(warning, str) and "55.4 GB" in warning and ctx.notes == [warning]
    with pytest.raises(CapacityError, match=r"55\.4 GB"):
        CheckCapacity(optimizer="adam").run(olmoe.clone(), ctx)


def test_compile_runs_it_first_and_once(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    timed = cli("compile", "tiny-moe", "--pipeline", "baseline", "--time-passes", "-o", tmp_path / "a.mir")
    assert timed.code == 0
    assert [line.split()[0] for line in timed.err.splitlines()[2:-1]] == [
        "check-capacity", "expert-cluster", "allocate", "stream-schedule"]
    dump = tmp_path / "d"
    own = cli("compile", "tiny-moe", "--pipeline", "check-capacity{optimizer=adam},verify", "--target",
              default_target_path(), "--dump-dir", dump, "-o", tmp_path / "b.mir")
    assert own.code == 0
    assert sorted(p.name for p in dump.iterdir()) == ["00-input.mir", "01-check-capacity.mir", "02-verify.mir"]
    assert "optimizer = adam" in (tmp_path / "b.mir").read_text()


def test_plain_capture_does_not_check(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    assert cli("compile", "tiny-moe", "-o", tmp_path / "c.mir").code == 0
    assert "target =" not in (tmp_path / "c.mir").read_text()
