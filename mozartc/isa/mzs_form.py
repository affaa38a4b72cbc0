"""What the ``.mzs`` printer and its two readers share: field order and defaults, source locations.

The printer (:mod:`mozartc.isa.mzs`), the grammar reader (:mod:`mozartc.isa.mzs_lark`) and the line
reader (:mod:`mozartc.isa.mzs_lines`) take the attribute order and defaults from here, so the text
the printer writes is the text the line reader recognises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mozartc.isa.instr import Stream

INDENT = "  "
#: integer fields in print order, with their defaults
SIZE_FIELDS: tuple[tuple[str, int], ...] = (
    ("bytes", 0), ("inputs", 0), ("m", 0), ("k", 0), ("n", 0), ("count", 1), ("flops", 0),
)
#: size fields each op needs (always printed for that op)
OP_FIELDS: dict[str, tuple[str, ...]] = {
    "load": ("bytes",), "store": ("bytes",), "send": ("bytes",),
    "gemm": ("m", "k", "n", "count"), "compute": ("flops",), "reduce": ("bytes", "inputs"), "barrier": (),
}
#: ops whose operands are ``src -> dst`` (the others take one ``unit``, barrier none)
TRANSFER_OPS: frozenset[str] = frozenset({"load", "store", "send"})

Loc = tuple[int, int]


@dataclass(frozen=True)
class InstrLoc:
    """Where one parsed instruction came from: its line/column and those of its parts.

    ``fields`` maps ``src``/``dst``/``unit``/``op`` and attribute keys to their position; ``deps``
    holds one position per dependency, in order.
    """

    loc: Loc
    fields: dict[str, Loc] = field(default_factory=dict)
    deps: tuple[Loc, ...] = ()


@dataclass(frozen=True)
class SourceMap:
    """Positions of a parsed stream's instructions, for error messages (``file:line:col``).

    ``instrs`` is a tuple (grammar reader) or a sequence that locates an instruction when asked
    (line reader): both give the same :class:`InstrLoc` for every index.
    """

    filename: str
    instrs: Sequence[InstrLoc]

    def where(self, index: int, part: str | None = None, dep: int | None = None) -> str:
        """``file:line:col`` of instruction ``index`` (or of its field ``part`` / dependency ``dep``)."""
        entry = self.instrs[index]
        line, col = entry.loc
        if dep is not None and dep < len(entry.deps):
            line, col = entry.deps[dep]
        elif part is not None and part in entry.fields:
            line, col = entry.fields[part]
        return f"{self.filename}:{line}:{col}"


@dataclass(frozen=True)
class ParsedStream:
    """A parsed ``.mzs`` text: the stream and where each instruction came from."""

    stream: Stream
    source: SourceMap


def shifted(entry: InstrLoc, lines: int) -> InstrLoc:
    """``entry`` moved down by ``lines`` lines (for an instruction parsed on its own)."""
    return InstrLoc((entry.loc[0] + lines, entry.loc[1]),
                    {key: (line + lines, col) for key, (line, col) in entry.fields.items()},
                    tuple((line + lines, col) for line, col in entry.deps))
