"""The instruction-stream verifier: every invariant the executor relies on, checked once.

- ``op`` is one of :data:`~mozartc.isa.instr.OPS`, ``kind`` one of :data:`~mozartc.isa.instr.KINDS`;
- the operands the op takes are present and no others: ``src``/``dst`` for load/store/send, ``unit``
  for gemm/compute/reduce, none for a barrier;
- the size fields the op needs are positive (load/store/send ``bytes``; gemm ``m, k, n, count``;
  compute ``flops``; reduce ``bytes, inputs``) and no size field is negative;
- dependencies name earlier instructions only, once each (so the graph is acyclic and defined);
- with a target: endpoints and units exist in its topology (:class:`mozartc.hw.topology.Topology`),
  with the right role: a load reads a DRAM stack into a chiplet, a store writes a chiplet to a DRAM
  stack, a send joins two chiplets or switches (not DRAM), gemm/compute run on a chiplet, reduce runs
  on a switch whose target has in-network reduction;
- data is causal through switches: a send *out of* a switch, or a reduce *on* one, depends on an
  instruction that brought data into that switch: a send into it, or (for a send) a reduce on it.
  The dependency must be direct or through barriers only (a barrier joins, it carries no data), so a
  relay cannot lean on a transfer of an earlier, unrelated step.

Violations raise :class:`~mozartc.errors.VerifyError` naming ``file:line:col`` when the stream was
parsed from text (a :class:`~mozartc.isa.mzs.SourceMap` is given), else ``%N``.

A valid stream is recognised in bulk (:func:`_all_valid`, on :class:`~mozartc.isa.signatures.StreamSignatures`):
the size fields' types column by column, the checks of one instruction once per distinct signature
(every field but the label and the dependencies), the dependencies as arrays, and the causality of
relays one by one. Only a stream that fails goes through the checks instruction by instruction, in
stream order, which name the first violation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mozartc.errors import VerifyError
from mozartc.gcpause import gc_paused
from mozartc.hw.target import Target
from mozartc.hw.topology import Topology
from mozartc.isa.instr import KINDS, OPS, Instr, Stream
from mozartc.isa.mzs import OP_FIELDS, SIZE_FIELDS, TRANSFER_OPS, SourceMap
from mozartc.isa.signatures import StreamSignatures

#: the operand fields each op takes
OP_OPERANDS: dict[str, tuple[str, ...]] = {
    "load": ("src", "dst"), "store": ("src", "dst"), "send": ("src", "dst"),
    "gemm": ("unit",), "compute": ("unit",), "reduce": ("unit",), "barrier": (),
}
#: node roles each operand accepts (topology ``kind`` of the node)
_CHIPLET = ("attention", "expert")
_ROLES: dict[tuple[str, str], tuple[str, ...]] = {
    ("load", "src"): ("dram",), ("load", "dst"): _CHIPLET,
    ("store", "src"): _CHIPLET, ("store", "dst"): ("dram",),
    ("send", "src"): (*_CHIPLET, "switch"), ("send", "dst"): (*_CHIPLET, "switch"),
    ("gemm", "unit"): _CHIPLET, ("compute", "unit"): _CHIPLET, ("reduce", "unit"): ("switch",),
}
_PRESENCE = {op: tuple(p in parts for p in ("src", "dst", "unit")) for op, parts in OP_OPERANDS.items()}
_SIZE_NAMES = tuple(name for name, _ in SIZE_FIELDS)
_ROLE_NAMES = {"dram": "a DRAM stack", "attention": "a chiplet", "expert": "a chiplet", "switch": "a switch"}


class _Reporter:
    def __init__(self, source: SourceMap | None) -> None:
        self.source = source

    def fail(self, index: int, message: str, part: str | None = None, dep: int | None = None) -> VerifyError:
        where = self.source.where(index, part, dep) if self.source is not None else f"%{index}"
        prefix = "" if self.source is None else f"%{index}: "
        return VerifyError(prefix + message, where=where)


def verify_stream(stream: Stream, target: Target | None = None, source: SourceMap | None = None,
                  topology: Topology | None = None, signatures: StreamSignatures | None = None) -> None:
    """Check ``stream`` (and its resources against ``target`` when given); raise the first violation.

    ``topology`` is ``Topology.of(target)`` and ``signatures`` ``StreamSignatures.of(stream)`` when
    the caller already has them.
    """
    if topology is None and target is not None:
        topology = Topology.of(target)
    with gc_paused():
        _verify(stream, source, topology, signatures)


def _verify(stream: Stream, source: SourceMap | None, topology: Topology | None,
            signatures: StreamSignatures | None) -> None:
    roles = topology.roles if topology is not None else None
    reduces = topology is not None and any(r.kind == "reducer" for r in topology.resources)
    try:
        signatures = signatures or StreamSignatures.of(stream)
    except TypeError:  # a field cannot be hashed: the checks one by one say what is wrong
        signatures = None
    if signatures is None or not _all_valid(stream, signatures, roles, reduces):
        _check_each(stream, source, roles, reduces)


def _check_each(stream: Stream, source: SourceMap | None, roles: Mapping[str, str] | None, reduces: bool) -> None:
    """Every check, instruction by instruction in stream order: raise the first violation."""
    rep = _Reporter(source)
    instrs = stream.instrs
    for index, instr in enumerate(instrs):
        _check_shape(index, instr, rep)
        _check_deps(index, instr, len(instrs), rep)
        if roles is not None:
            _check_resources(index, instr, roles, rep)
            if instr.op == "reduce" and not reduces:
                raise rep.fail(index, "reduce needs a target whose switches do in-network reduction", "op")
            switch = _switch_output(instr, roles)
            if switch is not None and not _fed(instrs, index, switch):
                what, part = (("a send out of", "src") if instr.op == "send" else ("a reduce on", "unit"))
                raise rep.fail(index, f"{what} {switch} does not depend on data entering {switch}: it must come "
                                      f"after (directly or through barriers) a send into {switch}"
                                      + (f" or a reduce on {switch}" if instr.op == "send" else ""), part)


def _all_valid(stream: Stream, signatures: StreamSignatures, roles: Mapping[str, str] | None, reduces: bool) -> bool:
    """Whether ``stream`` passes every check (module docstring); False means some check may fail."""
    edges, index = signatures.edges, signatures.index
    if not signatures.sizes_are_ints or edges is None or not edges.all_earlier_and_distinct():
        return False
    relays: list[int] = []
    rep = _Reporter(None)
    for number, instr in enumerate(index.instrs):
        try:
            _check_shape(0, instr, rep)
            if roles is not None:
                _check_resources(0, instr, roles, rep)
        except VerifyError:
            return False
        if roles is not None:
            if instr.op == "reduce" and not reduces:
                return False
            if _switch_output(instr, roles) is not None:
                relays.append(number)
    if not relays or roles is None:
        return True
    instrs = stream.instrs
    for i in np.flatnonzero(np.isin(index.of, relays)).tolist():
        switch = _switch_output(instrs[i], roles)
        if switch is None or not _fed(instrs, i, switch):
            return False
    return True


def _check_shape(index: int, instr: Instr, rep: _Reporter) -> None:
    if instr.op not in OPS:
        raise rep.fail(index, f"unknown op '{instr.op}'; expected one of: {', '.join(OPS)}", "op")
    if instr.kind not in KINDS:
        raise rep.fail(index, f"unknown kind '{instr.kind}'; expected one of: {', '.join(KINDS)}", "kind")
    wanted = OP_OPERANDS[instr.op]
    presence = (instr.src is not None, instr.dst is not None, instr.unit is not None)
    for part in () if presence == _PRESENCE[instr.op] else ("src", "dst", "unit"):
        present = getattr(instr, part) is not None
        if part in wanted and not present:
            form = "src -> dst" if instr.op in TRANSFER_OPS else "a unit"
            raise rep.fail(index, f"{instr.op} needs {form}", "op")
        if present and part not in wanted:
            form = {"barrier": "no operands", "load": "src -> dst", "store": "src -> dst",
                    "send": "src -> dst"}.get(instr.op, "one unit, not src -> dst")
            raise rep.fail(index, f"{instr.op} takes {form}", part)
    for name in _SIZE_NAMES:
        value = getattr(instr, name)
        if type(value) is not int:
            raise rep.fail(index, f"'{name}' must be an integer, got {value!r}", name)
        if value <= 0 and (value < 0 or name in OP_FIELDS[instr.op]):
            if name in OP_FIELDS[instr.op]:
                raise rep.fail(index, f"{instr.op} needs a positive '{name}', got {value}", name if value else "op")
            raise rep.fail(index, f"'{name}' must not be negative, got {value}", name)


def _check_deps(index: int, instr: Instr, count: int, rep: _Reporter) -> None:
    deps = instr.deps
    if not deps or (min(deps) >= 0 and max(deps) < index and len(set(deps)) == len(deps)):
        return  # fast path: the loop below only runs to name the first bad dependency
    seen: set[int] = set()
    for pos, dep in enumerate(instr.deps):
        if not 0 <= dep < index:
            what = ("this instruction itself" if dep == index else "a later instruction" if dep < count
                    else f"not an instruction (the stream has {count})")
            raise rep.fail(index, f"cycle or missing dependency: %{dep} is {what}; "
                                  f"dependencies must name earlier instructions", dep=pos)
        if dep in seen:
            raise rep.fail(index, f"duplicate dependency %{dep}", dep=pos)
        seen.add(dep)


def _switch_output(instr: Instr, roles: Mapping[str, str]) -> str | None:
    """The switch ``instr`` takes data out of (a send from it, a reduce on it), else None."""
    if instr.op == "send" and instr.src is not None and roles.get(instr.src) == "switch":
        return instr.src
    if instr.op == "reduce" and instr.unit is not None:
        return instr.unit
    return None


def _feeds(instr: Instr, switch: str, reduce_counts: bool) -> bool:
    return (instr.op == "send" and instr.dst == switch) or (reduce_counts and instr.op == "reduce"
                                                           and instr.unit == switch)


def _fed(instrs: Sequence[Instr], index: int, switch: str) -> bool:
    """Whether instruction ``index`` depends, directly or through barriers, on data entering ``switch``."""
    reduce_counts = instrs[index].op == "send"
    stack = list(instrs[index].deps)
    seen: set[int] = set()
    while stack:
        d = stack.pop()
        if d in seen:
            continue
        seen.add(d)
        dep = instrs[d]
        if _feeds(dep, switch, reduce_counts):
            return True
        if dep.op == "barrier":
            stack.extend(dep.deps)
    return False


def _check_resources(index: int, instr: Instr, roles: Mapping[str, str], rep: _Reporter) -> None:
    for part in OP_OPERANDS[instr.op]:
        name = getattr(instr, part)
        allowed = _ROLES[(instr.op, part)]
        role = roles.get(name)
        if role in allowed:
            continue
        wanted = " or ".join(dict.fromkeys(_ROLE_NAMES[r] for r in allowed))
        if role is None:
            raise rep.fail(index, f"unknown resource '{name}': the target has no such node "
                                  f"({instr.op} {part} must be {wanted})", part)
        raise rep.fail(index, f"{instr.op} {part} must be {wanted}, '{name}' is {_ROLE_NAMES[role]}", part)
    if instr.op in TRANSFER_OPS and instr.src == instr.dst:
        raise rep.fail(index, f"{instr.op} from '{instr.src}' to itself", "dst")
