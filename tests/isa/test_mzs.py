"""The .mzs text form: exact round trip (hand file and random streams) and parse errors with line:col."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mozartc.errors import ParseError
from mozartc.isa.instr import Instr, Stream
from mozartc.isa.mzs import (
    ParsedStream,
    parse_stream,
    parse_stream_file,
    parse_stream_lark,
    print_stream,
    quote_label,
)
from mozartc.isa.mzs_lines import read_lines
from tests.executor.strategies import streams

DATA = Path(__file__).parent / "data"
# parse_stream (the line reader on printed text, else the grammar) and the grammar reader alone
READERS = pytest.mark.parametrize("read", [parse_stream, parse_stream_lark], ids=["parse_stream", "lark"])
Reader = Callable[[str, str], ParsedStream]


def test_hand_written_file_round_trips() -> None:
    text = (DATA / "small.mzs").read_text()
    parsed = parse_stream(text, "small.mzs")
    assert print_stream(parsed.stream) == text
    s = parsed.stream
    assert s.name == "tiny_moe" and s.attrs["C_T"] == 3.25 and s.attrs["target"] == "mozart-wafer"
    assert s.instrs[0] == Instr("load", "dram_load", "m0.l0.fwd.w.attention", (), src="dram4", dst="attention0",
                                bytes=25165824)
    assert s.instrs[1].deps == (0,) and s.instrs[1].count == 4 and s.instrs[1].m == 2048


@settings(max_examples=60, deadline=None)
@given(streams())
def test_random_streams_round_trip(stream: Stream) -> None:
    text = print_stream(stream)
    assert read_lines(text) is not None  # parse_stream takes printed text by the line reader
    for read in (parse_stream, parse_stream_lark):  # and the grammar reader gives the same
        again = read(text, "<input>").stream
        assert again == stream
        assert print_stream(again) == text


@READERS
def test_source_map_points_at_parts(read: Reader) -> None:
    text = "stream @s {\n  %0 = load dram0 -> expert0 {bytes = 1, kind = dram_load, label = \"x\"}\n" \
           "  %1 = barrier {kind = sync, label = \"\"} after(%0)\n}\n"
    src = read(text, "f.mzs").source
    assert src.where(0) == "f.mzs:2:3"
    assert src.where(0, "dst") == "f.mzs:2:22"
    assert src.where(1, dep=0) == "f.mzs:3:48"


BAD = [
    ("stream @s {", "f.mzs:1:11", "unexpected end of input; expected"),
    ("stream s {}", "f.mzs:1:8", "expected a symbol (@name)"),
    ("stream @s {\n  %0 = load dram0 -> {bytes = 1, kind = dram_load}\n}", "f.mzs:2:22", "unexpected '{'"),
    ("stream @s {\n  %1 = barrier {kind = sync}\n}", "f.mzs:2:3", "must equal its position %0"),
    ("stream @s {\n  %0 = barrier {kind = sync, kind = sync}\n}", "f.mzs:2:30", "duplicate attribute 'kind'"),
    ("stream @s {\n  %0 = barrier {label = \"x\"}\n}", "f.mzs:2:3", "has no 'kind' attribute"),
    ("stream @s {\n  %0 = barrier {kind = sync, bites = 3}\n}", "f.mzs:2:30", "unknown instruction attribute"),
    ("stream @s {\n  %0 = load a -> b {bytes = 1.5, kind = dram_load}\n}", "f.mzs:2:29", "must be an integer"),
    ("stream @s {\n  %0 = barrier {kind = \"sync\"}\n}", "f.mzs:2:24", "must be an identifier"),
    ("stream @s {\n  %0 = barrier {kind = sync} after(%x)\n}", "f.mzs:2:36", "unexpected"),
    ("stream @s {\n}\njunk", "f.mzs:3:1", "unexpected 'junk'"),
    ("stream @s {\n  %0 = barrier {kind = true}\n}", "f.mzs:2:24", "must be an identifier (e.g. compute), got true"),
    ("stream @s attributes {a = 1, a = false} {\n}", "f.mzs:1:30", "duplicate attribute 'a'"),
    ("stream @s {\n  %0 = barrier {m = " + "7" * 5000 + "}\n}", "f.mzs:2:21", "has too many digits"),
]


@READERS
@pytest.mark.parametrize(("text", "where", "message"), BAD, ids=[b[2][:28] for b in BAD])
def test_parse_errors_name_line_and_column(read: Reader, text: str, where: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        read(text, "f.mzs")
    assert str(info.value).startswith(where + ": "), str(info.value)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_file_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read instruction stream"):
        parse_stream_file(tmp_path / "missing.mzs")


@settings(max_examples=500)
@given(st.text())
def test_labels_are_quoted_as_json_strings(label: str) -> None:
    # the printer's fast path for plain labels writes what the JSON encoder would
    assert quote_label(label) == json.dumps(label, ensure_ascii=False)
    for odd in ('a"b', "a\\b", "\x7f", "é", "\n", "fwd.m0.l1.experts.expert3"):
        assert quote_label(odd) == json.dumps(odd, ensure_ascii=False)
