"""Pass registry: built-in passes by lazy import path, plus third-party passes from entry points.

A third-party package registers a pass in its ``pyproject.toml``::

    [project.entry-points."mozartc.passes"]
    my-pass = "my_package.my_pass:MyPass"

The entry-point name must equal the class's ``name``. Nothing is imported until a pass is used.
"""

from __future__ import annotations

import difflib
import importlib
from functools import lru_cache
from importlib.metadata import entry_points

from mozartc.errors import PassError
from mozartc.passes.base import Pass
from mozartc.passes.pipeline import parse_pipeline
from mozartc.passes.presets import expand_presets

ENTRY_POINT_GROUP = "mozartc.passes"

# name -> "module:Class"; one file per pass under mozartc/passes/.
BUILTIN_PASSES: dict[str, str] = {
    "verify": "mozartc.passes.verify_pass:VerifyPass",
    "summarize": "mozartc.passes.summarize:Summarize",
    "expert-cluster": "mozartc.passes.expert_cluster:ExpertCluster",
    "allocate": "mozartc.passes.allocate:Allocate",
    "a2a-dedup": "mozartc.passes.a2a_dedup:A2ADedup",
    "stream-schedule": "mozartc.passes.stream_schedule:StreamSchedule",
}


@lru_cache(maxsize=1)
def _plugin_passes() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_passes() -> dict[str, str]:
    """Every known pass name -> its import path (built-ins win over plug-ins of the same name)."""
    return {**_plugin_passes(), **BUILTIN_PASSES}


def get_pass_class(name: str) -> type[Pass]:
    """Import and return the pass class called ``name``; :class:`PassError` lists valid names."""
    known = available_passes()
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise PassError(f"unknown pass '{name}'{hint}; valid passes: {', '.join(sorted(known))}")
    module_name, _, attr = known[name].partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Pass)) or cls.name != name:
        raise PassError(f"pass plug-in '{name}' ({known[name]}) is not a Pass subclass named '{name}'")
    return cls


def build_pipeline(text: str) -> list[Pass]:
    """Parse a pipeline string (presets expanded) into configured pass objects."""
    return [get_pass_class(e.name).from_options(e.options) for e in parse_pipeline(expand_presets(text))]


def pipeline_text(passes: list[Pass]) -> str:
    """The fully spelled pipeline string of ``passes`` (every option explicit)."""
    return ",".join(p.options_text() for p in passes)
