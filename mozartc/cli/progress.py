"""The one progress display of the CLI: a rich bar on a terminal, plain lines otherwise.

Every long command (``cluster``, ``profile``, ``reproduce``, ``sweep``) reports through
:func:`progress`, which yields ``advance(done, total, label)``. On a terminal it draws a rich bar on
stderr; when stderr is not a terminal (piped, redirected, CI logs) it writes a plain line such as
``reproduce: 12/90 olmoe-1b-7b-0924/256/hbm2/mozart-c`` at most every tenth of the total (``PLAIN_STEPS``),
and always the last one, so a log gets a few readable lines instead of control characters.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

#: a plain-text line each time another 1/PLAIN_STEPS of the work has been done (and at the end)
PLAIN_STEPS = 10

Advance = Callable[[int, int, str], None]


@contextmanager
def progress(description: str, total: int | None, stream: TextIO | None = None,
             terminal: bool | None = None) -> Iterator[Advance]:
    """Yield ``advance(done, total, label)`` drawing progress on ``stream`` (default stderr).

    ``total`` may be unknown (None) until the first call; ``terminal`` overrides the TTY check (tests).
    """
    out = stream if stream is not None else sys.stderr
    tty = out.isatty() if terminal is None else terminal
    if tty:
        with _rich_bar(description, total, out) as advance:
            yield advance
    else:
        yield _plain_lines(description, out)


@contextmanager
def _rich_bar(description: str, total: int | None, out: TextIO) -> Iterator[Advance]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("[dim]{task.fields[last]}"))
    with Progress(*columns, console=Console(file=out), transient=True) as bar:
        task = bar.add_task(description, total=total, last="")

        def advance(done: int, total_now: int, label: str) -> None:
            bar.update(task, completed=done, total=total_now, last=label)

        yield advance


def _plain_lines(description: str, out: TextIO) -> Advance:
    shown = {"next": 0}  # the next step (in 1/PLAIN_STEPS of the total) that earns a line

    def advance(done: int, total: int, label: str) -> None:
        if total <= 0:
            return
        if done >= total or done * PLAIN_STEPS >= shown["next"] * total:
            out.write(f"{description}: {done}/{total}" + (f" {label}" if label else "") + "\n")
            out.flush()
            shown["next"] = done * PLAIN_STEPS // total + 1

    return advance


def counting(advance: Advance, total: int) -> Callable[..., None]:
    """A callback that counts its calls and reports each as one more of ``total`` done (the total
    grows if the calls outnumber it, so a miscount never breaks the command)."""
    seen = {"done": 0}

    def tick(*_: object) -> None:
        seen["done"] += 1
        advance(seen["done"], max(total, seen["done"]), "")

    return tick
