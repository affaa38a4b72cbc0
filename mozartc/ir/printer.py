"""The IR printer: the one canonical text form (``.mir``) that :mod:`mozartc.ir.parser` reads back.

``parse(print_module(m))`` rebuilds ``m`` and ``print_module(parse(text)) == text`` for any text the
printer emitted. Layout: two-space indentation, one op or region header per line, attributes in
insertion order, a trailing newline.
"""

from __future__ import annotations

from mozartc.ir.attrs import format_attr_dict
from mozartc.ir.core import Item, Loc, Module, Op, Region

INDENT = "  "


def format_op(op: Op) -> str:
    """One op without indentation: ``%r = name(%a, %b) {k = v} : type``."""
    head = f"%{op.result.name} = " if op.result is not None else ""
    operands = ", ".join(f"%{name}" for name in op.operands)
    text = f"{head}{op.name}({operands})"
    if op.attrs:
        text += " " + format_attr_dict(op.attrs)
    if op.result is not None:
        text += f" : {op.result.type}"
    return text


def format_region_header(region: Region) -> str:
    """``kind index {attrs} {`` (index and attrs only when present)."""
    text = region.kind
    if region.index is not None:
        text += f" {region.index}"
    if region.attrs:
        text += " attributes " + format_attr_dict(region.attrs)
    return text + " {"


def module_header(module: Module) -> str:
    """``module @name attributes {attrs} {``."""
    text = f"module @{module.name}"
    if module.attrs:
        text += " attributes " + format_attr_dict(module.attrs)
    return text + " {"


class _Writer:
    def __init__(self, record: dict[int, Loc] | None) -> None:
        self.lines: list[str] = []
        self.record = record

    def line(self, depth: int, text: str, item: object | None = None) -> None:
        if self.record is not None and item is not None:
            self.record[id(item)] = (len(self.lines) + 1, len(INDENT) * depth + 1)
        self.lines.append(INDENT * depth + text)

    def items(self, items: list[Item], depth: int) -> None:
        for item in items:
            if isinstance(item, Op):
                self.line(depth, format_op(item), item)
            else:
                self.line(depth, format_region_header(item), item)
                self.items(item.body, depth + 1)
                self.line(depth, "}")


def print_module(module: Module, record: dict[int, Loc] | None = None) -> str:
    """The canonical text of ``module``.

    When ``record`` is given it receives ``id(item) -> (line, column)`` for every op and region,
    so messages about modules built in memory can still name a line:column of the printed form.
    """
    writer = _Writer(record)
    writer.line(0, module_header(module), module)
    writer.items(module.body, 1)
    writer.line(0, "}")
    return "\n".join(writer.lines) + "\n"
