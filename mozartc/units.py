"""Numbers for reading: seconds, decimal bytes, rates, energy and shares, rounded, with their unit.

The one unit convention of mozartc's output: every size a command, an error or the HTML report
prints goes through :func:`fmt_bytes` (decimal prefixes, 1 MB = 10^6 bytes, 1 GB = 10^9 bytes,
1 GB/s = 10^9 bytes/s), three significant digits (four for times). The only binary units are the
target file's own fields (``capacity_mb``, ``sram_mb_per_tile``: MiB, 2^20 bytes), and they are
labelled MiB/GiB wherever they are echoed (``mozartc target show``).
"""

from __future__ import annotations

import math

_DECIMAL: tuple[tuple[str, float], ...] = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3))
_SI: tuple[tuple[str, float], ...] = (("M", 1e6), ("k", 1e3), ("", 1.0), ("m", 1e-3), ("u", 1e-6), ("n", 1e-9))


#: a time below this prints as 0 (float noise, e.g. ``step - sum(parts)``, not a duration)
NOISE_S = 1e-12


def fmt_seconds(seconds: float) -> str:
    """``12.35 ms``, ``3.2 us``: four significant digits in the largest unit below the value;
    below a picosecond (float noise) ``0 s``."""
    if abs(seconds) < NOISE_S:
        return "0 s"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.4g} {unit}"
    return f"{seconds / 1e-12:.4g} ps"


def _decimal(value: float, unit: str) -> str:
    for prefix, scale in _DECIMAL:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def fmt_bytes(n: float) -> str:
    """``13.3 GB``, ``798 kB``, ``512 B``: decimal prefixes, three significant digits."""
    return _decimal(float(n), "B")


def fmt_mib(mib: float) -> str:
    """A target file's binary size field, labelled as such: ``8 GiB``, ``2.265 MiB``."""
    if mib >= 1024:
        return f"{mib / 1024:g} GiB"
    return f"{mib:g} MiB"


def fmt_rate(bytes_per_s: float) -> str:
    """``256 GB/s``: decimal bytes per second."""
    return _decimal(float(bytes_per_s), "B/s")


def fmt_flops(flops: float) -> str:
    """``59.8 TFLOP``: decimal floating-point operations."""
    return _decimal(float(flops), "FLOP")


def fmt_si(value: float, unit: str, digits: int = 4) -> str:
    """``95.31 J``, ``11.63 mJ``, ``1.798 kW``: ``digits`` significant digits with an SI prefix."""
    if value == 0:
        return f"0 {unit}"
    for prefix, scale in _SI:
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g} {prefix}{unit}"
    return f"{value / 1e-12:.{digits}g} p{unit}"


def fmt_joules(joules: float) -> str:
    """``1.23 J``, ``45.6 mJ``: three significant digits in the largest unit below the value."""
    return fmt_si(joules, "J", digits=3)


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
