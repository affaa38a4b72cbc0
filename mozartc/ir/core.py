"""IR data structures: a :class:`Module` holds a body of :class:`Op` and :class:`Region` items.

- An :class:`Op` computes at most one SSA :class:`Value` from operand values named by their
  ``%name``; its ``attrs`` carry everything later passes need (dims, expert counts, FFN sizes,
  parameter bytes, forward FLOPs per token).
- A :class:`Region` groups items under a kind and an optional index (``layer 3 { ... }``,
  ``schedule { ... }``); values defined inside a region are visible after it (regions are
  grouping, not scopes), so the module reads like one straight-line program.
- ``loc`` is the (line, column) an item was parsed from, or None for items built in memory.

The IR is mutable so passes can annotate ops in place; a pass that needs the input unchanged
copies it first (:meth:`Module.clone`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field

from mozartc.errors import VerifyError
from mozartc.ir.attrs import Attr
from mozartc.ir.types import Type

Loc = tuple[int, int]


def int_attr(attrs: dict[str, Attr], key: str, default: int | None, owner: str, loc: Loc | None = None) -> int:
    """The integer ``attrs[key]`` of ``owner`` (an op or the module; a bool is not an integer).

    Absent: ``default``, or :class:`~mozartc.errors.VerifyError` when there is none. Present with
    another type: always :class:`~mozartc.errors.VerifyError`, naming the owner and the value.
    """
    value = attrs.get(key)
    where = f"<IR>:{loc[0]}:{loc[1]}" if loc is not None else None
    if value is None:
        if default is None:
            raise VerifyError(f"{owner} has no integer attribute '{key}'", where=where)
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise VerifyError(f"{owner}: attribute '{key}' must be an integer, got {value!r}", where=where)
    return value


@dataclass(frozen=True)
class Value:
    """An SSA value: a name (printed ``%name``) and its type."""

    name: str
    type: Type


@dataclass(eq=False)
class Op:
    """One operation: ``%result = name(%a, %b) {attrs} : type``.

    ``operands`` are value names (without ``%``); ``result`` is None for ops that define nothing.
    """

    name: str
    operands: list[str] = field(default_factory=list)
    attrs: dict[str, Attr] = field(default_factory=dict)
    result: Value | None = None
    loc: Loc | None = None

    @property
    def result_name(self) -> str | None:
        """Name of the defined value, or None."""
        return self.result.name if self.result is not None else None

    def label(self) -> str:
        """How messages name this op: ``'experts' op (%e3)``."""
        suffix = f" (%{self.result.name})" if self.result is not None else ""
        return f"'{self.name}' op{suffix}"

    def int_attr(self, key: str, default: int | None = None) -> int:
        """The integer attribute ``key`` (see :func:`int_attr`)."""
        return int_attr(self.attrs, key, default, self.label(), self.loc)

    def int_list_attr(self, key: str) -> list[int]:
        """The attribute ``key`` as a list of integers; :class:`~mozartc.errors.VerifyError` when it is
        absent or holds anything else."""
        value = self.attrs.get(key)
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            where = f"<IR>:{self.loc[0]}:{self.loc[1]}" if self.loc is not None else None
            raise VerifyError(f"{self.label()}: attribute '{key}' must be a list of integers, got {value!r}",
                              where=where)
        return [v for v in value if isinstance(v, int)]


@dataclass(eq=False)
class Region:
    """A named group of items: ``kind index {attrs} { body }`` (index and attrs optional)."""

    kind: str
    index: int | None = None
    attrs: dict[str, Attr] = field(default_factory=dict)
    body: list[Item] = field(default_factory=list)
    loc: Loc | None = None

    def label(self) -> str:
        """How messages name this region: ``region 'layer 3'``."""
        return f"region '{self.kind}{'' if self.index is None else ' ' + str(self.index)}'"

    def ops(self) -> Iterator[Op]:
        """Every op in this region, nested regions included, in text order."""
        yield from _walk_ops(self.body)


Item = Op | Region


@dataclass(eq=False)
class Module:
    """The top-level IR object: ``module @name {attrs} { body }``."""

    name: str
    attrs: dict[str, Attr] = field(default_factory=dict)
    body: list[Item] = field(default_factory=list)
    loc: Loc | None = None

    def ops(self) -> Iterator[Op]:
        """Every op, nested regions included, in text order."""
        yield from _walk_ops(self.body)

    def ops_named(self, name: str) -> Iterator[Op]:
        """Every op called ``name``, in text order."""
        return (op for op in self.ops() if op.name == name)

    def regions(self, kind: str | None = None) -> Iterator[Region]:
        """Every region (of ``kind`` when given), outer before inner, in text order."""
        yield from _walk_regions(self.body, kind)

    def layers(self) -> list[Region]:
        """The ``layer`` regions in text order."""
        return list(self.regions("layer"))

    def int_attr(self, key: str, default: int | None = None) -> int:
        """The module's integer attribute ``key`` (see :func:`int_attr`)."""
        return int_attr(self.attrs, key, default, f"module @{self.name}", self.loc)

    def clone(self) -> Module:
        """A deep copy that shares nothing mutable with this module."""
        return copy.deepcopy(self)


def _walk_ops(items: list[Item]) -> Iterator[Op]:
    for item in items:
        if isinstance(item, Op):
            yield item
        else:
            yield from _walk_ops(item.body)


def _walk_regions(items: list[Item], kind: str | None) -> Iterator[Region]:
    for item in items:
        if isinstance(item, Region):
            if kind is None or item.kind == kind:
                yield item
            yield from _walk_regions(item.body, kind)
