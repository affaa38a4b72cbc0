"""Passes: the base class, the registry, pipeline strings, presets and the pass manager.

One file per pass under this package; ``BUILTIN_PASSES`` in :mod:`mozartc.passes.registry` maps
names to them. Third-party passes arrive through the ``mozartc.passes`` entry-point group.
"""

from mozartc.passes.base import OptionSpec, Pass, PassContext
from mozartc.passes.manager import Instrumentation, PassTiming, format_timings, run_pipeline
from mozartc.passes.registry import available_passes, build_pipeline, get_pass_class, pipeline_text

__all__ = [
    "Instrumentation", "OptionSpec", "Pass", "PassContext", "PassTiming", "available_passes",
    "build_pipeline", "format_timings", "get_pass_class", "pipeline_text", "run_pipeline",
]
