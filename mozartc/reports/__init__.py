"""Human-readable reports of a timed step: the self-contained HTML page (``mozartc ... --html``)."""

from mozartc.reports.html import build_page, render_html, write_html

__all__ = ["build_page", "render_html", "write_html"]
