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

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, ClassVar

from mozartc.backends.isa import Stream
from mozartc.errors import BackendError, PassError
from mozartc.hw.target import Target
from mozartc.ir.core import Module
from mozartc.passes.base import OptionSpec, _convert, _option_kind, format_option_value


@dataclass(frozen=True)
class BackendOutput:
    """What a backend emits: the file text, its suffix (``.mzs``, ``.csv``) and, for ISA backends, the stream."""

    text: str
    suffix: str
    stream: Stream | None = None


@dataclass(frozen=True)
class Backend:
    """Base class of every backend. Subclasses are frozen dataclasses; see the module docstring."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    suffix: ClassVar[str] = ".txt"
    #: True when ``emit`` returns ``BackendOutput.stream`` (the executor can time it)
    produces_stream: ClassVar[bool] = False

    def emit(self, module: Module, target: Target) -> BackendOutput:
        """Lower ``module`` (mapped for ``target``) to this backend's output."""
        raise NotImplementedError(f"backend '{self.name}' does not implement emit()")

    @classmethod
    def option_specs(cls) -> list[OptionSpec]:
        """The backend's options, from its dataclass fields, in declaration order."""
        hints = typing.get_type_hints(cls)
        specs: list[OptionSpec] = []
        for f in dataclasses.fields(cls):
            try:
                kind, choices = _option_kind(hints[f.name], cls.name, f.name)
            except TypeError as err:
                raise TypeError(str(err).replace("pass '", "backend '", 1)) from None
            default = f.default if f.default is not dataclasses.MISSING else None
            specs.append(OptionSpec(f.name.replace("_", "-"), f.name, kind, default, choices,
                                    str(f.metadata.get("help", ""))))
        return specs

    @classmethod
    def from_options(cls, options: dict[str, str]) -> Backend:
        """Build the backend from ``key -> text`` options; :class:`BackendError` names bad keys and values."""
        specs = {spec.key: spec for spec in cls.option_specs()}
        values: dict[str, Any] = {}
        for key, text in options.items():
            spec = specs.get(key)
            if spec is None:
                valid = ", ".join(s.describe() for s in specs.values()) or "none"
                raise BackendError(f"backend '{cls.name}' has no option '{key}'; valid options: {valid}")
            try:
                values[spec.field_name] = _convert(spec, text, cls.name)
            except PassError as err:
                raise BackendError(err.message.replace("pass '", "backend '", 1)) from None
        return cls(**values)

    def options_text(self) -> str:
        """The backend with every option spelled out: ``name{k=v,...}``."""
        parts = [f"{s.key}={format_option_value(getattr(self, s.field_name))}" for s in self.option_specs()]
        return f"{self.name}{{{','.join(parts)}}}" if parts else self.name
