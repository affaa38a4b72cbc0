"""Numbers for reading: seconds, decimal bytes, rates, energy and shares, rounded, with their unit.

Every figure on the HTML report goes through one of these, so the page rounds the same way
everywhere: three significant digits (four for times, as ``mozartc run`` prints them), decimal
prefixes (1 MB = 10^6 bytes, 1 GB/s = 10^9 bytes/s).
"""

from __future__ import annotations

import math

from mozartc.executor.report import format_seconds

_DECIMAL: tuple[tuple[str, float], ...] = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3))
_SUBUNIT: tuple[tuple[str, float], ...] = (("", 1.0), ("m", 1e-3), ("µ", 1e-6), ("n", 1e-9), ("p", 1e-12))


def fmt_seconds(seconds: float) -> str:
    """``53 ms``, ``222.8 us``: four significant digits in the largest unit below the value."""
    return format_seconds(seconds)


def _decimal(value: float, unit: str) -> str:
    for prefix, scale in _DECIMAL:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def fmt_bytes(n: float) -> str:
    """``13.3 GB``, ``798 kB``, ``512 B``: decimal prefixes, three significant digits."""
    return _decimal(float(n), "B")


def fmt_rate(bytes_per_s: float) -> str:
    """``256 GB/s``: decimal bytes per second."""
    return _decimal(float(bytes_per_s), "B/s")


def fmt_flops(flops: float) -> str:
    """``59.8 TFLOP``: decimal floating-point operations."""
    return _decimal(float(flops), "FLOP")


def fmt_joules(joules: float) -> str:
    """``1.23 J``, ``45.6 mJ``: three significant digits in the largest unit below the value."""
    if joules == 0:
        return "0 J"
    for prefix, scale in _SUBUNIT:
        if abs(joules) >= scale:
            return f"{joules / scale:.3g} {prefix}J"
    return f"{joules:.3g} J"


def total_of(value: object) -> float | None:
    """A report figure that is a number, or a dict of components with its ``total``; None otherwise."""
    if isinstance(value, dict):
        value = value.get("total")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def fmt_share(share: float) -> str:
    """``98.1%``: a fraction as a percentage with one decimal."""
    return f"{share * 100:.1f}%"


def fmt_ratio(ratio: float) -> str:
    """``1.019``: a dimensionless ratio with three decimals."""
    return f"{ratio:.3f}"


def fmt_per_second(per_s: float, what: str) -> str:
    """``36,800,000 tokens/s``: three significant digits, written out with thousands separators."""
    if per_s <= 0:
        return f"0 {what}/s"
    digits = math.floor(math.log10(per_s)) + 1
    return f"{round(per_s, 3 - digits):,.0f} {what}/s"


def fmt_count(n: int) -> str:
    """``25,427``: an integer with thousands separators."""
    return f"{n:,}"
