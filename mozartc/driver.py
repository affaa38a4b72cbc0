"""The compile driver: model in, mapped IR, instruction stream and timed training step out.

``compile_model`` is what ``mozartc compile`` runs, usable from Python::

    from mozartc.driver import CompileOptions, compile_model
    result = compile_model(CompileOptions(model="tiny-moe", pipeline="capture"))
    text = result.ir_text  # the mapped module as .mir
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from mozartc.defaults import MICRO_BATCH, MICRO_BATCHES, SEQ_LEN
from mozartc.errors import MozartError
from mozartc.hw import Target, default_target_path, load_target
from mozartc.ir.core import Module
from mozartc.ir.printer import print_module
from mozartc.ir.verifier import verify
from mozartc.optimizers import OPTIMIZERS
from mozartc.passes.base import TARGET, PassContext
from mozartc.passes.check_capacity import CheckCapacity, OptimizerName
from mozartc.passes.manager import Instrumentation, check_order, module_facts, run_pipeline
from mozartc.passes.presets import DEFAULT_PIPELINE
from mozartc.passes.registry import build_pipeline, pipeline_text

if TYPE_CHECKING:
    from mozartc.backends.base import BackendOutput
    from mozartc.cache import ResultCache
    from mozartc.executor.engine import Timeline
    from mozartc.executor.workload import ExecOptions
    from mozartc.isa.instr import Stream


@dataclass(frozen=True)
class CompileOptions:
    """Inputs of one compile; defaults follow the paper (32 sequences of 256 as 4 micro-batches of 8).

    ``target`` is a loaded :class:`Target`, a TOML path or a shipped target's name; None means the
    shipped ``wafer``. The DRAM capacity check runs when the
    compile involves the target: a ``target`` is given or a pass of the pipeline maps onto it (a plain
    capture of the model does not depend on the machine). ``optimizer`` is a modelling choice the
    paper leaves open (mozartc.optimizers.OPTIMIZERS); the default ``sgd`` keeps no state.
    ``capacity`` is ``error`` (a step that does not fit DRAM is bad input) or ``warn`` (record it).
    ``jobs`` is how many worker processes may cluster layers (1: none); the outputs do not depend on it.
    """

    model: str
    pipeline: str = DEFAULT_PIPELINE
    target: str | Target | None = None
    trace: str | None = None
    capacity: str = "error"
    optimizer: str = "sgd"
    seq_len: int = SEQ_LEN
    micro_batch: int = MICRO_BATCH
    micro_batches: int = MICRO_BATCHES
    seed: int = 0
    backend: str = "mozart"
    emit: str = "ir"
    run: bool = False
    jobs: int = 1

    def validate(self) -> None:
        """Reject option values that cannot describe a training step."""
        for name in ("seq_len", "micro_batch", "micro_batches", "jobs"):
            value = getattr(self, name)
            if value <= 0:
                raise MozartError(f"must be a positive integer, got {value}", where=name)
        if self.trace is not None and not Path(self.trace).exists():
            raise MozartError("trace file not found", where=self.trace)


@dataclass
class CompileResult:
    """The mapped module, its canonical text, what the passes noted, and (when asked) the backend's
    output, its instruction stream and the executor's timeline and report."""

    module: Module
    pipeline: str
    notes: list[str] = field(default_factory=list)
    output: BackendOutput | None = None
    timeline: Timeline | None = None
    report: dict[str, Any] | None = None

    @property
    def ir_text(self) -> str:
        """The module's canonical ``.mir`` text."""
        return print_module(self.module)


def resolve_pipeline(text: str) -> str:
    """The fully spelled pipeline string that ``text`` (preset or pipeline) stands for."""
    return pipeline_text(build_pipeline(text))


