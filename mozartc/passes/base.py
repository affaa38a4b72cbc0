"""The pass base class: a frozen dataclass whose fields are its typed options.

A pass has a class-level ``name`` (what pipelines call it), a one-line ``summary``, and fields that
are its options, spelled with hyphens in pipeline strings (``time_limit`` is ``time-limit``)::

    @dataclass(frozen=True)
    class ExpertCluster(Pass):
        name: ClassVar[str] = "expert-cluster"
        summary: ClassVar[str] = "group co-activated experts into equal-size clusters"
        method: Literal["greedy", "cpsat"] = field(default="greedy", metadata={"help": "clustering method"})

        def run(self, module: Module, ctx: PassContext) -> Module: ...

Options may be ``int``, ``float``, ``bool``, ``str`` or a ``Literal`` of strings.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args, get_origin

from mozartc.errors import PassError
from mozartc.ir.core import Module


@dataclass
class PassContext:
    """What passes may read besides their options: the target, the routing trace, the seed.

    ``notes`` collects warnings that passes raise for the user (printed by the CLI and recorded in
    reports); passes append to it, never print.
    """

    target: Any = None
    trace_path: str | None = None
    seed: int = 0
    micro_batches: int = 4
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OptionSpec:
    """One pass option: its pipeline key, Python type, default, allowed values and help text."""

    key: str
    field_name: str
    kind: str  # "int" | "float" | "bool" | "str" | "choice"
    default: Any
    choices: tuple[str, ...] = ()
    help: str = ""

    def describe(self) -> str:
        """``key=<kind> (default D)`` for help listings."""
        kind = "|".join(self.choices) if self.choices else self.kind
        return f"{self.key}=<{kind}> (default {format_option_value(self.default)})"


def format_option_value(value: Any) -> str:
    """Option values as pipeline strings spell them (booleans as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Pass:
    """Base class of every pass. Subclasses are frozen dataclasses; see the module docstring."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    #: True for passes that map onto the hardware target (they read ``ctx.target``)
    needs_target: ClassVar[bool] = False

    def run(self, module: Module, ctx: PassContext) -> Module:
        """Transform or annotate ``module`` and return it (in place or a new module)."""
        raise NotImplementedError(f"pass '{self.name}' does not implement run()")

    @classmethod
    def option_specs(cls) -> list[OptionSpec]:
        """The pass's options, from its dataclass fields, in declaration order."""
        hints = typing.get_type_hints(cls)
        specs: list[OptionSpec] = []
        for f in dataclasses.fields(cls):
            kind, choices = _option_kind(hints[f.name], cls.name, f.name)
            default = f.default if f.default is not dataclasses.MISSING else None
            specs.append(OptionSpec(f.name.replace("_", "-"), f.name, kind, default, choices,
                                    str(f.metadata.get("help", ""))))
        return specs

    @classmethod
    def from_options(cls, options: dict[str, str]) -> Pass:
        """Build the pass from ``key -> text`` options; :class:`PassError` names bad keys and values."""
        specs = {spec.key: spec for spec in cls.option_specs()}
        values: dict[str, Any] = {}
        for key, text in options.items():
            spec = specs.get(key)
            if spec is None:
                valid = ", ".join(s.describe() for s in specs.values()) or "none"
                raise PassError(f"pass '{cls.name}' has no option '{key}'; valid options: {valid}")
            values[spec.field_name] = _convert(spec, text, cls.name)
        return cls(**values)

    def options_text(self) -> str:
        """The pass as a pipeline element with every option spelled out: ``name{k=v,...}``."""
        parts = [f"{s.key}={format_option_value(getattr(self, s.field_name))}" for s in self.option_specs()]
        return f"{self.name}{{{','.join(parts)}}}" if parts else self.name


def _option_kind(hint: Any, pass_name: str, field_name: str) -> tuple[str, tuple[str, ...]]:
    if get_origin(hint) is Literal:
        return "choice", tuple(str(a) for a in get_args(hint))
    for py, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if hint is py:
            return kind, ()
    raise TypeError(f"pass '{pass_name}': option '{field_name}' has unsupported type {hint!r}")


def _convert(spec: OptionSpec, text: str, pass_name: str) -> Any:
    where = f"pass '{pass_name}' option '{spec.key}'"
    if spec.kind == "choice":
        if text not in spec.choices:
            raise PassError(f"{where} must be one of {', '.join(spec.choices)}, got '{text}'")
        return text
    if spec.kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "on", "1", "yes"):
            return True
        if lowered in ("false", "off", "0", "no"):
            return False
        raise PassError(f"{where} must be true/false (or on/off), got '{text}'")
    if spec.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise PassError(f"{where} must be an integer, got '{text}'") from None
    if spec.kind == "float":
        try:
            return float(text)
        except ValueError:
            raise PassError(f"{where} must be a number, got '{text}'") from None
    return text
