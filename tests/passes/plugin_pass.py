"""A third-party pass used by the entry-point test (stands in for a separately installed package)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mozartc.ir import Module
from mozartc.passes import Pass, PassContext


@dataclass(frozen=True)
class TagModule(Pass):
    """Adds ``tag = <value>`` to the module attributes."""

    name: ClassVar[str] = "tag-module"
    summary: ClassVar[str] = "add a tag attribute to the module"
    value: str = "plugin"

    def run(self, module: Module, ctx: PassContext) -> Module:
        module.attrs["tag"] = self.value
        return module
