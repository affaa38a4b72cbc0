"""The pass base class: a frozen dataclass whose fields are its typed options.

A pass has a class-level ``name`` (what pipelines call it), a one-line ``summary``, what it
``requires`` and ``provides`` (:data:`FACTS`), and fields that are its options, spelled with hyphens
in pipeline strings (``time_limit`` is ``time-limit``)::

    @dataclass(frozen=True)
    class ExpertCluster(Pass):
        name: ClassVar[str] = "expert-cluster"
        summary: ClassVar[str] = "group co-activated experts into equal-size clusters"
        requires: ClassVar[frozenset[str]] = frozenset({TARGET})
        provides: ClassVar[frozenset[str]] = frozenset({CLUSTERS})
        method: Literal["greedy", "cpsat"] = field(default="greedy", metadata={"help": "clustering method"})

        def run(self, module: Module, ctx: PassContext) -> Module: ...

Options may be ``int``, ``float``, ``bool``, ``str`` or a ``Literal`` of strings. The pass manager
checks, before any pass runs, that every requirement is met by the input module, the context or an
earlier pass (docs/passes.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from mozartc.defaults import MICRO_BATCHES
from mozartc.errors import PassError
from mozartc.ir.core import Module
from mozartc.options import Configurable, OptionSpec, format_option_value

if TYPE_CHECKING:
    from mozartc.cache import ResultCache
    from mozartc.hw.target import Target
    from mozartc.traces.format import RoutingTrace

#: the context holds a hardware target (``ctx.target``)
TARGET = "target"
#: every ``experts`` op carries a clustering (``expert-cluster``)
CLUSTERS = "clusters"
#: every cluster is placed on an expert chiplet (``allocate``)
PLACEMENT = "placement"
#: the module has a training-step schedule (``stream-schedule``)
SCHEDULE = "schedule"

#: what each fact means, for messages
FACTS: dict[str, str] = {
    TARGET: "a hardware target",
    CLUSTERS: "a clustering of every MoE layer's experts",
    PLACEMENT: "every expert cluster placed on a chiplet",
    SCHEDULE: "a training-step schedule",
}


@dataclass
class PassContext:
    """What passes may read besides their options: the target, the routing trace, the seed.

    ``notes`` collects warnings that passes raise for the user (printed by the CLI and recorded in
    reports); passes append to it, never print. ``routing`` is the routing trace of the module's MoE
    layers, left by ``expert-cluster`` for later passes. ``cache`` is the store of solver results
    (:mod:`mozartc.cache`) that ``expert-cluster`` reads and fills; None computes everything.
    ``jobs`` is how many worker processes ``expert-cluster`` may solve layers in (1: this process);
    the result does not depend on it.
    """

    target: Target | None = None
    trace_path: str | None = None
    seed: int = 0
    micro_batches: int = MICRO_BATCHES
    notes: list[str] = field(default_factory=list)
    routing: RoutingTrace | None = None
    cache: ResultCache | None = None
    jobs: int = 1

    def hardware(self) -> Target:
        """The target; only passes that require :data:`TARGET` call this (the manager guarantees it)."""
        if self.target is None:
            raise PassError("this pass needs a hardware target, and the context has none")
        return self.target


@dataclass(frozen=True)
class Pass(Configurable):
    """Base class of every pass. Subclasses are frozen dataclasses; see the module docstring."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    component: ClassVar[str] = "pass"
    #: facts (:data:`FACTS`) that must hold before this pass runs
    requires: ClassVar[frozenset[str]] = frozenset()
    #: facts that hold after it
    provides: ClassVar[frozenset[str]] = frozenset()

    def run(self, module: Module, ctx: PassContext) -> Module:
        """Transform or annotate ``module`` and return it (in place or a new module)."""
        raise NotImplementedError(f"pass '{self.name}' does not implement run()")


__all__ = ["CLUSTERS", "FACTS", "PLACEMENT", "SCHEDULE", "TARGET", "OptionSpec", "Pass", "PassContext",
           "format_option_value"]
