"""The ``csv`` backend: a per-chiplet work list as CSV (an example mozartc plug-in).

Rows from the instruction stream (``source=stream``)::

    unit,index,op,kind,label,bytes,flops,after
    expert0,3,load,dram_load,m0.l0.fwd.w.expert0,9437184,0,
    expert0,7,gemm,compute,m0.l0.fwd.experts.expert0,0,4831838208,3 5

``unit`` is the chiplet (or switch) that drives the instruction: the unit of gemm/compute/reduce,
the destination of a load, the source of a store or send. ``flops = 2 m k n count`` for a GEMM.

Rows from the mapped IR (``source=ir``)::

    unit,layer,cluster,experts
    expert5,1,0,3 17 40 61

``auto`` uses the stream when the built-in ``mozart`` backend is installed, else the IR.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from mozartc.backends import Backend, BackendOutput, Stream, get_backend_class
from mozartc.errors import BackendError
from mozartc.hw import Target
from mozartc.ir.core import Module, Op, Region


def stream_rows(stream: Stream) -> list[list[object]]:
    """One row per instruction that runs somewhere, sorted by unit then stream index."""
    rows: list[list[object]] = []
    for i, ins in enumerate(stream.instrs):
        unit = ins.unit or (ins.dst if ins.op == "load" else ins.src)
        if unit is None:
            continue  # barriers run nowhere
        flops = 2 * ins.m * ins.k * ins.n * ins.count if ins.op == "gemm" else ins.flops
        rows.append([unit, i, ins.op, ins.kind, ins.label, ins.bytes, flops, " ".join(map(str, ins.deps))])
    rows.sort(key=lambda r: (str(r[0]), int(str(r[1]))))
    return rows


def ir_rows(module: Module, target: Target) -> list[list[object]]:
    """One row per expert cluster of every mapped ``experts`` op: its chiplet, layer and experts."""
    names = [c.name for c in target.expert_chiplets]
    rows: list[list[object]] = []

    def walk(items: list[Op | Region], layer: int | None) -> None:
        for item in items:
            if isinstance(item, Region):
                walk(item.body, item.index if item.kind == "layer" else layer)
            elif item.name == "experts" and "clusters" in item.attrs:
                clusters = item.attrs["clusters"]
                chiplets = item.attrs.get("chiplets", list(range(len(clusters))))  # type: ignore[arg-type]
                assert isinstance(clusters, list) and isinstance(chiplets, list)
                for c, (members, chip) in enumerate(zip(clusters, chiplets, strict=True)):
                    assert isinstance(members, list) and isinstance(chip, int)
                    rows.append([names[chip], layer, c, " ".join(map(str, members))])

    walk(module.body, None)
    if not rows:
        raise BackendError("csv backend (source=ir): the module has no clustered 'experts' op; "
                           "run a pipeline with expert-cluster (e.g. --pipeline mozart-c)")
    rows.sort(key=lambda r: (names.index(str(r[0])), r[1] if r[1] is not None else -1, r[2]))
    return rows


def to_csv(header: list[str], rows: list[list[object]]) -> str:
    """CSV text with Unix line endings."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@dataclass(frozen=True)
class CsvBackend(Backend):
    """Per-chiplet CSV work list (module docstring)."""

    name: ClassVar[str] = "csv"
    summary: ClassVar[str] = "per-chiplet CSV work list (example plug-in)"
    suffix: ClassVar[str] = ".csv"

    source: Literal["auto", "stream", "ir"] = field(default="auto", metadata={
        "help": "rows from the mozart backend's instruction stream, or from the mapped IR"})

    def emit(self, module: Module, target: Target) -> BackendOutput:
        """The CSV work list of ``module`` mapped onto ``target``."""
        if self.source != "ir":
            try:
                isa = get_backend_class("mozart")()
            except BackendError:
                if self.source == "stream":
                    raise
            else:
                stream = isa.emit(module, target).stream
                assert stream is not None
                header = ["unit", "index", "op", "kind", "label", "bytes", "flops", "after"]
                return BackendOutput(to_csv(header, stream_rows(stream)), self.suffix)
        return BackendOutput(to_csv(["unit", "layer", "cluster", "experts"], ir_rows(module, target)), self.suffix)
