"""Backend registry: built-in backends by lazy import path, plus third-party ones from entry points.

A third-party package registers a backend in its ``pyproject.toml`` (see docs/backends.md and
``examples/backend-plugin/``)::

    [project.entry-points."mozartc.backends"]
    csv = "mozartc_csv_backend:CsvBackend"

The entry-point name must equal the class's ``name``; built-ins win over plug-ins of the same name.
"""

from __future__ import annotations

from functools import lru_cache

from mozartc.backends.base import Backend
from mozartc.errors import BackendError
from mozartc.option_syntax import parse_pipeline
from mozartc.plugins import entry_point_paths, load_named_class

ENTRY_POINT_GROUP = "mozartc.backends"

# name -> "module:Class"
BUILTIN_BACKENDS: dict[str, str] = {
    "mozart": "mozartc.backends.mozart:MozartBackend",
    "null": "mozartc.backends.null:NullBackend",
}


@lru_cache(maxsize=1)
def _plugin_backends() -> dict[str, str]:
    return entry_point_paths(ENTRY_POINT_GROUP)


def available_backends() -> dict[str, str]:
    """Every known backend name -> its import path (built-ins win over plug-ins of the same name)."""
    return {**_plugin_backends(), **BUILTIN_BACKENDS}


def get_backend_class(name: str) -> type[Backend]:
    """Import and return the backend class called ``name``; :class:`BackendError` lists valid names."""
    return load_named_class(name, available_backends(), Backend, "backend", BackendError)


def build_backend(text: str) -> Backend:
    """A configured backend from ``name`` or ``name{key=value,...}`` (the pass-option syntax)."""
    elements = parse_pipeline(text, "backend", BackendError)
    if len(elements) != 1:
        raise BackendError(f"expected one backend, got {len(elements)}", where=f"backend '{text}'")
    return get_backend_class(elements[0].name).from_options(elements[0].options)
