"""Human-readable reports of a timed step: the self-contained HTML page (``mozartc ... --html``) and the
comparison of two runs (``mozartc diff``, :mod:`mozartc.reports.compare`).

``build_page``, ``render_html`` and ``write_html`` are loaded on first use, so that reading or comparing
report files does not import matplotlib and jinja2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mozartc.reports.html import build_page, render_html, write_html

__all__ = ["build_page", "render_html", "write_html"]


def __getattr__(name: str) -> Any:
    """The page functions of :mod:`mozartc.reports.html`, imported when first asked for."""
    if name in __all__:
        from mozartc.reports import html

        return getattr(html, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
