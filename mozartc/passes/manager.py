"""The pass manager: checks a pipeline's order, then runs it with instrumentation between passes.

Before anything runs, :func:`check_order` walks the pipeline with the facts the input already has
(:func:`module_facts`: a target in the context, a clustering, a placement or a schedule in the
module) and adds what each pass ``provides``; a pass whose ``requires`` are not all there stops the
pipeline with one :class:`PassError` naming the requirement and the pass that provides it.

Instrumentation belongs to the pipeline, not the passes: after every pass the manager verifies the
module (a failure names the pass), and optionally prints it, dumps it to ``DIR/NN-name.mir`` and
records the pass's wall time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mozartc.errors import PassError, VerifyError
from mozartc.fileio import atomic_write_text
from mozartc.ir.core import Module, Region
from mozartc.ir.printer import print_module
from mozartc.ir.verifier import verify
from mozartc.passes.base import CLUSTERS, FACTS, PLACEMENT, SCHEDULE, TARGET, Pass, PassContext


@dataclass(frozen=True)
class PassTiming:
    """Wall time of one pass run."""

    name: str
    seconds: float


@dataclass
class Instrumentation:
    """What the manager does between passes.

    ``print_ir`` receives ``(header, text)`` after each pass when printing is on (the CLI sends it to
    stderr); ``dump_dir`` receives ``00-input.mir`` and one ``NN-<pass>.mir`` per pass.
    """

    verify_each: bool = True
    print_ir: Callable[[str, str], None] | None = None
    dump_dir: Path | None = None
    timings: list[PassTiming] = field(default_factory=list)

    def after(self, index: int, total: int, pass_name: str, module: Module) -> None:
        """Called with the module after pass number ``index`` (0 is the input)."""
        if self.print_ir is None and self.dump_dir is None:
            return
        text = print_module(module)
        if self.print_ir is not None:
            what = "input" if index == 0 else f"pass '{pass_name}' ({index}/{total})"
            self.print_ir(f"// ----- IR after {what} -----", text)
        if self.dump_dir is not None:
            stem = re.sub(r"[^A-Za-z0-9_.-]", "_", pass_name)
            atomic_write_text(self.dump_dir / f"{index:02d}-{stem}.mir", text)


def module_facts(module: Module | None, ctx: PassContext | None) -> frozenset[str]:
    """The facts (:data:`~mozartc.passes.base.FACTS`) that hold for ``module`` in ``ctx``.

    A module read from text may already be mapped: its ``clustering`` / ``allocation`` attributes
    and a ``schedule`` region say so. ``None`` stands for a freshly captured module.
    """
    facts: set[str] = set()
    if ctx is not None and ctx.target is not None:
        facts.add(TARGET)
    if module is not None:
        if "clustering" in module.attrs:
            facts.add(CLUSTERS)
        if "allocation" in module.attrs:
            facts.add(PLACEMENT)
        if any(isinstance(item, Region) and item.kind == "schedule" for item in module.body):
            facts.add(SCHEDULE)
    return frozenset(facts)


def check_order(passes: list[Pass], available: frozenset[str]) -> None:
    """Raise :class:`PassError` if a pass of ``passes`` requires a fact that neither ``available`` nor
    an earlier pass provides (module docstring)."""
    have = set(available)
    for p in passes:
        missing = sorted(p.requires - have)
        if missing:
            fact = missing[0]
            raise PassError(f"pass '{p.name}' needs {FACTS.get(fact, fact)} "
                            f"('{fact}'), which {_provider_hint(fact, p.name)}", where="pipeline")
        have |= p.provides


def _provider_hint(fact: str, needing: str) -> str:
    """What to do about a missing fact: the passes that provide it, or where a target comes from."""
    if fact == TARGET:
        return "the context does not hold: give a target"
    from mozartc.passes.registry import available_passes, get_pass_class

    providers = [name for name in sorted(available_passes()) if fact in get_pass_class(name).provides]
    if not providers:
        return "no known pass provides"
    names = " or ".join(f"'{name}'" for name in providers)
    return f"no earlier pass provides: run {names} before '{needing}'"


def run_pipeline(module: Module, passes: list[Pass], ctx: PassContext,
                 instrumentation: Instrumentation | None = None) -> Module:
    """Check the pipeline's order (:func:`check_order`), then run ``passes`` in order on ``module``
    and return the result, instrumented as asked."""
    check_order(passes, module_facts(module, ctx))
    inst = instrumentation or Instrumentation()
    inst.after(0, len(passes), "input", module)
    for index, p in enumerate(passes, start=1):
        start = time.perf_counter()
        result = p.run(module, ctx)
        inst.timings.append(PassTiming(p.name, time.perf_counter() - start))
        if not isinstance(result, Module):
            raise TypeError(f"pass '{p.name}' returned {type(result).__name__}, not a Module")
        module = result
        if inst.verify_each:
            try:
                verify(module)
            except VerifyError as err:
                raise PassError(f"IR invalid after pass '{p.name}': {err}") from None
        inst.after(index, len(passes), p.name, module)
    return module


def format_timings(timings: list[PassTiming]) -> str:
    """A ``--time-passes`` report: one line per pass with seconds and share, then the total."""
    total = sum(t.seconds for t in timings) or 1e-12
    width = max([len(t.name) for t in timings] + [5])
    lines = ["===-- pass execution timing report --===", f"  {'pass'.ljust(width)}  wall (s)   share"]
    for t in timings:
        lines.append(f"  {t.name.ljust(width)}  {t.seconds:8.4f}  {100 * t.seconds / total:5.1f}%")
    lines.append(f"  {'total'.ljust(width)}  {sum(t.seconds for t in timings):8.4f}  100.0%")
    return "\n".join(lines) + "\n"
