"""What the readers of ``.mir`` IR and ``.mzs`` streams share: syntax-error reporting, a GC pause.

Turns a lark ``UnexpectedInput`` into the parts of a one-line message: the 1-based position, what
was found, what was expected (terminal names made human), and the offending line with a caret.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken


def at_end(err: UnexpectedInput) -> bool:
    """True when the parser ran out of input."""
    token = getattr(err, "token", None)
    return isinstance(err, UnexpectedEOF) or getattr(token, "type", "") == "$END"


def error_position(err: UnexpectedInput, text: str) -> tuple[int, int]:
    """(line, column) of the error; at the end of input, just after the last character."""
    line, column = getattr(err, "line", -1), getattr(err, "column", -1)
    if at_end(err) and (line in (-1, None) or column in (-1, None)):
        lines = text.splitlines() or [""]
        return len(lines), len(lines[-1]) + 1
    return int(line), int(column)


def found_text(err: UnexpectedInput, text: str) -> str:
    """What the parser found: a quoted token or character, or ``end of input``."""
    if at_end(err):
        return "end of input"
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream or 0
        return repr(text[pos]) if pos < len(text) else "end of input"
    return repr(str(getattr(err, "token", "")))


def expected_text(err: UnexpectedInput, names: dict[str, str]) -> str:
    """The terminals the parser would have accepted, named through ``names`` (sorted, comma-joined)."""
    wanted: set[str] = set()
    if isinstance(err, UnexpectedToken | UnexpectedEOF):
        wanted = set(err.expected)
    elif isinstance(err, UnexpectedCharacters):
        wanted = set(err.allowed or ())
    human = sorted({names.get(n, n.lower()) for n in wanted if not n.startswith("__")})
    return ", ".join(human) if human else "something else"


def caret_line(text: str, line: int, column: int) -> str:
    """The source line and a caret under ``column`` (empty when the line does not exist)."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    return f"{lines[line - 1]}\n{' ' * (max(column, 1) - 1)}^"


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a block (and restore it as it was).

    A line reader allocates a few tuples, lists and objects per line, none in a cycle; with the
    collector on, its passes over the growing young generations take about a third of the time.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
