"""The line reader of ``.mzs`` text: the form the printer writes, one regular expression per line.

:func:`read_lines` reads a stream whose instructions sit one per line, the way
:func:`mozartc.isa.mzs.print_stream` writes them, 65-70x faster than the grammar reader. It
answers None (and :func:`mozartc.isa.mzs.parse_stream` then runs the grammar reader, which reports
the error) unless it can vouch that the grammar reader gives the same stream:

- the header line (``stream @name attributes {...} {``) is read by the grammar itself;
- an instruction line in the printed form matches :data:`PRINTED`, a regular expression spelled with
  the grammar's terminals (``IDENT``, ``INT``, ``STRING``; ``after`` where the grammar's lexer reads
  a keyword, ``true``/``false`` as a ``kind``, are left to the grammar);
- any other line is blank, a ``//`` comment, or one whole instruction by the grammar's ``instr``
  rule; anything else (an instruction over several lines, a bad token, a rule broken) gives None.

Locations are found only when asked: instruction ``i`` keeps its line number, and
:class:`LineLocs` matches that line again to give the same :class:`InstrLoc` as the grammar reader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import overload

from mozartc.isa.instr import Instr, Stream
from mozartc.isa.mzs_form import SIZE_FIELDS, InstrLoc, Loc, ParsedStream, SourceMap, shifted
from mozartc.isa.mzs_lark import read_instr_line, read_quietly
from mozartc.syntax import paused_gc

_IDENT = r"[A-Za-z_][A-Za-z0-9_.]*"  # the grammar's IDENT
_END = r"(?![A-Za-z0-9_.])"  # a keyword ends where an IDENT would
_INT = r"-?[0-9]+"  # the grammar's INT (not followed by '.' or 'e': ', ' or '}' follows)
_SIZES = "".join(rf"(?:{name} = (?P<{name}>{_INT}), )?" for name, _ in SIZE_FIELDS)
#: one instruction as the printer writes it (indentation and trailing blanks allowed)
PRINTED = (rf"[ \t]*%(?P<index>[0-9]+) = (?P<op>{_IDENT})"
           rf"(?: (?P<a>(?!after{_END}){_IDENT})(?: -> (?P<b>{_IDENT}))?)?"
           rf" \{{{_SIZES}kind = (?P<kind>(?!(?:true|false){_END}){_IDENT}), "
           r'label = "(?P<label>[^"\\\x00-\x1f]*(?:\\.[^"\\\x00-\x1f]*)*)"\}'
           r"(?: after\(%(?P<deps>[0-9]+(?:, %[0-9]+)*)\))?[ \t\f\r]*")
_LINE = re.compile(PRINTED)
_LINES = re.compile(rf"^{PRINTED}$", re.MULTILINE)
_BLANK = re.compile(r"[ \t\f\r]*(?://[^\n]*)?")  # the grammar ignores WS and // comments
_CLOSE = re.compile(r"[ \t\f\r]*\}[ \t\f\r]*(?://[^\n]*)?")
_SIZE_NAMES = tuple(name for name, _ in SIZE_FIELDS)
#: what a body reader gives: the instructions, the line of each, the locations it already knows
Built = tuple[tuple[Instr, ...], Sequence[int], dict[int, InstrLoc]]


def _instr(row: Sequence[str]) -> Instr:
    """The instruction of one :data:`PRINTED` match (its groups in order, '' where absent)."""
    _, op, a, b, nbytes, inputs, m, k, n, count, flops, kind, label, deps = row
    if "\\" in label:
        label = json.loads(f'"{label}"')
    return Instr(op, kind, label, tuple(map(int, deps.split(", %"))) if deps else (),
                 a if b else None, b or None, None if b else a or None,
                 int(nbytes) if nbytes else 0, int(flops) if flops else 0, int(m) if m else 0,
                 int(k) if k else 0, int(n) if n else 0, int(count) if count else 1, int(inputs) if inputs else 0)


def _printed_loc(match: re.Match[str], line: int) -> InstrLoc:
    """The :class:`InstrLoc` of a :data:`PRINTED` match on ``line`` (columns are 1-based)."""
    fields: dict[str, Loc] = {"op": (line, match.start("op") + 1)}
    if match["b"] is not None:
        fields["src"], fields["dst"] = (line, match.start("a") + 1), (line, match.start("b") + 1)
    elif match["a"] is not None:
        fields["unit"] = (line, match.start("a") + 1)
    for key in (*_SIZE_NAMES, "kind", "label"):
        if match[key] is not None:  # 'key = value' (a label's value starts after its quote)
            fields[key] = (line, match.start(key) - len(key) - 3 - (key == "label") + 1)
    deps: list[Loc] = []
    if match["deps"] is not None:
        text, start = match.string, match.start("deps") - 1
        while start != -1 and start < match.end("deps"):
            deps.append((line, start + 1))
            start = text.find("%", start + 1)
    return InstrLoc((line, match.start("index")), fields, tuple(deps))


class LineLocs(Sequence[InstrLoc]):
    """The locations of a line-read stream's instructions, found when asked.

    Instruction ``i`` is on line ``lines[i]`` of ``text``; ``known`` holds those read by the grammar.
    """

    def __init__(self, text: str, lines: Sequence[int], known: dict[int, InstrLoc]) -> None:
        self._text = text
        self._lines = lines
        self._known = known
        self._starts: list[int] | None = None

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, index: int) -> InstrLoc: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[InstrLoc]: ...
    def __getitem__(self, index: int | slice) -> InstrLoc | Sequence[InstrLoc]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        if index < 0:
            index += len(self)
        line = self._lines[index]  # IndexError when out of range
        if index in self._known:
            return self._known[index]
        if self._starts is None:
            self._starts = [0, *(m.end() for m in re.finditer("\n", self._text))]
        start = self._starts[line - 1]
        end = self._text.find("\n", start)
        match = _LINE.fullmatch(self._text[start:] if end == -1 else self._text[start:end])
        if match is None:
            raise RuntimeError(f"line {line} no longer holds instruction %{index}")  # internal: text changed
        return _printed_loc(match, line)

    def __eq__(self, other: object) -> bool:  # equal to a tuple of the same InstrLocs (so not hashable)
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))


def read_lines(text: str, filename: str = "<input>") -> ParsedStream | None:
    """The stream in ``text`` when every line is in a form the grammar reader reads the same, else None."""
    head, head_end = _first_line(text)
    close = _closing_line(text, head_end) if head is not None else None
    if head is None or close is None:
        return None
    header = read_quietly(text[head:head_end] + "\n}")
    if header is None or header.stream.instrs:
        return None
    first = text.count("\n", 0, head_end) + 2  # the line after the header
    built: Built | None = ((), range(first, first), {})
    if close > head_end + 1:
        body = text[head_end + 1:close - 1]
        built = _read_printed(body, first) or _read_mixed(body, first)
    if built is None:
        return None
    instrs, lines, known = built
    stream = Stream(header.stream.name, header.stream.attrs, instrs)
    return ParsedStream(stream, SourceMap(filename, LineLocs(text, lines, known)))


def _first_line(text: str) -> tuple[int | None, int]:
    """(start, end) of the first line that is not blank or a comment; (None, 0) when none ends in a newline."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end == -1:
            return None, 0
        if _BLANK.fullmatch(text, start, end) is None:
            return start, end
        start = end + 1


