"""The text form of a comparison (``mozartc diff``): a header of who each run is, the step line, tables.

Tables are rich tables. On a terminal they have box-drawing borders and a bold title; otherwise
(``plain``: a pipe, a file, a test) they are plain ASCII in Markdown's pipe layout at a fixed width,
with no colour or control code, so the same comparison always gives the same bytes.
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table

from mozartc.reports.compare import MODEL_NOTE, Comparison, Group
from mozartc.reports.compare_format import row_cells, step_line

#: width of the plain text (wide enough for the header's pipeline column)
PLAIN_WIDTH = 120


def _table(headers: tuple[str, ...], plain: bool) -> Table:
    table = Table(box=box.MARKDOWN if plain else box.SIMPLE_HEAD, show_edge=plain, pad_edge=plain,
                  header_style="" if plain else "bold")
    for k, header in enumerate(headers):
        table.add_column(header, justify="left" if k == 0 else "right", overflow="fold")
    return table


def _header(c: Comparison, plain: bool) -> Table:
    table = _table(("", "a", "b"), plain)
    table.columns[1].justify = table.columns[2].justify = "left"
    table.add_row("report", c.a.label, c.b.label)
    table.add_row("model", c.a.model or "-", c.b.model or "-")
    table.add_row("target", c.a.target, c.b.target)
    table.add_row("pipeline", c.a.pipeline_text(), c.b.pipeline_text())
    table.add_row("binding bound", c.a.bound_from or "-", c.b.bound_from or "-")
    return table


def _group_table(group: Group, plain: bool) -> Table:
    table = _table((group.title, "a", "b", "b - a", "b / a"), plain)
    for row in group.rows:
        table.add_row(row.name, *row_cells(row))
    return table


def render_text(c: Comparison, plain: bool = True, width: int = PLAIN_WIDTH) -> str:
    """The comparison as text (module docstring); ``plain`` False draws for a terminal ``width`` wide."""
    style = "" if plain else "bold"

    def text(renderable: RenderableType, line_style: str = "") -> str:
        out = io.StringIO()
        Console(file=out, width=width, color_system=None if plain else "standard", force_terminal=not plain,
                highlight=False, emoji=False, markup=False).print(renderable, style=line_style)
        lines = [line.rstrip() for line in out.getvalue().splitlines()]
        while lines and not lines[0]:
            lines.pop(0)
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines) + "\n"

    parts = [text("mozartc diff: run b against run a", style), text(_header(c, plain))]
    if "model" in c.differences():
        parts.append(text(MODEL_NOTE))
    parts.append(text(step_line(c.step, c.speedup), style))
    for group in c.groups:
        parts.append("\n" + text(_group_table(group, plain)))
        if group.note:
            parts.append(text(f"  {group.note}"))
    return "".join(parts)
