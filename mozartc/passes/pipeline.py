"""Pipeline strings: ``a,b{key=value,k2=v2},c`` parsed into pass names and option texts.

Grammar (whitespace around tokens is ignored)::

    pipeline := element ("," element)*
    element  := NAME ["{" [option ("," option)*] "}"]
    option   := KEY "=" VALUE         # VALUE: any text without , { } =

A name may also be a preset (``baseline``, ``mozart-c``...; see :mod:`mozartc.passes.presets`),
which expands to its own pipeline string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mozartc.errors import PassError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.+\-]*")
_VALUE = re.compile(r"[^,{}=\s]+")


@dataclass(frozen=True)
class PipelineElement:
    """One pass request: its name, options as text, and its column in the pipeline string."""

    name: str
    options: dict[str, str]
    column: int


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def error(self, expected: str) -> PassError:
        found = repr(self.text[self.pos]) if self.pos < len(self.text) else "end of pipeline"
        return PassError(f"bad pipeline at column {self.pos + 1}: expected {expected}, found {found}",
                         where=f"pipeline '{self.text}'")

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


def parse_pipeline(text: str) -> list[PipelineElement]:
    """Split a pipeline string into elements; an empty string is the empty pipeline."""
    scanner = _Scanner(text)
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
                    raise PassError(f"option '{key}' given twice for pass '{name}'", where=f"pipeline '{text}'")
                options[key] = scanner.take(_VALUE, "an option value")
                if scanner.accept("}"):
                    break
                if not scanner.accept(","):
                    raise scanner.error("',' or '}'")
        elements.append(PipelineElement(name, options, column))
        if not scanner.accept(","):
            scanner.skip_ws()
            if scanner.pos != len(text):
                raise scanner.error("',' or the end of the pipeline")
            return elements
