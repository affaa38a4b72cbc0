"""mozartc: map Mixture-of-Experts training onto the Mozart 3.5D wafer-scale chiplet system.

The Python API (docs/api.md)::

    import mozartc
    report = mozartc.compile("olmoe-1b-7b-0924", target="wafer", pipeline="mozart-c").run()
    print(report.step_time_s, report.breakdown_s)

``compile``, ``run``, ``Compiled``, ``Target`` and ``Report`` load on first use (:mod:`mozartc.api`),
so importing the package stays cheap: torch, OR-Tools and matplotlib load only when a compile or a
command needs them. The error types are those of :mod:`mozartc.errors`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mozartc.errors import (
    BackendError,
    CapacityError,
    FrontendError,
    MozartError,
    MozartWarning,
    ParseError,
    PassError,
    TargetError,
    TraceError,
    VerifyError,
)
from mozartc.version import __version__

if TYPE_CHECKING:
    from mozartc.api import Compiled, Report, Target, compile, run

#: the API names loaded from :mod:`mozartc.api` on first use
_LAZY = ("Compiled", "Report", "Target", "compile", "run")

__all__ = [
    "BackendError",
    "CapacityError",
    "Compiled",
    "FrontendError",
    "MozartError",
    "MozartWarning",
    "ParseError",
    "PassError",
    "Report",
    "Target",
    "TargetError",
    "TraceError",
    "VerifyError",
    "__version__",
    "compile",
    "run",
]


def __getattr__(name: str) -> Any:
    """Load an API name from :mod:`mozartc.api` when it is first used (PEP 562)."""
    if name in _LAZY:
        return getattr(importlib.import_module("mozartc.api"), name)
    raise AttributeError(f"module 'mozartc' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(__all__)
