"""The Mozart instruction set: what backends write and the executor reads (a peer of :mod:`mozartc.ir`).

- :mod:`~mozartc.isa.instr`: ``Instr`` and ``Stream``, the ops and breakdown kinds;
- :mod:`~mozartc.isa.mzs`: the ``.mzs`` text form (printer, lark parser with located errors);
- :mod:`~mozartc.isa.verify`: the stream verifier (every invariant the executor relies on).

docs/backends.md documents the instruction set and its text form.
"""

from mozartc.isa.instr import KINDS, OPS, Instr, Stream
from mozartc.isa.mzs import parse_stream, parse_stream_file, print_stream
from mozartc.isa.verify import verify_stream

__all__ = ["KINDS", "OPS", "Instr", "Stream", "parse_stream", "parse_stream_file", "print_stream", "verify_stream"]
