"""The compile driver: model in, mapped IR (and later an instruction stream and timing) out.

``compile_model`` is what ``mozartc compile`` runs, usable from Python::

    from mozartc.driver import CompileOptions, compile_model
    result = compile_model(CompileOptions(model="tiny-moe", pipeline="capture"))
    print(result.ir_text)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mozartc.errors import MozartError
from mozartc.hw import Target, default_target_path, load_target
from mozartc.hw.capacity import check_capacity
from mozartc.ir.attrs import Ident
from mozartc.ir.core import Module
from mozartc.ir.printer import print_module
from mozartc.ir.summary import summarize
from mozartc.ir.types import DTYPE_BYTES
from mozartc.ir.verifier import verify
from mozartc.passes.base import PassContext
from mozartc.passes.manager import Instrumentation, run_pipeline
from mozartc.passes.presets import DEFAULT_PIPELINE
from mozartc.passes.registry import build_pipeline, pipeline_text


@dataclass(frozen=True)
class CompileOptions:
    """Inputs of one compile; defaults follow the paper (32 sequences of 256 as 4 micro-batches of 8).

    ``target`` None means the shipped ``targets/wafer.toml``. The DRAM capacity check runs when the
    compile involves the target: a ``target`` is given or a pass of the pipeline maps onto it (a plain
    capture of the model does not depend on the machine). ``optimizer`` is a modelling choice the
    paper leaves open (mozartc.hw.capacity.OPTIMIZERS); the default ``sgd`` keeps no state.
    ``capacity`` is ``error`` (a step that does not fit DRAM is bad input) or ``warn`` (record it).
    """

    model: str
    pipeline: str = DEFAULT_PIPELINE
    target: str | None = None
    trace: str | None = None
    capacity: str = "error"
    optimizer: str = "sgd"
    seq_len: int = 256
    micro_batch: int = 8
    micro_batches: int = 4
    seed: int = 0

    def validate(self) -> None:
        """Reject option values that cannot describe a training step."""
        for name in ("seq_len", "micro_batch", "micro_batches"):
            value = getattr(self, name)
            if value <= 0:
                raise MozartError(f"--{name.replace('_', '-')} must be a positive integer, got {value}")
        if self.trace is not None and not Path(self.trace).exists():
            raise MozartError("trace file not found", where=self.trace)


@dataclass
class CompileResult:
    """The mapped module, its canonical text and what the passes noted."""

    module: Module
    pipeline: str
    notes: list[str] = field(default_factory=list)

    @property
    def ir_text(self) -> str:
        """The module's canonical ``.mir`` text."""
        return print_module(self.module)


def resolve_pipeline(text: str) -> str:
    """The fully spelled pipeline string that ``text`` (preset or pipeline) stands for."""
    return pipeline_text(build_pipeline(text))


def compile_model(options: CompileOptions, instrumentation: Instrumentation | None = None) -> CompileResult:
    """Capture ``options.model`` to IR, verify it, and run the pipeline on it."""
    from mozartc.frontend import capture  # torch is imported only when a compile needs it

    options.validate()
    passes = build_pipeline(options.pipeline)
    target = load_target(options.target or default_target_path())
    module = capture(options.model, seq_len=options.seq_len, micro_batch=options.micro_batch)
    verify(module)
    ctx = PassContext(target=target, trace_path=options.trace, seed=options.seed,
                      micro_batches=options.micro_batches)
    if options.target is not None or any(p.needs_target for p in passes):
        _check_capacity(module, target, options, ctx)
    module = run_pipeline(module, passes, ctx, instrumentation)
    return CompileResult(module=module, pipeline=pipeline_text(passes), notes=list(ctx.notes))


def _check_capacity(module: Module, target: Target, options: CompileOptions, ctx: PassContext) -> None:
    """Compare the step's DRAM state with the target (PAPER.md section 7); record a warning in the IR."""
    facts = summarize(module)
    report = check_capacity(facts.params_total, DTYPE_BYTES[facts.dtype], target, options.optimizer,
                            "warn" if options.capacity == "warn" else "error")
    module.attrs["target"] = target.name
    module.attrs["optimizer"] = Ident(options.optimizer)
    if not report.fits:
        module.attrs["capacity_warning"] = report.message
        ctx.notes.append(report.message)


def optimize_text(text: str, filename: str, pipeline: str,
                  instrumentation: Instrumentation | None = None, ctx: PassContext | None = None) -> Module:
    """What ``mozartc opt`` runs: parse ``.mir`` text, verify, run ``pipeline``, return the module."""
    from mozartc.ir.parser import parse_module

    passes = build_pipeline(pipeline)
    module = parse_module(text, filename)
    verify(module, filename)
    return run_pipeline(module, passes, ctx or PassContext(), instrumentation)