def _closing_line(text: str, head_end: int) -> int | None:
    """Start of the ``}`` line after ``head_end`` that only blank or comment lines follow; else None."""
    end = len(text)
    while True:
        start = text.rfind("\n", 0, end) + 1
        if start <= head_end:
            return None
        if _BLANK.fullmatch(text, start, end) is None:
            return start if _CLOSE.fullmatch(text, start, end) is not None else None
        end = start - 1


def _read_printed(body: str, first: int) -> Built | None:
    """Every line of ``body`` (starting at line ``first``) in the printed form, numbered in order; else None."""
    with paused_gc():
        rows = _LINES.findall(body)
        if len(rows) != body.count("\n") + 1 or [row[0] for row in rows] != [str(i) for i in range(len(rows))]:
            return None
        try:
            instrs = tuple(map(_instr, rows))
        except ValueError:  # a bad escape in a label (JSONDecodeError), an integer too long for int()
            return None
    return instrs, range(first, first + len(instrs)), {}


def _read_mixed(body: str, first: int) -> Built | None:
    """Line by line: printed form, blank, comment, or one instruction by the grammar; else None."""
    instrs: list[Instr] = []
    lines: list[int] = []
    known: dict[int, InstrLoc] = {}
    for number, line in enumerate(body.split("\n"), start=first):
        match = _LINE.fullmatch(line)
        try:
            printed = match is not None and int(match["index"]) == len(instrs)
            instr = _instr(match.groups("")) if printed and match is not None else None
        except ValueError:  # see _read_printed
            return None
        if instr is None:
            if _BLANK.fullmatch(line) is not None:
                continue
            read = read_instr_line(line, len(instrs))
            if read is None:
                return None
            instr = read[0]
            known[len(instrs)] = shifted(read[1], number - 1)
        instrs.append(instr)
        lines.append(number)
    return tuple(instrs), lines, known
