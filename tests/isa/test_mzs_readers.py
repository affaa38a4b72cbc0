"""The two .mzs readers agree: the line reader (mzs_lines) gives what the grammar reader (mzs_lark) gives.

``parse_stream`` answers with the line reader when it vouches for the text, else with the grammar
reader; so for every text, ``parse_stream`` and ``parse_stream_lark`` must give the same stream and
source map, or the same located error. Checked on every stream kind the suite produces (every
pipeline preset on tiny-moe, the shipped files), on random streams printed, then re-spaced,
re-ordered and commented, and on random edits of printed text (most of them malformed); the random
round trip of ``test_mzs.py`` runs through both readers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mozartc.driver import CompileOptions, compile_model
from mozartc.errors import ParseError
from mozartc.isa.instr import Instr, Stream
from mozartc.isa.mzs import parse_stream, parse_stream_lark, print_stream
from mozartc.isa.mzs_form import OP_FIELDS, SIZE_FIELDS, ParsedStream
from mozartc.isa.mzs_lines import read_lines
from mozartc.passes.presets import PIPELINE_PRESETS
from tests.executor.strategies import LABEL, streams

REPO = Path(__file__).resolve().parents[2]


def outcome(reader: Callable[[str, str], ParsedStream], text: str) -> tuple[object, ...]:
    """What a reader makes of ``text``: the stream and every location, or the error's line and caret."""
    try:
        parsed = reader(text, "f.mzs")
    except ParseError as err:
        return ("error", str(err), err.detail)
    return ("ok", parsed.stream, list(parsed.source.instrs))


def assert_same(text: str, line_reader: bool | None = None) -> tuple[object, ...]:
    """Both readers give the same; ``line_reader`` True/False: the line reader does / does not take ``text``."""
    fast, spec = outcome(parse_stream, text), outcome(parse_stream_lark, text)
    assert fast == spec
    if line_reader is not None:
        assert (read_lines(text, "f.mzs") is not None) == line_reader
    return spec


def test_shipped_files_read_alike() -> None:
    files = sorted(p for d in ("tests", "examples", "docs") for p in (REPO / d).rglob("*.mzs"))
    assert files
    for path in files:
        assert_same(path.read_text(encoding="utf-8"), line_reader=True)


@pytest.mark.parametrize("pipeline", sorted(set(PIPELINE_PRESETS) - {"capture"}))
def test_compiled_streams_read_alike(pipeline: str) -> None:
    # one micro-batch: the same instruction forms as four, in a quarter of the grammar reader's time
    result = compile_model(CompileOptions(model="tiny-moe", pipeline=pipeline, capacity="warn", emit="isa",
                                          micro_batches=1))
    assert result.output is not None and result.output.stream is not None
    kind, stream, _ = assert_same(result.output.text, line_reader=True)
    assert kind == "ok" and stream == result.output.stream


FULL = [*(("tiny-moe", p) for p in sorted(set(PIPELINE_PRESETS) - {"capture"})), ("olmoe-1b-7b-0924", "mozart-c")]


@pytest.mark.slow
@pytest.mark.parametrize(("model", "pipeline"), FULL)
def test_full_compiled_streams_read_alike(model: str, pipeline: str) -> None:
    result = compile_model(CompileOptions(model=model, pipeline=pipeline, capacity="warn", emit="isa"))
    assert result.output is not None
    assert assert_same(result.output.text, line_reader=True)[0] == "ok"


# ------------------------------------------------------------------ the same streams, written loosely

SPACE = st.sampled_from([" ", "  ", "\t", " \t "])
GAP = st.sampled_from(["", " ", "\t"])


@st.composite
def loose_line(draw: st.DrawFn, index: int, instr: Instr) -> str:
    """``instr`` as the grammar allows but the printer does not write: spacing, order, defaults, comments."""
    sp = lambda: draw(SPACE)  # noqa: E731
    gap = lambda: draw(GAP)  # noqa: E731
    text = f"{gap()}%{index}{gap()}={gap()}{instr.op}"
    if instr.unit is not None:
        text += f"{sp()}{instr.unit}"
    elif instr.src is not None:
        text += f"{sp()}{instr.src}{gap()}->{gap()}{instr.dst}"
    needed = OP_FIELDS[instr.op]
    attrs = [f"{name}{gap()}={gap()}{getattr(instr, name)}" for name, default in SIZE_FIELDS
             if name in needed or getattr(instr, name) != default or draw(st.booleans())]
    attrs.append(f"kind{gap()}={gap()}{instr.kind}")
    if instr.label or draw(st.booleans()):  # escaped as the printer does, or with \\uXXXX escapes
        attrs.append(f"label{gap()}={gap()}{json.dumps(instr.label, ensure_ascii=draw(st.booleans()))}")
    attrs = draw(st.permutations(attrs))
    text += f"{gap()}{{{gap()}" + f"{gap()},{gap()}".join(attrs) + f"{gap()}}}"
    if instr.deps:
        text += f"{gap()}after{gap()}({gap()}" + f"{gap()},{gap()}".join(f"%{d}" for d in instr.deps) + ")"
    if draw(st.booleans()):
        text += f"{gap()}// {draw(LABEL).replace(chr(10), ' ')}"
    return text


