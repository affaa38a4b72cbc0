"""A stream read once (StreamSignatures) and the verifier's bulk path, against the checks one by one."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.errors import VerifyError
from mozartc.hw import default_target_path, load_target
from mozartc.hw.topology import Topology
from mozartc.isa.instr import Instr, Stream
from mozartc.isa.signatures import DepEdges, StreamSignatures
from mozartc.isa.verify import _check_each, verify_stream

from ..executor.strategies import valid_streams

WAFER = load_target(default_target_path())
TOPOLOGY = Topology.of(WAFER)


def _load(dst: str, nbytes: int, deps: tuple[int, ...] = ()) -> Instr:
    return Instr("load", "dram_load", f"w.{dst}", deps, src="dram0", dst=dst, bytes=nbytes)


def test_signatures_number_distinct_fields_in_stream_order_and_ignore_labels_and_deps() -> None:
    stream = Stream("s", {}, (
        _load("expert0", 64), _load("expert1", 64), _load("expert0", 64, (0,)),
        Instr("barrier", "sync", "b", (0, 1, 2)), replace(_load("expert1", 64), label="other"),
    ))
    sig = StreamSignatures.of(stream)
    assert sig.index.of.tolist() == [0, 1, 0, 2, 1]
    assert [s[0] for s in sig.index.distinct] == ["load", "load", "barrier"]
    assert sig.index.distinct[1] == ("load", "dram_load", "dram0", "expert1", None, 64, 0, 0, 0, 0, 1, 0)
    assert sig.sizes_are_ints and len(sig) == 5
    assert sig.edges is not None
    assert sig.edges.count.tolist() == [0, 0, 1, 3, 0]
    assert sig.edges.target.tolist() == [0, 0, 1, 2]
    assert sig.edges.owner.tolist() == [2, 3, 3, 3]
    assert [i.op for i in sig.index.instrs] == ["load", "load", "barrier"]


@pytest.mark.parametrize("value", [True, 1.0, np.int64(1)])
def test_a_size_that_equals_an_int_but_is_not_one_is_seen(value: object) -> None:
    # the bad instruction has the same signature as the one before it (True == 1.0 == 1): the type
    # check cannot rely on the distinct signatures
    stream = Stream("s", {}, (_load("expert0", 1), _load("expert0", value)))  # type: ignore[arg-type]
    assert not StreamSignatures.of(stream).sizes_are_ints
    assert StreamSignatures.of(stream, ints_known=True).sizes_are_ints
    with pytest.raises(VerifyError, match="'bytes' must be an integer"):
        verify_stream(stream, WAFER)


def test_an_unhashable_field_raises_type_error_and_the_verifier_checks_one_by_one() -> None:
    stream = Stream("s", {}, (replace(_load("expert0", 1), src=["dram0"]),))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        StreamSignatures.of(stream)
    verify_stream(stream)  # without a target the shape is fine, as instruction by instruction


def test_a_dependency_that_is_not_an_integer_leaves_no_edges() -> None:
    stream = Stream("s", {}, (_load("expert0", 1), replace(_load("expert1", 1), deps=(0.5,))))  # type: ignore[arg-type]
    assert StreamSignatures.of(stream).edges is None


@pytest.mark.parametrize(("deps", "ok"), [
    ([(), (0,), (0, 1)], True),
    ([(), (), (1, 0)], True),  # not increasing, still distinct
    ([(), (0, 0)], False),
    ([(), (1, 0, 1)], False),
    ([(), (1,)], False),  # itself
    ([(), (2,), ()], False),  # a later instruction
    ([(-1,)], False),
])
def test_dependencies_must_be_earlier_and_distinct(deps: list[tuple[int, ...]], ok: bool) -> None:
    edges = DepEdges.of(deps)
    assert edges is not None and edges.all_earlier_and_distinct() is ok


def _outcome(check: object) -> str:
    try:
        check()  # type: ignore[operator]
    except VerifyError as err:
        return f"{err.where}: {err}"
    return "ok"


_FIELDS = ["op", "kind", "src", "dst", "unit", "bytes", "flops", "m", "k", "n", "count", "inputs"]
_VALUES = [None, "", "load", "gemm", "barrier", "frob", "compute", "sync", "math", "dram0", "expert0", "switch0",
           "attention0", "nowhere", -1, 0, 1, 7, 1.0, True]


@st.composite
def mutated(draw: st.DrawFn) -> Stream:
    """A valid random stream on the wafer with up to three changes: a field set to another value, a
    dependency list redrawn or emptied (which can cut a relay from its input), or a copy of an
    instruction whose size is an equal value of another type (True for 1, 1.0 for 1: same signature)."""
    stream = draw(valid_streams(WAFER, min_size=1))
    instrs = list(stream.instrs)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(instrs) - 1))
        change = draw(st.sampled_from(["field", "deps", "no deps", "lookalike"]))
        if change == "field":
            instrs[i] = replace(instrs[i], **{draw(st.sampled_from(_FIELDS)): draw(st.sampled_from(_VALUES))})
        elif change == "deps":
            instrs[i] = replace(instrs[i], deps=tuple(draw(st.lists(st.integers(-1, len(instrs)), max_size=3))))
        elif change == "no deps":
            instrs[i] = replace(instrs[i], deps=())
        else:
            name = draw(st.sampled_from(["count", "inputs", "bytes"]))
            value = getattr(instrs[i], name)
            if value == 1:
                instrs.append(replace(instrs[i], **{name: draw(st.sampled_from([True, 1.0]))}))
    return Stream(stream.name, stream.attrs, tuple(instrs))


@settings(max_examples=400, deadline=None)
@given(mutated())
def test_the_bulk_path_and_the_checks_one_by_one_agree(stream: Stream) -> None:
    reduces = any(r.kind == "reducer" for r in TOPOLOGY.resources)
    assert _outcome(lambda: verify_stream(stream, WAFER)) == \
        _outcome(lambda: _check_each(stream, None, TOPOLOGY.roles, reduces))
    assert _outcome(lambda: verify_stream(stream)) == _outcome(lambda: _check_each(stream, None, None, False))
