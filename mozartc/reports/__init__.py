"""Human-readable reports of a timed step: the self-contained HTML page (``mozartc ... --html``,
:mod:`mozartc.reports.html`: ``build_page``, ``render_html``, ``write_html``) and the comparison of two
runs (``mozartc diff``, :mod:`mozartc.reports.compare`).

The package's ``__init__`` imports nothing, so reading or comparing report files does not import
matplotlib and jinja2, and no module here imports back through the package.
"""
