"""The stream verifier: ops, kinds, fields, dependencies and resources, with file:line:col when parsed."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from mozartc.errors import VerifyError
from mozartc.hw import default_target_path, load_target
from mozartc.isa.instr import Instr, Stream
from mozartc.isa.mzs import ParsedStream, parse_stream, parse_stream_lark
from mozartc.isa.mzs_lines import PRINTED, read_lines
from mozartc.isa.verify import verify_stream

WAFER = load_target(default_target_path())
HEAD = "stream @s {\n"

CASES = [
    ("  %0 = frob expert0 {kind = compute}\n", "f.mzs:2:8", "unknown op 'frob'"),
    ("  %0 = gemm expert0 {m = 1, k = 1, n = 1, kind = math}\n", "f.mzs:2:43", "unknown kind 'math'"),
    ("  %0 = load dram0 -> expert0 {kind = dram_load}\n", "f.mzs:2:8", "load needs a positive 'bytes', got 0"),
    ("  %0 = load dram0 -> expert0 {bytes = -4, kind = dram_load}\n", "f.mzs:2:31", "positive 'bytes', got -4"),
    ("  %0 = gemm expert0 {m = 8, k = 8, kind = compute}\n", "f.mzs:2:8", "positive 'n'"),
    ("  %0 = load dram9 -> expert0 {bytes = 1, kind = dram_load}\n", "f.mzs:2:13", "unknown resource 'dram9'"),
    ("  %0 = load expert1 -> expert0 {bytes = 1, kind = dram_load}\n", "f.mzs:2:13",
     "load src must be a DRAM stack, 'expert1' is a chiplet"),
    ("  %0 = gemm switch0 {m = 1, k = 1, n = 1, kind = compute}\n", "f.mzs:2:13", "gemm unit must be a chiplet"),
    ("  %0 = reduce expert0 {bytes = 1, inputs = 2, kind = all_to_all}\n", "f.mzs:2:15",
     "reduce unit must be a switch"),
    ("  %0 = send expert0 -> dram0 {bytes = 1, kind = all_to_all}\n", "f.mzs:2:24", "send dst must be"),
    ("  %0 = gemm dram0 -> expert0 {m = 1, k = 1, n = 1, kind = compute}\n", "f.mzs:2:13",
     "gemm takes one unit, not src -> dst"),
    ("  %0 = barrier expert0 {kind = sync}\n", "f.mzs:2:16", "barrier takes no operands"),
    ("  %0 = barrier {kind = sync} after(%0)\n", "f.mzs:2:36", "cycle or missing dependency: %0 is this"),
    ("  %0 = barrier {kind = sync} after(%1)\n  %1 = barrier {kind = sync}\n", "f.mzs:2:36",
     "cycle or missing dependency: %1 is a later instruction"),
    ("  %0 = barrier {kind = sync} after(%7)\n", "f.mzs:2:36", "%7 is not an instruction"),
    ("  %0 = barrier {kind = sync}\n  %1 = barrier {kind = sync} after(%0, %0)\n", "f.mzs:3:40",
     "duplicate dependency %0"),
    ("  %0 = send expert0 -> expert0 {bytes = 1, kind = all_to_all}\n", "f.mzs:2:24", "to itself"),
    # causality through switches: data leaves a switch only after it entered
    ("  %0 = send switch0 -> expert0 {bytes = 1, kind = all_to_all}\n", "f.mzs:2:13",
     "a send out of switch0 does not depend on data entering switch0"),
    ("  %0 = reduce switch1 {bytes = 1, inputs = 2, kind = all_to_all}\n", "f.mzs:2:15",
     "a reduce on switch1 does not depend on data entering switch1"),
    # an input into another switch, or into this one but unrelated (not a dependency), does not count
    ("  %0 = send attention0 -> switch1 {bytes = 1, kind = all_to_all}\n"
     "  %1 = send switch0 -> expert0 {bytes = 1, kind = all_to_all} after(%0)\n", "f.mzs:3:13",
     "a send out of switch0 does not depend"),
    ("  %0 = send attention0 -> switch0 {bytes = 1, kind = all_to_all}\n"
     "  %1 = send switch0 -> expert0 {bytes = 1, kind = all_to_all}\n", "f.mzs:3:13",
     "a send out of switch0 does not depend"),
    # a reduce needs a transfer in: a reduce before it does not feed it
    ("  %0 = send expert0 -> switch0 {bytes = 1, kind = all_to_all}\n"
     "  %1 = reduce switch0 {bytes = 1, inputs = 1, kind = all_to_all} after(%0)\n"
     "  %2 = reduce switch0 {bytes = 1, inputs = 1, kind = all_to_all} after(%1)\n", "f.mzs:4:15",
     "a reduce on switch0 does not depend"),
]


@pytest.mark.parametrize("read", [parse_stream, parse_stream_lark], ids=["parse_stream", "lark"])
@pytest.mark.parametrize(("body", "where", "message"), CASES, ids=[c[2][:30] for c in CASES])
def test_violations_name_line_and_column(read: Callable[[str, str], ParsedStream], body: str, where: str,
                                         message: str) -> None:
    parsed = read(HEAD + body + "}\n", "f.mzs")
    with pytest.raises(VerifyError) as info:
        verify_stream(parsed.stream, WAFER, parsed.source)
    assert str(info.value).startswith(where + ": "), str(info.value)
    assert message in str(info.value)


def test_relays_that_follow_their_input_pass() -> None:
    # directly, through a barrier, and a send up after the reduction
    text = HEAD + (
        "  %0 = send attention0 -> switch0 {bytes = 8, kind = all_to_all}\n"
        "  %1 = send switch0 -> expert0 {bytes = 8, kind = all_to_all} after(%0)\n"
        "  %2 = barrier {kind = sync} after(%0)\n"
        "  %3 = send switch0 -> expert1 {bytes = 8, kind = all_to_all} after(%2)\n"
        "  %4 = send expert2 -> switch0 {bytes = 8, kind = all_to_all}\n"
        "  %5 = send expert3 -> switch0 {bytes = 8, kind = all_to_all}\n"
        "  %6 = reduce switch0 {bytes = 8, inputs = 2, kind = all_to_all} after(%4, %5)\n"
        "  %7 = send switch0 -> attention0 {bytes = 8, kind = all_to_all} after(%6)\n") + "}\n"
    parsed = parse_stream(text, "ok.mzs")
    verify_stream(parsed.stream, WAFER, parsed.source)


def test_in_memory_streams_are_named_by_index() -> None:
    stream = Stream("s", {}, (Instr("barrier", "sync", "a"), Instr("barrier", "sync", "b", (5,))))
    with pytest.raises(VerifyError, match=r"^%1: cycle or missing dependency"):
        verify_stream(stream)


def test_without_a_target_resources_are_not_checked() -> None:
    verify_stream(Stream("s", {}, (Instr("load", "dram_load", "x", src="nowhere", dst="expert0", bytes=1),)))


@pytest.mark.parametrize(("body", "where", "message"), CASES, ids=[c[2][:30] for c in CASES])
def test_line_reader_locates_violations_as_the_grammar_does(body: str, where: str, message: str) -> None:
    # with a label, every line is in the printed form: the line reader finds locations only when asked
    text = HEAD + re.sub(r"\}( after|\n)", r', label = "x"}\1', body) + "}\n"
    assert all(re.fullmatch(PRINTED, line) for line in text.split("\n")[1:-2])
    errors = []
    for read in (parse_stream, parse_stream_lark):
        parsed = read(text, "f.mzs")
        with pytest.raises(VerifyError) as info:
            verify_stream(parsed.stream, WAFER, parsed.source)
        errors.append(str(info.value))
    assert errors[0] == errors[1] and message in errors[0]
    assert read_lines(text) is not None
