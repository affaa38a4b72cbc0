"""Pass registry: built-in passes by lazy import path, plus third-party passes from entry points.

A third-party package registers a pass in its ``pyproject.toml``::

    [project.entry-points."mozartc.passes"]
    my-pass = "my_package.my_pass:MyPass"

The entry-point name must equal the class's ``name``. Nothing is imported until a pass is used.
"""

from __future__ import annotations

from functools import lru_cache

from mozartc.errors import PassError
from mozartc.option_syntax import parse_pipeline
from mozartc.passes.base import Pass
from mozartc.passes.presets import expand_presets
from mozartc.plugins import entry_point_paths, load_named_class

ENTRY_POINT_GROUP = "mozartc.passes"

# name -> "module:Class"; one file per pass under mozartc/passes/.
BUILTIN_PASSES: dict[str, str] = {
    "verify": "mozartc.passes.verify_pass:VerifyPass",
    "check-capacity": "mozartc.passes.check_capacity:CheckCapacity",
    "summarize": "mozartc.passes.summarize:Summarize",
    "expert-cluster": "mozartc.passes.expert_cluster:ExpertCluster",
    "allocate": "mozartc.passes.allocate:Allocate",
    "a2a-dedup": "mozartc.passes.a2a_dedup:A2ADedup",
    "stream-schedule": "mozartc.passes.stream_schedule:StreamSchedule",
}


@lru_cache(maxsize=1)
def _plugin_passes() -> dict[str, str]:
    return entry_point_paths(ENTRY_POINT_GROUP)


def available_passes() -> dict[str, str]:
    """Every known pass name -> its import path (built-ins win over plug-ins of the same name)."""
    return {**_plugin_passes(), **BUILTIN_PASSES}


def get_pass_class(name: str) -> type[Pass]:
    """Import and return the pass class called ``name``; :class:`PassError` lists valid names."""
    return load_named_class(name, available_passes(), Pass, "pass", PassError)


def build_pipeline(text: str) -> list[Pass]:
    """Parse a pipeline string (presets expanded) into configured pass objects."""
    return [get_pass_class(e.name).from_options(e.options) for e in parse_pipeline(expand_presets(text))]


def pipeline_text(passes: list[Pass]) -> str:
    """The fully spelled pipeline string of ``passes`` (every option explicit)."""
    return ",".join(p.options_text() for p in passes)
