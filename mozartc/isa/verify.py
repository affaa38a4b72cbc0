"""The instruction-stream verifier: every invariant the executor relies on, checked once.

- ``op`` is one of :data:`~mozartc.isa.instr.OPS`, ``kind`` one of :data:`~mozartc.isa.instr.KINDS`;
- the operands the op takes are present and no others: ``src``/``dst`` for load/store/send, ``unit``
  for gemm/compute/reduce, none for a barrier;
- the size fields the op needs are positive (load/store/send ``bytes``; gemm ``m, k, n, count``;
  compute ``flops``; reduce ``bytes, inputs``) and no size field is negative;
- dependencies name earlier instructions only, once each (so the graph is acyclic and defined);
- with a target: endpoints and units exist in its topology, with the right role: a load reads a
  DRAM stack into a chiplet, a store writes a chiplet to a DRAM stack, a send joins two chiplets or
  switches (not DRAM), gemm/compute run on a chiplet, reduce runs on a switch whose target has
  in-network reduction.

Violations raise :class:`~mozartc.errors.VerifyError` naming ``file:line:col`` when the stream was
parsed from text (a :class:`~mozartc.isa.mzs.SourceMap` is given), else ``%N``.
"""

from __future__ import annotations

from mozartc.errors import VerifyError
from mozartc.hw.target import Target
from mozartc.isa.instr import KINDS, OPS, Instr, Stream
from mozartc.isa.mzs import OP_FIELDS, SIZE_FIELDS, TRANSFER_OPS, SourceMap

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


def target_roles(target: Target) -> dict[str, str]:
    """Every topology node name -> its role (``attention``, ``expert``, ``switch``, ``dram``).

    Same names and roles as :func:`mozartc.hw.topology.build_topology`, without building the graph.
    """
    roles: dict[str, str] = {c.name: c.role for c in target.chiplets}
    roles.update({s: "switch" for s in target.switches})
    roles.update({d.name: "dram" for d in target.dram})
    return roles


class _Reporter:
    def __init__(self, source: SourceMap | None) -> None:
        self.source = source

    def fail(self, index: int, message: str, part: str | None = None, dep: int | None = None) -> VerifyError:
        where = self.source.where(index, part, dep) if self.source is not None else f"%{index}"
        prefix = "" if self.source is None else f"%{index}: "
        return VerifyError(prefix + message, where=where)


def verify_stream(stream: Stream, target: Target | None = None, source: SourceMap | None = None) -> None:
    """Check ``stream`` (and its resources against ``target`` when given); raise the first violation."""
    rep = _Reporter(source)
    roles = target_roles(target) if target is not None else None
    reduces = target is not None and target.switch.reduction and target.switch.reduction_gbps is not None
    for index, instr in enumerate(stream.instrs):
        _check_shape(index, instr, rep)
        _check_deps(index, instr, len(stream.instrs), rep)
        if roles is not None:
            _check_resources(index, instr, roles, rep)
            if instr.op == "reduce" and not reduces:
                raise rep.fail(index, "reduce needs a target whose switches do in-network reduction", "op")


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


def _check_resources(index: int, instr: Instr, roles: dict[str, str], rep: _Reporter) -> None:
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
