"""Shared by the mapping-pass tests: compile a model through a pipeline, read its schedule."""

from __future__ import annotations

from mozartc.driver import CompileOptions, compile_model
from mozartc.ir import Module, Op, Region

#: tiny-moe through every mapping pass, with the switch multicast on (tests/passes/conftest.py ``tiny_c``)
TINY_C_PIPELINE = "expert-cluster{method=greedy},allocate,a2a-dedup{switch-multicast=true},stream-schedule"


def compile_with(model: str, pipeline: str, **kw: object) -> Module:
    """The mapped module of ``model`` after ``pipeline`` (capacity warnings allowed)."""
    return compile_model(CompileOptions(model=model, pipeline=pipeline, capacity="warn", **kw)).module  # type: ignore[arg-type]


def schedule_steps(module: Module) -> list[Op]:
    """The steps of the module's ``schedule`` region, in order."""
    region = next(r for r in module.body if isinstance(r, Region) and r.kind == "schedule")
    return [op for op in region.body if isinstance(op, Op)]
