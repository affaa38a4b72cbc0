"""The pass base class: a frozen dataclass whose fields are its typed options.

A pass has a class-level ``name`` (what pipelines call it), a one-line ``summary``, and fields that
are its options, spelled with hyphens in pipeline strings (``time_limit`` is ``time-limit``)::

    @dataclass(frozen=True)
    class ExpertCluster(Pass):
        name: ClassVar[str] = "expert-cluster"
        summary: ClassVar[str] = "group co-activated experts into equal-size clusters"
        method: Literal["greedy", "cpsat"] = field(default="greedy", metadata={"help": "clustering method"})

        def run(self, module: Module, ctx: PassContext) -> Module: ...

Options may be ``int``, ``float``, ``bool``, ``str`` or a ``Literal`` of strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from mozartc.ir.core import Module
from mozartc.options import Configurable, OptionSpec, format_option_value


@dataclass
class PassContext:
    """What passes may read besides their options: the target, the routing trace, the seed.

    ``notes`` collects warnings that passes raise for the user (printed by the CLI and recorded in
    reports); passes append to it, never print.
    """

    target: Any = None
    trace_path: str | None = None
    seed: int = 0
    micro_batches: int = 4
    notes: list[str] = field(default_factory=list)
    #: the routing trace of the module's MoE layers, left by expert-cluster for later passes
    routing: Any = None


@dataclass(frozen=True)
class Pass(Configurable):
    """Base class of every pass. Subclasses are frozen dataclasses; see the module docstring."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    component: ClassVar[str] = "pass"
    #: True for passes that map onto the hardware target (they read ``ctx.target``)
    needs_target: ClassVar[bool] = False

    def run(self, module: Module, ctx: PassContext) -> Module:
        """Transform or annotate ``module`` and return it (in place or a new module)."""
        raise NotImplementedError(f"pass '{self.name}' does not implement run()")


__all__ = ["OptionSpec", "Pass", "PassContext", "format_option_value"]
