"""The Mozart wafer instruction set: what the built-in backend emits and the executor times.

An instruction stream is a list of :class:`Instr` in issue order; ``deps`` name earlier instructions
by index. Instructions say *what* moves or computes and *where*; durations are not stored: the
executor derives them from the target's cost models, so one stream can be re-timed on another
target with the same topology names.

======== ============================== =====================================================
op       operands                       meaning
======== ============================== =====================================================
load     src (a DRAM stack), dst        read ``bytes`` from DRAM into a chiplet's SRAM
store    src (a chiplet), dst (DRAM)    write ``bytes`` from a chiplet to DRAM
send     src, dst (chiplets)            move ``bytes`` over the NoP route between two chiplets
gemm     unit (a chiplet)               ``count`` GEMMs of shape (m x k) @ (k x n) on its arrays
compute  unit (a chiplet)               ``flops`` of non-GEMM work (softmax, norms, updates)
reduce   unit (a switch)                in-switch sum of ``inputs`` vectors of ``bytes`` each
barrier  -                              no work: joins its dependencies
======== ============================== =====================================================

``kind`` puts every instruction in one breakdown category: ``compute``, ``dram_load``,
``dram_save``, ``all_to_all`` or ``sync``. ``label`` says what it is for (``m0.l3.fwd.experts.expert5``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

OPS: tuple[str, ...] = ("load", "store", "send", "gemm", "compute", "reduce", "barrier")
KINDS: tuple[str, ...] = ("compute", "dram_load", "dram_save", "all_to_all", "sync")


@dataclass(slots=True)
class Instr:
    """One instruction; fields that do not apply to ``op`` keep their zero/None defaults.

    Slotted and not frozen: a stream holds one per GEMM piece and transfer (about a million for
    DeepSeek-V3); slots make each smaller, and a plain ``__init__`` builds one in a quarter of the
    time a frozen dataclass's ``object.__setattr__`` calls take (0.5 against 2.1 us). Nothing changes
    an instruction once built: treat it as a value (it has ``==``, not ``hash``)."""

    op: str
    kind: str
    label: str
    deps: tuple[int, ...] = ()
    src: str | None = None
    dst: str | None = None
    unit: str | None = None
    bytes: int = 0
    flops: int = 0
    m: int = 0
    k: int = 0
    n: int = 0
    count: int = 1
    inputs: int = 0


@dataclass(frozen=True)
class Stream:
    """An instruction stream for one training step of one model on one target."""

    name: str
    attrs: dict[str, str | int | float | bool] = field(default_factory=dict)
    instrs: tuple[Instr, ...] = ()
