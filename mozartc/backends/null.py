"""The ``null`` backend: emits an empty instruction stream (keeps the backend plumbing testable)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mozartc.backends.base import Backend, BackendOutput
from mozartc.hw.target import Target
from mozartc.ir.core import Module
from mozartc.isa.instr import Stream
from mozartc.isa.mzs import print_stream


@dataclass(frozen=True)
class NullBackend(Backend):
    """Emit ``stream @<module> attributes {model, target} {}``: no instructions, zero step time."""

    name: ClassVar[str] = "null"
    summary: ClassVar[str] = "an empty instruction stream (for testing the plumbing)"
    suffix: ClassVar[str] = ".mzs"
    produces_stream: ClassVar[bool] = True

    def emit(self, module: Module, target: Target) -> BackendOutput:
        """An empty stream named after the module."""
        attrs: dict[str, str | int | float | bool] = {"target": target.name}
        model = module.attrs.get("model")
        if isinstance(model, str):
            attrs["model"] = str(model)
        stream = Stream(name=module.name, attrs=attrs)
        return BackendOutput(lambda: print_stream(stream), self.suffix, stream)
