"""A stream read once for the verifier, the executor and the report: its distinct signatures.

An instruction's *signature* is every field but its label and its dependencies. Instructions with
the same signature pass the same checks and ask the same of the machine, and a stream has few of
them (a qwen3-30b-a3b step: 124k instructions, about 3k signatures). :class:`StreamSignatures` reads
every field of every instruction once, in C loops (``map``; about 50 ms on that stream), and keeps
only what the three need:

- the distinct signatures in the order the stream first shows them, and which one each
  instruction has (:class:`SignatureIndex`);
- whether every size field is exactly an ``int`` (the verifier's type check, done column by column);
- the dependencies, as given and as int64 arrays (:class:`DepEdges`).

Signatures are read as tuples straight from the instructions (``attrgetter`` of every field) and
looked up as they come, so no column of a field is ever built.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from operator import attrgetter

import numpy as np

from mozartc.gcpause import gc_paused
from mozartc.isa.instr import Instr, Stream

#: the fields of a signature, in :class:`~mozartc.isa.instr.Instr` order
SIGNATURE_FIELDS: tuple[str, ...] = ("op", "kind", "src", "dst", "unit", "bytes", "flops", "m", "k", "n", "count",
                                     "inputs")

#: an instruction's fields but its label and dependencies, in :data:`SIGNATURE_FIELDS` order
Signature = tuple[str, str, str | None, str | None, str | None, int, int, int, int, int, int, int]
_SIGNATURE = attrgetter(*SIGNATURE_FIELDS)


@dataclass(frozen=True)
class SignatureIndex:
    """``distinct``: the stream's distinct signatures in the order it first shows them; ``of[i]``:
    the position in ``distinct`` of instruction ``i``'s signature (an int64 array)."""

    of: np.ndarray
    distinct: list[Signature]

    @cached_property
    def instrs(self) -> list[Instr]:
        """An instruction of each distinct signature (no label, no dependencies), made once."""
        return list(map(instr_of, self.distinct))


@dataclass(frozen=True)
class DepEdges:
    """Every dependency ``target[j]`` of instruction ``owner[j]`` (stream order), and ``count[i]``, how
    many instruction ``i`` has; int64 arrays."""

    count: np.ndarray
    target: np.ndarray
    owner: np.ndarray

    @classmethod
    def of(cls, deps: Sequence[Sequence[int]]) -> DepEdges | None:
        """``deps`` as arrays; None when a dependency is not an integer that fits 64 bits."""
        counts = np.fromiter(map(len, deps), dtype=np.int64, count=len(deps))
        try:
            target = np.frombuffer(array("q", list(chain.from_iterable(deps))), dtype=np.int64)
        except (TypeError, OverflowError):
            return None
        return cls(counts, target, np.repeat(np.arange(len(deps), dtype=np.int64), counts))

    def all_earlier_and_distinct(self) -> bool:
        """Whether every dependency names an earlier instruction, each at most once per instruction."""
        target, owner = self.target, self.owner
        if not bool((target >= 0).all() and (target < owner).all()):
            return False
        same = owner[1:] == owner[:-1]
        if bool((target[1:][same] > target[:-1][same]).all()):
            return True  # increasing within each instruction: no repeats
        key = np.sort(owner * (len(self.count) + 1) + target)
        return bool((key[1:] != key[:-1]).all())


@dataclass(frozen=True, eq=False)
class StreamSignatures:
    """What the verifier, the executor and the report read from a stream's instructions (module
    docstring). ``edges`` is None when a dependency is not an integer (the verifier then checks
    instruction by instruction and names the culprit)."""

    index: SignatureIndex
    sizes_are_ints: bool
    deps: tuple[tuple[int, ...], ...]
    edges: DepEdges | None

    @classmethod
    def of(cls, stream: Stream, ints_known: bool = False) -> StreamSignatures:
        """Read every field of ``stream``'s instructions but the labels.

        ``ints_known``: the caller knows every size field is an ``int`` (the ``.mzs`` readers build
        them from ``INT`` tokens), so their types are not looked at again. Raises TypeError when a
        field cannot be hashed."""
        instrs = stream.instrs
        with gc_paused():
            sizes_are_ints = ints_known or all(set(map(type, map(attrgetter(name), instrs))) <= {int}
                                               for name in SIGNATURE_FIELDS[5:])
            numbering = _Numbering()
            of = np.fromiter(map(numbering.__getitem__, map(_SIGNATURE, instrs)), dtype=np.int64, count=len(instrs))
            deps = tuple(map(attrgetter("deps"), instrs))
            return cls(SignatureIndex(of, list(numbering)), sizes_are_ints, deps, DepEdges.of(deps))

    def __len__(self) -> int:
        return len(self.deps)


class _Numbering(dict[Signature, int]):
    """Numbers signatures in the order they are first looked up."""

    def __missing__(self, signature: Signature) -> int:
        number = self[signature] = len(self)
        return number


def instr_of(signature: Signature) -> Instr:
    """An instruction with ``signature``'s fields (no label, no dependencies)."""
    op, kind, src, dst, unit, nbytes, flops, m, k, n, count, inputs = signature
    return Instr(op, kind, "", (), src, dst, unit, nbytes, flops, m, k, n, count, inputs)
