"""Hypothesis strategies: random instruction streams (syntactic ones, and ones valid on a target)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from mozartc.hw import Target
from mozartc.hw.topology import Topology
from mozartc.isa.instr import Instr, Stream

CHIPLETS = ["attention0", *(f"expert{e}" for e in range(16))]
SWITCHES = [f"switch{g}" for g in range(4)]
DRAMS = [f"dram{d}" for d in range(6)]
LABEL = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


@st.composite
def instrs(draw: st.DrawFn, index: int) -> Instr:
    op = draw(st.sampled_from(["load", "store", "send", "gemm", "compute", "reduce", "barrier"]))
    deps = tuple(sorted(draw(st.sets(st.integers(0, index - 1), max_size=3)))) if index else ()
    label = draw(LABEL)
    size = st.integers(1, 1 << 26)
    if op == "load":
        return Instr(op, "dram_load", label, deps, src=draw(st.sampled_from(DRAMS)),
                     dst=draw(st.sampled_from(CHIPLETS)), bytes=draw(size))
    if op == "store":
        return Instr(op, "dram_save", label, deps, src=draw(st.sampled_from(CHIPLETS)),
                     dst=draw(st.sampled_from(DRAMS)), bytes=draw(size))
    if op == "send":
        src, dst = draw(st.lists(st.sampled_from(CHIPLETS + SWITCHES), min_size=2, max_size=2, unique=True))
        return Instr(op, "all_to_all", label, deps, src=src, dst=dst, bytes=draw(size))
    if op == "gemm":
        dim = st.integers(1, 4096)
        return Instr(op, "compute", label, deps, unit=draw(st.sampled_from(CHIPLETS)), m=draw(dim), k=draw(dim),
                     n=draw(dim), count=draw(st.integers(1, 8)))
    if op == "compute":
        return Instr(op, "compute", label, deps, unit=draw(st.sampled_from(CHIPLETS)),
                     flops=draw(st.integers(1, 10**12)))
    if op == "reduce":
        return Instr(op, "all_to_all", label, deps, unit=draw(st.sampled_from(SWITCHES)), bytes=draw(size),
                     inputs=draw(st.integers(1, 8)))
    return Instr(op, "sync", label, deps)


@st.composite
def streams(draw: st.DrawFn, max_size: int = 30) -> Stream:
    n = draw(st.integers(0, max_size))
    body = tuple(draw(instrs(i)) for i in range(n))
    attrs = draw(st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
        lambda k: k not in ("true", "false", "attributes", "after", "stream")),
        st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False), LABEL,
                  st.booleans()), max_size=4))
    return Stream(draw(st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,10}", fullmatch=True)), attrs, body)


@st.composite
def valid_streams(draw: st.DrawFn, target: Target, max_size: int = 30, ops: tuple[str, ...] = (
        "load", "store", "send", "gemm", "compute", "reduce", "barrier"), min_size: int = 0) -> Stream:
    """Random streams that pass the verifier on ``target``.

    Data leaves a switch only after it entered: a send out of switch S, or a reduce on S, depends on
    an earlier send into S (drawn when one exists; otherwise the instruction becomes that send in).
    """
    topo = Topology.of(target)
    chiplets = [c.name for c in target.chiplets]
    switches = list(target.switches)
    drams = [d.name for d in target.dram]
    reduces = any(r.kind == "reducer" for r in topo.resources)
    allowed = [op for op in ops if op != "reduce" or reduces]
    size = st.integers(1, 1 << 24)
    n = draw(st.integers(min_size, max_size))
    out: list[Instr] = []
    into: dict[str, list[int]] = {s: [] for s in switches}  # sends into each switch so far
    for i in range(n):
        op = draw(st.sampled_from(allowed))
        deps = set(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else set()
        label = f"i{i}"
        if op == "load":
            out.append(Instr(op, "dram_load", label, (), src=draw(st.sampled_from(drams)),
                             dst=draw(st.sampled_from(chiplets)), bytes=draw(size)))
        elif op == "store":
            out.append(Instr(op, "dram_save", label, (), src=draw(st.sampled_from(chiplets)),
                             dst=draw(st.sampled_from(drams)), bytes=draw(size)))
        elif op in ("send", "reduce"):
            src, dst = draw(st.lists(st.sampled_from(chiplets + switches), min_size=2, max_size=2, unique=True))
            out_of = src if op == "send" else draw(st.sampled_from(switches))
            if out_of in into and not into[out_of]:
                op, src, dst = "send", draw(st.sampled_from(chiplets)), out_of  # feed the switch first
            elif out_of in into:
                deps.add(draw(st.sampled_from(into[out_of])))
            if op == "send":
                if dst in into:
                    into[dst].append(i)
                out.append(Instr(op, "all_to_all", label, (), src=src, dst=dst, bytes=draw(size)))
            else:
                out.append(Instr(op, "all_to_all", label, (), unit=out_of, bytes=draw(size),
                                 inputs=draw(st.integers(1, 4))))
        elif op == "gemm":
            dim = st.integers(1, 2048)
            out.append(Instr(op, "compute", label, (), unit=draw(st.sampled_from(chiplets)), m=draw(dim),
                             k=draw(dim), n=draw(dim), count=draw(st.integers(1, 4))))
        elif op == "compute":
            out.append(Instr(op, "compute", label, (), unit=draw(st.sampled_from(chiplets)),
                             flops=draw(st.integers(1, 10**10))))
        else:
            out.append(Instr(op, "sync", label, ()))
        out[-1] = replace(out[-1], deps=tuple(sorted(deps)))
    return Stream("random", {}, tuple(out))
