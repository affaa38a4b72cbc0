"""The backend protocol: a frozen dataclass whose fields are its options, and one ``emit`` method.

A backend turns a mapped module into an output file for a target::

    @dataclass(frozen=True)
    class CsvBackend(Backend):
        name: ClassVar[str] = "csv"
        summary: ClassVar[str] = "per-chiplet CSV work list"
        suffix: ClassVar[str] = ".csv"
        per: Literal["chiplet", "kind"] = field(default="chiplet", metadata={"help": "row grouping"})

        def emit(self, module: Module, target: Target) -> BackendOutput: ...

Options are spelled like pass options (``csv{per=kind}``) and parsed by the same code as passes
(:mod:`mozartc.passes.base`): ``int``, ``float``, ``bool``, ``str`` or a ``Literal`` of strings.
Capabilities are class attributes the driver asks for, never a backend's name:
``produces_stream`` (``emit`` returns an instruction stream the executor can time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from mozartc.errors import BackendError, MozartError
from mozartc.hw.target import Target
from mozartc.ir.core import Module
from mozartc.isa.instr import Stream
from mozartc.options import Configurable


class BackendOutput:
    """What a backend emits: the file text, its suffix (``.mzs``, ``.csv``) and, for ISA backends, the stream.

    ``text`` is a string, or a function that makes it the first time it is read: an ISA backend's
    caller that only times the stream (``compile --run``) then never prints a large ``.mzs``.
    """

    __slots__ = ("_render", "_text", "stream", "suffix")

    def __init__(self, text: str | Callable[[], str], suffix: str, stream: Stream | None = None) -> None:
        self._text = text if isinstance(text, str) else None
        self._render = None if isinstance(text, str) else text
        self.suffix = suffix
        self.stream = stream

    @property
    def text(self) -> str:
        """The output file's text (made on first use when a function was given)."""
        if self._text is None:
            assert self._render is not None
            self._text = self._render()
        return self._text


@dataclass(frozen=True)
class Backend(Configurable):
    """Base class of every backend. Subclasses are frozen dataclasses; see the module docstring."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    component: ClassVar[str] = "backend"
    error: ClassVar[type[MozartError]] = BackendError
    suffix: ClassVar[str] = ".txt"
    #: True when ``emit`` returns ``BackendOutput.stream`` (the executor can time it)
    produces_stream: ClassVar[bool] = False

    def emit(self, module: Module, target: Target) -> BackendOutput:
        """Lower ``module`` (mapped for ``target``) to this backend's output."""
        raise NotImplementedError(f"backend '{self.name}' does not implement emit()")

