"""The ``name{key=value,...}`` syntax of configurable components, parsed and formatted in one place.

Pass pipelines (``a,b{key=value,k2=v2},c``), backends (``mozart{...}``) and sweep specs all spell a
component this way. Grammar (whitespace around tokens is ignored)::

    list    := element ("," element)*
    element := NAME ["{" [option ("," option)*] "}"]
    option  := KEY "=" VALUE          # VALUE: any text without , { } = or whitespace

In a pass pipeline a name may also be a preset (``baseline``, ``mozart-c``...; see
:mod:`mozartc.passes.presets`), which expands to its own pipeline string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mozartc.errors import MozartError, PassError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.+\-]*")
_VALUE = re.compile(r"[^,{}=\s]+")
#: what an element of each kind of list is called in messages
_NOUN = {"pipeline": "pass"}


@dataclass(frozen=True)
class PipelineElement:
    """One component request: its name, options as text, and its column in the string."""

    name: str
    options: dict[str, str]
    column: int

    def text(self) -> str:
        """The element spelled back: ``name`` or ``name{k=v,...}`` (options in their given order)."""
        return format_component(self.name, self.options)


def format_component(name: str, options: dict[str, str]) -> str:
    """``name`` when there are no options, else ``name{k1=v1,k2=v2}`` in the given order."""
    return f"{name}{{{','.join(f'{k}={v}' for k, v in options.items())}}}" if options else name


def format_components(elements: list[PipelineElement]) -> str:
    """A list of elements spelled back, comma-separated."""
    return ",".join(e.text() for e in elements)


class _Scanner:
    def __init__(self, text: str, what: str, error: type[MozartError]) -> None:
        self.text = text
        self.pos = 0
        self.what = what
        self.error_type = error

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def error(self, expected: str) -> MozartError:
        found = repr(self.text[self.pos]) if self.pos < len(self.text) else f"end of {self.what}"
        return self.error_type(f"bad {self.what} at column {self.pos + 1}: expected {expected}, found {found}",
                               where=f"{self.what} '{self.text}'")

    def take(self, pattern: re.Pattern[str], expected: str) -> str:
        self.skip_ws()
        match = pattern.match(self.text, self.pos)
        if not match:
            raise self.error(expected)
        self.pos = match.end()
        return match.group(0)

    def accept(self, char: str) -> bool:
        self.skip_ws()
        if self.text.startswith(char, self.pos):
            self.pos += 1
            return True
        return False


def parse_pipeline(text: str, what: str = "pipeline", error: type[MozartError] = PassError) -> list[PipelineElement]:
    """Split ``text`` into elements; an empty string is the empty list. Errors are ``error``s that
    call the text a ``what`` and give the column."""
    scanner = _Scanner(text, what, error)
    scanner.skip_ws()
    elements: list[PipelineElement] = []
    if scanner.pos == len(text):
        return elements
    while True:
        scanner.skip_ws()
        column = scanner.pos + 1
        name = scanner.take(_NAME, "a pass name")
        options: dict[str, str] = {}
        if scanner.accept("{") and not scanner.accept("}"):
            while True:
                key = scanner.take(_NAME, "an option name")
                if not scanner.accept("="):
                    raise scanner.error("'='")
                if key in options:
                    raise error(f"option '{key}' given twice for {_NOUN.get(what, what)} '{name}'",
                                where=f"{what} '{text}'")
                options[key] = scanner.take(_VALUE, "an option value")
                if scanner.accept("}"):
                    break
                if not scanner.accept(","):
                    raise scanner.error("',' or '}'")
        elements.append(PipelineElement(name, options, column))
        if not scanner.accept(","):
            scanner.skip_ws()
            if scanner.pos != len(text):
                raise scanner.error(f"',' or the end of the {what}")
            return elements
