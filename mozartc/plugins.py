"""Shared plumbing of name -> class registries with built-ins and entry-point plug-ins.

A registry keeps ``name -> "module:Class"`` import paths (nothing is imported until a name is
used) for its built-ins, and reads third-party ones from an entry-point group. Used by
:mod:`mozartc.passes.registry` and :mod:`mozartc.backends.registry`.
"""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import entry_points
from typing import TypeVar

from mozartc.errors import MozartError

T = TypeVar("T")


def entry_point_paths(group: str) -> dict[str, str]:
    """``name -> "module:attr"`` of every installed entry point in ``group``."""
    return {ep.name: ep.value for ep in entry_points(group=group)}


def unknown_name(what: str, name: str, known: dict[str, str], error: type[MozartError]) -> MozartError:
    """``unknown WHAT 'name' (did you mean ...?); valid WHATs: ...`` as an ``error``."""
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    plural = f"{what}es" if what.endswith("s") else f"{what}s"
    return error(f"unknown {what} '{name}'{hint}; valid {plural}: {', '.join(sorted(known))}")


def load_named_class(name: str, known: dict[str, str], base: type[T], what: str,
                     error: type[MozartError]) -> type[T]:
    """Import ``known[name]`` and check it is a subclass of ``base`` whose ``name`` attribute is ``name``."""
    if name not in known:
        raise unknown_name(what, name, known, error)
    module_name, _, attr = known[name].partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise error(f"{what} '{name}' ({known[name]}) cannot be imported: {err}") from None
    if not (isinstance(cls, type) and issubclass(cls, base)) or getattr(cls, "name", None) != name:
        raise error(f"{what} plug-in '{name}' ({known[name]}) is not a {base.__name__} subclass named '{name}'")
    return cls
