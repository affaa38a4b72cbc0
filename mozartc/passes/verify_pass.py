"""``verify``: check the module's invariants and change nothing (the trivial pipeline)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mozartc.ir.core import Module
from mozartc.ir.verifier import verify
from mozartc.passes.base import Pass, PassContext


@dataclass(frozen=True)
class VerifyPass(Pass):
    """Run the verifier; the module passes through unchanged."""

    name: ClassVar[str] = "verify"
    summary: ClassVar[str] = "check IR invariants, change nothing"

    def run(self, module: Module, ctx: PassContext) -> Module:
        verify(module)
        return module
