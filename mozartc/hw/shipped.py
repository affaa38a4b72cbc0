"""The targets shipped with mozartc, by name: ``--target wafer`` anywhere, ``mozartc target list``.

A target argument is a path to a TOML file, or the name of a shipped target (the file's stem in
``mozartc/hw/targets/``, e.g. ``wafer``, ``wafer-64``, ``olmoe-1b-7b-0924-ssd``). An existing file
wins over a shipped name; a value that is neither names the closest shipped target.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from mozartc.errors import TargetError

SHIPPED_DIR = Path(__file__).resolve().parent / "targets"
DEFAULT_TARGET = "wafer"


def shipped_names() -> list[str]:
    """Names of the shipped targets, sorted."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.toml"))


def shipped_path(name: str) -> Path:
    """The file of shipped target ``name``; :class:`TargetError` naming the closest one otherwise."""
    path = SHIPPED_DIR / f"{name}.toml"
    if path.is_file():
        return path
    names = shipped_names()
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise TargetError(f"no shipped target named '{name}'{hint} (shipped: {', '.join(names)}; "
                      "or give a path to a .toml file)", where=name)


def resolve_target(value: str | Path) -> Path:
    """The target file ``value`` stands for: an existing file, else a shipped target's name.

    A value with a directory part or a ``.toml`` suffix is always a path (a missing file is reported
    as such by the loader).
    """
    path = Path(value)
    if path.is_file() or path.suffix == ".toml" or len(path.parts) > 1:
        return path
    return shipped_path(str(value))


@dataclass(frozen=True)
class ShippedTarget:
    """One line of ``mozartc target list``: the name, the system's name and its description."""

    name: str
    system: str
    description: str
    path: Path


def list_shipped() -> list[ShippedTarget]:
    """Every shipped target with its ``[system]`` name and description (read without validating)."""
    out: list[ShippedTarget] = []
    for name in shipped_names():
        path = SHIPPED_DIR / f"{name}.toml"
        system = tomllib.loads(path.read_text(encoding="utf-8")).get("system", {})
        out.append(ShippedTarget(name, str(system.get("name", name)), str(system.get("description", "")), path))
    return out
