"""The HTML report's "Compared with baseline" section (``--html ... --baseline BASE.json``).

The same comparison as ``mozartc diff BASE.json THIS.json`` (:mod:`mozartc.reports.compare`, the
baseline is run ``a``, this run ``b``) with the same cells (:mod:`mozartc.reports.compare_format`),
laid out as the page's tables, and a paired bar chart of the step time and its breakdown by kind.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from mozartc.reports import figures
from mozartc.reports.compare import MODEL_NOTE, Comparison, Group, RunInfo, compare_reports
from mozartc.reports.compare_format import row_cells
from mozartc.reports.model import Section, Table
from mozartc.reports.report_file import LoadedReport, check_report

THIS_RUN = "this run"
COLUMNS = ("baseline", THIS_RUN, "change", f"{THIS_RUN} / baseline")


def _table(group: Group) -> Table:
    rows = tuple((row.name, *row_cells(row)) for row in group.rows)
    return Table((group.title, *COLUMNS), rows, (False, True, True, True, True), caption=group.note)


def _who(run: RunInfo) -> str:
    return f"{run.model or run.stream or '-'} on {run.target}, pipeline {run.pipeline_text()}"


def breakdown_chart(c: Comparison, prefix: str) -> str:
    """Paired bars: the step time and each kind of its breakdown, baseline against this run."""
    group = c.group("breakdown")
    rows = [c.step, *(r for r in group.rows if (r.a or 0.0) > 0 or (r.b or 0.0) > 0)]
    unit, scale = figures.time_unit(max(c.step.a or 0.0, c.step.b or 0.0))
    names = ["step" if r is c.step else r.name for r in rows]
    return figures.paired_hbars(names, [(r.a or 0.0) / scale for r in rows], [(r.b or 0.0) / scale for r in rows],
                                ("baseline", THIS_RUN), f"time ({unit})", prefix)


def baseline_section(report: dict[str, Any], baseline: LoadedReport) -> Section:
    """This run's ``report`` against ``baseline`` (module docstring)."""
    c = compare_reports(baseline, check_report(report, THIS_RUN))
    a, b, delta, ratio = row_cells(c.step)
    facts = [("baseline report", baseline.label), ("baseline", _who(c.a)), (THIS_RUN, _who(c.b)),
             ("step time", f"{a} (baseline), {b} ({THIS_RUN}): {delta}"), (f"{THIS_RUN} / baseline", ratio)]
    if c.speedup is not None:
        facts.append(("speed-up (baseline / this run)", f"{c.speedup:.3f}x"))
    notes = (MODEL_NOTE[:1].upper() + MODEL_NOTE[1:],) if "model" in c.differences() else ()
    values = {"step_baseline_s": c.step.a or 0.0, "step_this_s": c.step.b or 0.0}
    if c.step.ratio is not None:
        values["ratio"] = c.step.ratio
    return Section(
        "baseline", "Compared with baseline",
        "This run against a baseline report, as mozartc diff prints them: each quantity of both runs, the "
        "change (this run minus baseline) and the ratio (this run over baseline; below 1 is smaller or faster).",
        facts=tuple(facts), figure=Markup(breakdown_chart(c, "baseline")),
        tables=tuple(_table(g) for g in c.groups), notes=notes, values=values)