@st.composite
def loose_texts(draw: st.DrawFn) -> tuple[Stream, str]:
    stream = draw(streams(max_size=12))
    printed = print_stream(stream).split("\n")
    lines = [printed[0]]
    for i, instr in enumerate(stream.instrs):
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["", "   ", "// a comment", "\t// %3 = load {"])))
        lines.append(draw(st.one_of(st.just(printed[i + 1]), loose_line(i, instr))))
    lines.append(draw(st.sampled_from(["}", "}  // end", "  }"])))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return stream, newline.join(lines) + draw(st.sampled_from(["", newline, newline + "// tail" + newline]))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loose_texts())
def test_loosely_written_streams_read_alike(case: tuple[Stream, str]) -> None:
    stream, text = case
    kind, again, _ = assert_same(text, line_reader=True)
    assert kind == "ok" and again == stream


# ------------------------------------------------------------------ edits, most of them malformed

ALPHABET = st.sampled_from([*" %{}(),=->\"\\./\n\t0123456789-abefklnrstux_@", "true", "after", "kind", "//"])


@st.composite
def edited_texts(draw: st.DrawFn) -> str:
    text = print_stream(draw(streams(max_size=6)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate line"]))
        if action == "duplicate line":
            lines = text.split("\n")
            k = draw(st.integers(0, len(lines) - 1))
            text = "\n".join([*lines[:k + 1], lines[k], *lines[k + 1:]])
        else:
            cut = draw(st.integers(1, 3)) if action != "insert" else 0
            text = text[:at] + ("" if action == "delete" else draw(ALPHABET)) + text[at + cut:]
    return text


@settings(max_examples=250, deadline=None)
@given(edited_texts())
def test_edited_texts_read_alike(text: str) -> None:
    assert_same(text)


# ------------------------------------------------------------------ cases the line reader must decline

DECLINED = [
    # where the grammar's lexer reads a keyword, or a rule is broken, the line reader leaves the text
    "stream @s {\n  %0 = gemm after {kind = compute, label = \"\"}\n}\n",
    "stream @s {\n  %0 = gemm x {kind = true, label = \"\"}\n}\n",
    "stream @s {\n  %1 = barrier {kind = sync, label = \"\"}\n}\n",
    "stream @s {\n  %0 = barrier {kind = sync, label = \"a\\q\"}\n}\n",
    "stream @s {\n  %0 = barrier {kind = sync, label = \"a\tb\"}\n}\n",
    "stream @s {\n  %0 = barrier {m = " + "9" * 5000 + ", kind = sync, label = \"\"}\n}\n",
    "stream @s {\n  %0 = barrier {kind = sync, label = \"\"}\n}\n}\n",
    "stream @s {\n  %0 = barrier {kind = sync,\n    label = \"\"}\n}\n",
    "stream @s {}\n",
    "stream @s attributes {a = 1, a = 2} {\n}\n",
]


@pytest.mark.parametrize("text", DECLINED)
def test_line_reader_declines_what_it_cannot_vouch_for(text: str) -> None:
    assert_same(text, line_reader=False)


def test_keywords_where_the_grammar_reads_identifiers_stay_on_the_line_reader() -> None:
    text = ("stream @s {\n  %0 = true stream -> after {kind = falsey, label = \"x // y\"}\n"
            "  %1 = after attributes {kind = after, label = \"\"} after(%0)\n}\n")
    kind, stream, _ = assert_same(text, line_reader=True)
    assert kind == "ok" and isinstance(stream, Stream)
    assert stream.instrs[0] == Instr("true", "falsey", "x // y", src="stream", dst="after")
    assert stream.instrs[1] == Instr("after", "after", "", (0,), unit="attributes")
