"""A small TOML writer for target tables (the standard library reads TOML but does not write it).

Handles what target files hold: nested tables, arrays of tables, strings, booleans, integers,
floats and arrays of those. ``tomllib.loads(dumps(data)) == data`` for such data; the output is
deterministic (keys in the order given).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from mozartc.errors import MozartError

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def dumps(data: dict[str, Any]) -> str:
    """The TOML text of ``data``: scalars of a table first, then its sub-tables and arrays of tables."""
    lines: list[str] = []
    _table(data, [], lines)
    return "\n".join(lines).strip("\n") + "\n"


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(data: dict[str, Any], path: list[str], lines: list[str]) -> None:
    for key, value in data.items():
        if not isinstance(value, dict) and not _is_table_array(value):
            lines.append(f"{_key(key)} = {_value(value, [*path, key])}")
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{'.'.join(_key(k) for k in [*path, key])}]"]
            _table(value, [*path, key], lines)
        elif _is_table_array(value):
            for item in value:
                lines += ["", f"[[{'.'.join(_key(k) for k in [*path, key])}]]"]
                _table(item, [*path, key], lines)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _value(value: Any, path: list[str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v, path) for v in value) + "]"
    raise MozartError(f"cannot write a {type(value).__name__} value to TOML", where=".".join(path))
