"""Hypothesis strategies: random valid instruction streams on the shipped wafer target's names."""

from __future__ import annotations

from hypothesis import strategies as st

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
