"""``mozartc.compile`` and ``mozartc.run``: the compile driver and the executor behind two calls.

::

    compiled = mozartc.compile("olmoe-1b-7b-0924", target="wafer", pipeline="mozart-c")
    report = compiled.run()                   # a typed Report
    report = mozartc.run("olmoe.mzs", target=mozartc.Target.named("wafer"))

Both are thin layers over :mod:`mozartc.driver` (``CompileOptions``, ``compile_model``,
``time_stream``) and :mod:`mozartc.executor.api`; warnings of the passes (a layer streamed in
tiles, a capacity warning) are kept in ``Compiled.notes`` and issued as :class:`MozartWarning`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from mozartc.api.report import Report
from mozartc.backends.base import Backend, BackendOutput
from mozartc.driver import CompileOptions, compile_model, time_stream
from mozartc.errors import MozartError, MozartWarning
from mozartc.executor.workload import ExecOptions
from mozartc.hw import Target, default_target_path, load_target
from mozartc.ir.core import Module
from mozartc.ir.printer import print_module
from mozartc.isa.instr import Stream
from mozartc.isa.mzs import print_stream

TargetLike = Target | str | Path


@dataclass(frozen=True)
class Compiled:
    """A compiled training step: the mapped module, the target it was mapped onto, the pipeline
    (spelled out), the passes' notes and the backend that lowers it (on first use of ``stream``)."""

    module: Module
    target: Target
    pipeline: str
    notes: tuple[str, ...]
    backend: Backend

    @property
    def ir_text(self) -> str:
        """The mapped module's ``.mir`` text (what ``mozartc compile -o FILE.mir`` writes)."""
        return print_module(self.module)

    @cached_property
    def output(self) -> BackendOutput:
        """The backend's output (lowered on first use): its file text and, for ISA backends, the stream."""
        return self.backend.emit(self.module, self.target)

    @property
    def stream(self) -> Stream:
        """The instruction stream; MozartError for a backend that emits none."""
        if self.output.stream is None:
            raise MozartError(f"backend '{self.backend.name}' emits no instruction stream; use `backend='mozart'`",
                              where="backend")
        return self.output.stream

    @property
    def stream_text(self) -> str:
        """The instruction stream's ``.mzs`` text (``mozartc compile --emit isa``)."""
        return print_stream(self.stream)

    def run(self, *, compute_efficiency: float = ExecOptions.compute_efficiency,
            gemm_sram_bound: bool = ExecOptions.gemm_sram_bound) -> Report:
        """Time the stream on the target with the flow-level executor (docs/executor.md); the
        report is the one ``mozartc compile --run --report`` writes, capacity warning included."""
        options = ExecOptions(compute_efficiency=compute_efficiency, gemm_sram_bound=gemm_sram_bound)
        _, report = time_stream(self.stream, self.target, self.module, options)
        return Report.from_dict(report)


def compile(  # shadows the builtin inside this module only: the API's name, as the command's
    model: str,
    target: TargetLike | None = None,
    pipeline: str = "mozart-c",
    *,
    trace: str | Path | None = None,
    capacity: str = CompileOptions.capacity,
    optimizer: str = CompileOptions.optimizer,
    seq_len: int = CompileOptions.seq_len,
    micro_batch: int = CompileOptions.micro_batch,
    micro_batches: int = CompileOptions.micro_batches,
    seed: int = CompileOptions.seed,
    backend: str = CompileOptions.backend,
    jobs: int = CompileOptions.jobs,
) -> Compiled:
    """Capture ``model`` (a preset, a ``config.json`` or folder, or ``file.py:factory``), run
    ``pipeline`` (a preset of the ladder or a pass pipeline ``a,b{k=v}``) mapping it onto ``target``
    (a :class:`Target`, a TOML path or a shipped name; None: the shipped ``wafer``); ``backend``
    lowers it when the stream is first asked for. The options are those of ``mozartc compile``
    (``seq_len``, ``capacity='warn'``, ``jobs`` worker processes for clustering, ...). Bad input
    raises a :class:`MozartError` naming the parameter."""
    from mozartc.backends.registry import build_backend

    machine = target if isinstance(target, Target) else load_target(target or default_target_path())
    lowering = build_backend(backend)  # an unknown backend fails before the compile
    options = CompileOptions(
        model=model, pipeline=pipeline, target=None if target is None else machine,
        trace=None if trace is None else str(trace), capacity=capacity, optimizer=optimizer, seq_len=seq_len,
        micro_batch=micro_batch, micro_batches=micro_batches, seed=seed, backend=backend, jobs=jobs,
    )
    result = compile_model(options)
    _warn(result.notes)
    return Compiled(result.module, machine, result.pipeline, tuple(result.notes), lowering)


def run(stream: Stream | str | Path, target: TargetLike | None = None, *,
        compute_efficiency: float = ExecOptions.compute_efficiency,
        gemm_sram_bound: bool = ExecOptions.gemm_sram_bound) -> Report:
    """Time an instruction stream (a :class:`Stream`, or a ``.mzs`` file as ``mozartc run`` reads it)
    on ``target`` (None: the shipped ``wafer``); the stream is verified against the target first."""
    from mozartc.executor.api import run_stream_file

    options = ExecOptions(compute_efficiency=compute_efficiency, gemm_sram_bound=gemm_sram_bound)
    if isinstance(stream, Stream):
        machine = target if isinstance(target, Target) else load_target(target or default_target_path())
        _, report = time_stream(stream, machine, None, options)
        return Report.from_dict(report)
    result = run_stream_file(stream, target, options)
    _warn(result.notes)
    return Report.from_dict(result.report)


def _warn(notes: list[str]) -> None:
    for note in notes:
        warnings.warn(note, MozartWarning, stacklevel=3)
