"""Discrete-event timing of instruction streams on a target, and what users read from it.

::

    from mozartc.executor import execute, make_report, report_json, write_perfetto
    timeline = execute(stream, target)            # verifies, then simulates (engine.py)
    report = make_report(timeline)                # step time, breakdown, bound, ... (report.py)
    text = report_json(report)                    # canonical JSON
    write_perfetto(timeline, "trace.json")        # one track per resource (perfetto.py)

The sharing model and every duration formula: docs/executor.md.
"""

from mozartc.executor.engine import Timeline, execute
from mozartc.executor.perfetto import perfetto_json, perfetto_trace, write_perfetto
from mozartc.executor.report import format_summary, make_report, report_json
from mozartc.executor.workload import ExecOptions

__all__ = ["ExecOptions", "Timeline", "execute", "format_summary", "make_report", "perfetto_json",
           "perfetto_trace", "report_json", "write_perfetto"]
