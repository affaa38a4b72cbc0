"""IR attribute values and their text form.

An attribute value is one of:

=============  ==========================  ==========================
Python         text                        example
=============  ==========================  ==========================
``bool``       ``true`` / ``false``        ``tied = false``
``int``        decimal                     ``experts = 64``
``float``      ``repr`` (always has . or e) ``eps = 1e-06``
``str``        double-quoted, escaped      ``source = "synthetic"``
``Ident``      bare identifier             ``act = swiglu``
``list``       ``[v, v, ...]``             ``clusters = [[0, 1], [2, 3]]``
``dict``       ``{k = v, ...}``            ``placement = {group = 0}``
=============  ==========================  ==========================

Printing then parsing any value gives an equal value of the same Python type.
"""

from __future__ import annotations

import json
import math
import re

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_KEYWORDS = frozenset({"true", "false", "module", "attributes", "tensor", "routing", "event"})


class Ident(str):
    """A bare identifier attribute (an enum-like word such as ``swiglu``, ``f16`` or ``load-desc``)."""

    __slots__ = ()

    def __new__(cls, value: str) -> Ident:
        if not _IDENT.fullmatch(value) or value in _KEYWORDS:
            raise ValueError(f"not a bare identifier: {value!r} (use a string attribute)")
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return f"Ident({str.__repr__(self)})"


Attr = bool | int | float | str | Ident | list["Attr"] | dict[str, "Attr"]


def format_attr(value: Attr) -> str:
    """The text form of one attribute value (see the module docstring)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Ident):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"attribute floats must be finite, got {value!r}")
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(format_attr(v) for v in value) + "]"
    if isinstance(value, dict):
        return format_attr_dict(value)
    raise TypeError(f"not an attribute value: {value!r} ({type(value).__name__})")


def format_attr_dict(attrs: dict[str, Attr]) -> str:
    """``{k = v, ...}`` in insertion order."""
    return "{" + ", ".join(f"{k} = {format_attr(v)}" for k, v in attrs.items()) + "}"


def attr_kind(value: Attr) -> str:
    """A short name of the value's kind for error messages: int, float, bool, string, ident, list, dict."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Ident):
        return "ident"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "dict"
