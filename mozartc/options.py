"""Typed options of plug-in components (passes, backends): declared as dataclass fields.

A component is a frozen dataclass with a class-level ``name``; its fields are its options, spelled
with hyphens in pipeline strings (``time_limit`` is ``time-limit``): ``name{key=value,...}``.
Options may be ``int``, ``float``, ``bool``, ``str`` or a ``Literal`` of strings; a field's
``metadata={"help": ...}`` documents it, and ``"min"``/``"max"`` bound a number (inclusive).
:class:`Configurable` gives every component the same parsing, errors and spelling.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self, get_args, get_origin

from mozartc.errors import MozartError, PassError
from mozartc.option_syntax import format_component


@dataclass(frozen=True)
class OptionSpec:
    """One option: its pipeline key, Python field, kind, default, allowed values and help text."""

    key: str
    field_name: str
    kind: str  # "int" | "float" | "bool" | "str" | "choice"
    default: Any
    choices: tuple[str, ...] = ()
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None

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
class Configurable:
    """Base of components configured by ``name{key=value}``; subclasses set ``name`` and ``component``."""

    name: ClassVar[str] = ""
    #: what messages call this kind of component ("pass", "backend")
    component: ClassVar[str] = "component"
    #: the error raised for a bad option
    error: ClassVar[type[MozartError]] = PassError

    @classmethod
    def option_specs(cls) -> list[OptionSpec]:
        """The options, from the dataclass fields, in declaration order."""
        hints = typing.get_type_hints(cls)
        specs: list[OptionSpec] = []
        for f in dataclasses.fields(cls):
            kind, choices = _option_kind(hints[f.name], f"{cls.component} '{cls.name}'", f.name)
            default = f.default if f.default is not dataclasses.MISSING else None
            specs.append(OptionSpec(f.name.replace("_", "-"), f.name, kind, default, choices,
                                    str(f.metadata.get("help", "")), f.metadata.get("min"), f.metadata.get("max")))
        return specs

    @classmethod
    def from_options(cls, options: dict[str, str]) -> Self:
        """Build the component from ``key -> text`` options; ``cls.error`` names bad keys and values."""
        specs = {spec.key: spec for spec in cls.option_specs()}
        values: dict[str, Any] = {}
        for key, text in options.items():
            spec = specs.get(key)
            if spec is None:
                valid = ", ".join(s.describe() for s in specs.values()) or "none"
                raise cls.error(f"{cls.component} '{cls.name}' has no option '{key}'; valid options: {valid}")
            values[spec.field_name] = _convert(spec, text, f"{cls.component} '{cls.name}' option '{spec.key}'",
                                               cls.error)
        return cls(**values)

    def options_text(self) -> str:
        """The component with every option spelled out: ``name{k=v,...}``."""
        return format_component(self.name, {s.key: format_option_value(getattr(self, s.field_name))
                                            for s in self.option_specs()})


def _option_kind(hint: Any, owner: str, field_name: str) -> tuple[str, tuple[str, ...]]:
    if get_origin(hint) is Literal:
        return "choice", tuple(str(a) for a in get_args(hint))
    for py, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if hint is py:
            return kind, ()
    raise TypeError(f"{owner}: option '{field_name}' has unsupported type {hint!r}")


def _convert(spec: OptionSpec, text: str, where: str, error: type[MozartError]) -> Any:
    if spec.kind == "choice":
        if text not in spec.choices:
            raise error(f"{where} must be one of {', '.join(spec.choices)}, got '{text}'")
        return text
    if spec.kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "on", "1", "yes"):
            return True
        if lowered in ("false", "off", "0", "no"):
            return False
        raise error(f"{where} must be true/false (or on/off), got '{text}'")
    if spec.kind in ("int", "float"):
        try:
            number: float = int(text) if spec.kind == "int" else float(text)
        except ValueError:
            raise error(f"{where} must be {'an integer' if spec.kind == 'int' else 'a number'}, "
                        f"got '{text}'") from None
        low, high = spec.minimum, spec.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            bounds = f"{format_option_value(low) if low is not None else '-inf'}.." \
                     f"{format_option_value(high) if high is not None else 'inf'}"
            raise error(f"{where} must be in {bounds}, got '{text}'")
        return number
    return text
