"""One unit convention for printed numbers (mozartc/units.py): decimal sizes, rounded, no float noise."""

from __future__ import annotations

import pytest

from mozartc.units import fmt_bytes, fmt_joules, fmt_mib, fmt_rate, fmt_seconds, fmt_si


@pytest.mark.parametrize(("seconds", "text"), [
    (0.0, "0 s"), (1.388e-17, "0 s"), (-3e-15, "0 s"),  # float noise such as step - sum(parts)
    (2.5e-12, "2.5 ps"), (3.2e-6, "3.2 us"), (0.012345, "12.35 ms"), (1.5, "1.5 s"), (95.0, "95 s"),
])
def test_seconds(seconds: float, text: str) -> None:
    assert fmt_seconds(seconds) == text


@pytest.mark.parametrize(("n", "text"), [
    (512, "512 B"), (798_000, "798 kB"), (237.5e6, "238 MB"), (8 * 2**30, "8.59 GB"), (51.5e9, "51.5 GB"),
])
def test_bytes_are_decimal(n: float, text: str) -> None:
    assert fmt_bytes(n) == text


def test_binary_file_fields_are_labelled_binary() -> None:
    assert fmt_mib(8192) == "8 GiB" and fmt_mib(2.265) == "2.265 MiB"


def test_rates_and_si() -> None:
    assert fmt_rate(1.536e12) == "1.54 TB/s" and fmt_rate(256e9) == "256 GB/s"
    assert fmt_si(95.3125, "J") == "95.31 J" and fmt_si(1798.0, "W") == "1.798 kW"
    assert fmt_si(0.0, "J") == "0 J" and fmt_si(2e-13, "J") == "0.2 pJ"
    assert fmt_joules(0.04567) == "45.7 mJ" and fmt_joules(3.1e-6) == "3.1 uJ"
