"""The pass manager: runs a pipeline with instrumentation between passes.

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
from mozartc.ir.core import Module
from mozartc.ir.printer import print_module
from mozartc.ir.verifier import verify
from mozartc.passes.base import Pass, PassContext


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


def run_pipeline(module: Module, passes: list[Pass], ctx: PassContext,
                 instrumentation: Instrumentation | None = None) -> Module:
    """Run ``passes`` in order on ``module`` and return the result, instrumented as asked."""
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