def compile_model(options: CompileOptions, instrumentation: Instrumentation | None = None,
                  cache: ResultCache | None = None) -> CompileResult:
    """Capture ``options.model`` to IR, verify it, and run the pipeline on it.

    When the compile involves the target (``options.target`` is given or a pass requires one), the
    ``check-capacity`` pass runs first with ``options.optimizer`` and ``options.capacity``, unless the
    pipeline has one of its own. The pipeline's order is checked before the model is captured.
    ``cache`` (None: none) is the store of captured modules and solver results the compile reads and
    fills; the outputs are the same bytes with or without it.
    """
    from mozartc.frontend.capture_cache import capture_cached  # torch is imported only when a capture runs

    options.validate()
    passes = build_pipeline(options.pipeline)
    target = options.target if isinstance(options.target, Target) else load_target(
        options.target or default_target_path())
    ctx = PassContext(target=target, trace_path=options.trace, seed=options.seed,
                      micro_batches=options.micro_batches, cache=cache, jobs=options.jobs)
    run = passes
    involves_target = options.target is not None or any(TARGET in p.requires for p in passes)
    if involves_target and not any(isinstance(p, CheckCapacity) for p in passes):
        run = [CheckCapacity(optimizer=_optimizer(options.optimizer), on_overflow=_overflow(options.capacity)),
               *passes]
    check_order(run, module_facts(None, ctx))
    module = capture_cached(cache, options.model, seq_len=options.seq_len, micro_batch=options.micro_batch)
    verify(module)
    module = run_pipeline(module, run, ctx, instrumentation)
    module.attrs["pipeline"] = pipeline_text(passes)  # provenance: the pipeline asked for
    result = CompileResult(module=module, pipeline=pipeline_text(passes), notes=list(ctx.notes))
    if options.emit != "ir" or options.run:
        _emit_and_run(result, options, target)
    return result


def _optimizer(name: str) -> OptimizerName:
    if name not in OPTIMIZERS:
        raise MozartError(f"unknown optimizer '{name}'; expected one of: {', '.join(OPTIMIZERS)}",
                          where="optimizer")
    return cast(OptimizerName, name)  # checked against OPTIMIZERS, whose keys the Literal spells


def _overflow(mode: str) -> Literal["error", "warn"]:
    if mode not in ("error", "warn"):
        raise MozartError(f"must be 'error' or 'warn', got '{mode}'", where="capacity")
    return "warn" if mode == "warn" else "error"


def _emit_and_run(result: CompileResult, options: CompileOptions, target: Target) -> None:
    """Run the backend; with ``run``, time its instruction stream and build the report."""
    from mozartc.backends.registry import build_backend

    backend = build_backend(options.backend)
    if options.run and not backend.produces_stream:
        raise MozartError(f"backend '{backend.name}' emits no instruction stream to time; "
                          "use `backend='mozart'`", where="backend")
    output = backend.emit(result.module, target)
    result.output = output
    if options.run:
        assert output.stream is not None
        result.timeline, result.report = time_stream(output.stream, target, result.module)


def time_stream(stream: Stream, target: Target, module: Module | None = None,
                options: ExecOptions | None = None) -> tuple[Timeline, dict[str, Any]]:
    """Time ``stream`` on ``target`` and build its report; the report carries ``module``'s capacity
    warning, if it has one (the compile recorded that its training state does not fit DRAM)."""
    from mozartc.executor.engine import execute
    from mozartc.executor.report import make_report
    from mozartc.isa.signatures import StreamSignatures

    signatures = StreamSignatures.of(stream)  # read once for the verifier, the executor and the report
    timeline = execute(stream, target, options, signatures=signatures)
    report = make_report(timeline, signatures=signatures)
    warning = module.attrs.get("capacity_warning") if module is not None else None
    if warning is not None:
        report["capacity_warning"] = warning
    return timeline, report


def optimize_text(text: str, filename: str, pipeline: str,
                  instrumentation: Instrumentation | None = None, ctx: PassContext | None = None,
                  target: str | None = None) -> Module:
    """What ``mozartc opt`` runs: parse ``.mir`` text, verify, run ``pipeline``, return the module.

    Passes that map onto the hardware get ``target`` (a TOML path), or the shipped default.
    """
    from mozartc.ir.parser import parse_module

    passes = build_pipeline(pipeline)
    module = parse_module(text, filename)
    verify(module, filename)
    context = ctx or PassContext()
    if context.target is None and (target is not None or any(TARGET in p.requires for p in passes)):
        context.target = load_target(target or default_target_path())
    return run_pipeline(module, passes, context, instrumentation)
