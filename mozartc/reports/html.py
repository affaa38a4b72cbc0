"""The HTML step report: one self-contained page (inline CSS and SVG, no script, no URL it loads).

    from mozartc.reports.html import build_page, render_html, write_html
    write_html("report.html", result.report, timeline=result.timeline, module=result.module)

``build_page`` turns the report dict (and, when the caller has them, the timeline with its stream and
target, the mapped module, and a baseline report to compare with) into a
:class:`~mozartc.reports.model.Page`; ``render_html`` lays the page out with the jinja2 template
``templates/report.html.j2``. Same inputs give the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from mozartc.executor.engine import Timeline
from mozartc.fileio import atomic_write_text
from mozartc.ir.core import Module
from mozartc.reports import machine, timing
from mozartc.reports.compare_section import baseline_section
from mozartc.reports.model import Page
from mozartc.reports.report_file import LoadedReport
from mozartc.units import fmt_seconds
from mozartc.version import __version__

TEMPLATE = "report.html.j2"


def build_page(report: dict[str, Any], timeline: Timeline | None = None, module: Module | None = None,
               bins: int = timing.HEATMAP_BINS, baseline: LoadedReport | None = None) -> Page:
    """The page model of ``report``; sections that need the timeline or the module say so when absent.

    With a ``baseline`` report, a "Compared with baseline" section follows the summary.
    """
    compared = (baseline_section(report, baseline),) if baseline is not None else ()
    sections = (
        timing.summary(report, module),
        *compared,
        timing.breakdown(report),
        timing.critical_path(report),
        timing.lower_bounds(report),
        timing.utilisation(report, timeline, bins),
        machine.traffic(timeline),
        machine.sram(report),
        machine.dram(report, timeline),
        machine.energy(report),
        machine.mapping(module, timeline),
    )
    name = report.get("model") or report.get("stream") or "stream"
    subtitle = f"on {report.get('target')}: step time {fmt_seconds(float(report['step_time_s']))}"
    return Page(f"mozartc report: {name}", subtitle, sections, f"mozartc {report.get('mozartc_version', __version__)}")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("mozartc.reports", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True)


def render_html(page: Page) -> str:
    """The page as HTML text."""
    return _environment().get_template(TEMPLATE).render(page=page)


def write_html(path: str | Path, report: dict[str, Any], timeline: Timeline | None = None,
               module: Module | None = None, baseline: LoadedReport | None = None) -> None:
    """Render the report page and write it to ``path`` atomically (no partial file on failure)."""
    atomic_write_text(path, render_html(build_page(report, timeline, module, baseline=baseline)))
