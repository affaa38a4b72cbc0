"""Cells of a comparison row for reading: both runs in one unit, the change with its sign, the ratio.

Both values of a row are written in the unit that suits the larger of the two, so a column reads
like with like (``97.09 ms`` against ``53 ms``, never ``53000 us``); their difference gets the unit
that suits it (``-7.94 kB`` beside ``1.76 MB``). Four significant digits for times, three for
everything else, decimal prefixes (1 MB = 10^6 bytes). Shares are percentages and their change is in
percentage points (``pp``).
"""

from __future__ import annotations

from mozartc.reports.compare import Row

_SCALES: dict[str, tuple[tuple[str, float], ...]] = {
    "s": (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)),
    "J": (("kJ", 1e3), ("J", 1.0), ("mJ", 1e-3), ("uJ", 1e-6), ("nJ", 1e-9)),
    "W": (("MW", 1e6), ("kW", 1e3), ("W", 1.0), ("mW", 1e-3)),
    "B": (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3), ("B", 1.0)),
    "FLOP": (("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6), ("kFLOP", 1e3), ("FLOP", 1.0)),
}
MISSING = "-"


def scale_for(unit: str, magnitude: float) -> tuple[str, float]:
    """The prefixed unit and its scale for values up to ``magnitude``: ``("ms", 1e-3)`` for 0.053 s
    (the unprefixed unit for 0)."""
    scales = _SCALES[unit]
    if magnitude == 0:
        return next(s for s in scales if s[1] == 1.0)
    for name, scale in scales:
        if magnitude >= scale:
            return name, scale
    return scales[-1]


def _digits(unit: str) -> int:
    return 4 if unit == "s" else 3


def _number(value: float) -> str:
    """A plain number: integers with thousands separators, others to four significant digits."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}"


def row_cells(row: Row) -> tuple[str, str, str, str]:
    """``(a, b, b - a, b / a)`` of ``row`` as text; a missing value is ``-``."""
    ratio = MISSING if row.ratio is None else f"{row.ratio:.3f}"
    if row.unit == "share":
        def share(v: float | None) -> str:
            return MISSING if v is None else f"{v * 100:.1f}%"
        delta = MISSING if row.delta is None else "0" if row.delta == 0 else f"{row.delta * 100:+.1f} pp"
        return _where(share(row.a), row.a_where), _where(share(row.b), row.b_where), delta, ratio
    if row.unit == "number":
        def plain(v: float | None) -> str:
            return MISSING if v is None else _number(v)
        delta = MISSING if row.delta is None else ("+" if row.delta > 0 else "") + _number(row.delta)
        return plain(row.a), plain(row.b), delta, ratio
    present = [abs(v) for v in (row.a, row.b) if v is not None]
    name, scale = scale_for(row.unit, max(present, default=0.0))
    digits = _digits(row.unit)

    def value(v: float | None) -> str:
        return MISSING if v is None else f"{v / scale:.{digits}g} {name}"

    return _where(value(row.a), row.a_where), _where(value(row.b), row.b_where), signed(row.delta, row.unit), ratio


def signed(delta: float | None, unit: str) -> str:
    """A difference with its sign in the unit that suits it: ``-7.94 kB``; ``0`` when there is none."""
    if delta is None:
        return MISSING
    if delta == 0:
        return "0"
    name, scale = scale_for(unit, abs(delta))
    return f"{delta / scale:+.{_digits(unit)}g} {name}"


def _where(text: str, where: str) -> str:
    return f"{text} ({where})" if where and text != MISSING else text


def step_line(step: Row, speedup: float | None) -> str:
    """``step time: a 97.09 ms, b 53 ms; b/a 0.546, speed-up a/b 1.832x``."""
    a, b, delta, ratio = row_cells(step)
    text = f"step time: a {a}, b {b} ({delta}); b/a {ratio}"
    if speedup is not None:
        text += f", speed-up a/b {speedup:.3f}x"
    return text
