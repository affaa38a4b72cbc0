"""verify: a valid module passes through unchanged; a broken one fails with its place in the printed IR."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mozartc.errors import VerifyError
from mozartc.ir import parse_module, print_module
from mozartc.passes.base import PassContext
from mozartc.passes.verify_pass import VerifyPass
from tests.conftest import CliResult


def test_a_valid_module_is_unchanged(small_mir: Path) -> None:
    module = parse_module(small_mir.read_text())
    before = print_module(module)
    assert print_module(VerifyPass().run(module, PassContext())) == before


def test_a_broken_invariant_is_located(small_mir: Path) -> None:
    # parse without verifying, then break the experts op's parameter count (4 x 96 = 384, not 380)
    module = parse_module(small_mir.read_text())
    experts = next(iter(module.ops_named("experts")))
    experts.attrs["params"] = 380
    with pytest.raises(VerifyError) as err:
        VerifyPass().run(module, PassContext())
    line = print_module(module).splitlines().index(next(
        s for s in print_module(module).splitlines() if "%l1.experts = experts(" in s)) + 1
    assert f":{line}:" in str(err.value) and "params" in str(err.value)


def test_verify_through_the_cli(cli: Callable[..., CliResult], small_mir: Path, tmp_path: Path) -> None:
    out = tmp_path / "v.mir"
    res = cli("opt", small_mir, "--passes", "verify", "-o", out)
    assert res.code == 0, res.err
    assert out.read_text() == print_module(parse_module(small_mir.read_text()))


def test_opt_takes_pipeline_as_compile_does(cli: Callable[..., CliResult], small_mir: Path) -> None:
    by_passes = cli("opt", small_mir, "--passes", "summarize")
    by_pipeline = cli("opt", small_mir, "--pipeline", "summarize")
    assert by_passes.code == by_pipeline.code == 0 and by_passes.out == by_pipeline.out
    assert "params_total = 1480" in by_pipeline.out
