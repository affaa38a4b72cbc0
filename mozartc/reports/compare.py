"""Two timed runs side by side, as data: ``mozartc diff A B`` prints it, ``--baseline`` puts it in the page.

:func:`compare_reports` turns two checked reports (:mod:`mozartc.reports.report_file`) into a
:class:`Comparison`: who each run is (model, target, pipeline), the step time with ``b / a`` and the
speed-up ``a / b``, and groups of rows, each row a quantity of run ``a`` and run ``b`` in one unit:

- **step**: step time, binding lower bound, step/bound, tokens, C_T, instructions, traffic totals;
- **breakdown** and **critical path**: seconds per kind (each adds up to its step);
- **lower bounds**: every family's bound;
- **energy**: joules per component and their total, per token, average power;
- **memory**: SRAM peak of the fullest chiplet (and its share of capacity), DRAM in use on the
  fullest stack and in all, bytes that do not fit;
- **utilisation**: the ``top`` resources whose utilisation changed most, ``|b - a|`` largest first
  (ties by name); a resource one run lacks counts as 0 there.

A row's ``delta`` is ``b - a`` and its ``ratio`` ``b / a`` (None when ``a`` is 0 or either is missing).
:meth:`Comparison.to_dict` is the ``--json`` form: base units (s, B, J, W; shares as fractions), six
significant digits, the same order every time. The text and HTML renderings only format it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mozartc.executor.energy import COMPONENTS
from mozartc.executor.report import BREAKDOWN_KEYS, REPORT_SCHEMA
from mozartc.reports.report_file import LoadedReport, ReportData

#: default number of changed resources listed
TOP_RESOURCES = 10
#: significant digits of every number in the JSON form
JSON_DIGITS = 6
#: said when the runs are of different models (different targets or pipelines are what one compares)
MODEL_NOTE = "note: the runs are of different models, so the ratios compare different work"
#: units a row can be in: seconds, bytes, joules, watts, FLOP, a fraction, a plain number
UNITS = ("s", "B", "J", "W", "FLOP", "share", "number")


@dataclass(frozen=True)
class Row:
    """One quantity of both runs, in ``unit``; ``where`` names the resource a value belongs to."""

    name: str
    unit: str
    a: float | None
    b: float | None
    a_where: str = ""
    b_where: str = ""

    @property
    def delta(self) -> float | None:
        """``b - a`` (None when either is missing)."""
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def ratio(self) -> float | None:
        """``b / a`` (None when ``a`` is 0 or either is missing)."""
        return None if self.a is None or self.b is None or self.a == 0 else self.b / self.a


@dataclass(frozen=True)
class Group:
    """A table of rows; ``id`` is its JSON key, ``note`` says what the reader should know."""

    id: str
    title: str
    rows: tuple[Row, ...]
    note: str = ""


@dataclass(frozen=True)
class RunInfo:
    """Who a run is: the label it is shown under and what its report records."""

    label: str
    model: str | None
    target: str
    pipeline: str | None
    preset: str | None
    stream: str | None
    mozartc_version: str | None
    bound_from: str

    def pipeline_text(self) -> str:
        """The preset name when the pipeline is one, else the pipeline as recorded."""
        return self.preset or self.pipeline or "-"


@dataclass(frozen=True)
class Comparison:
    """Run ``a`` against run ``b``: who they are, their step times and the groups of rows."""

    a: RunInfo
    b: RunInfo
    step: Row
    groups: tuple[Group, ...]

    @property
    def speedup(self) -> float | None:
        """``a / b`` of the step time: how many times faster ``b`` is (None when ``b`` is 0)."""
        return None if not self.step.b or self.step.a is None else self.step.a / self.step.b

    def differences(self) -> list[str]:
        """Which of model, target and pipeline differ between the runs."""
        return [name for name in ("model", "target", "pipeline")
                if getattr(self.a, name) != getattr(self.b, name)]

    def group(self, group_id: str) -> Group:
        """The group with ``id`` ``group_id`` (KeyError when absent)."""
        for g in self.groups:
            if g.id == group_id:
                return g
        raise KeyError(group_id)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (module docstring)."""
        return {
            "report_schema": REPORT_SCHEMA,
            "a": _info_dict(self.a),
            "b": _info_dict(self.b),
            "differ_in": self.differences(),
            "step": {"a_s": _r(self.step.a), "b_s": _r(self.step.b), "delta_s": _r(self.step.delta),
                     "ratio_b_over_a": _r(self.step.ratio), "speedup_a_over_b": _r(self.speedup)},
            "groups": [{"id": g.id, "title": g.title, "note": g.note, "rows": [_row_dict(r) for r in g.rows]}
                       for g in self.groups],
        }


def _r(value: float | None) -> float | None:
    """``value`` to :data:`JSON_DIGITS` significant digits."""
    if value is None or value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{JSON_DIGITS}g}")


def _info_dict(info: RunInfo) -> dict[str, Any]:
    return {"label": info.label, "model": info.model, "target": info.target, "pipeline": info.pipeline,
            "pipeline_preset": info.preset, "stream": info.stream, "mozartc_version": info.mozartc_version,
            "lower_bound_from": info.bound_from}


def _row_dict(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {"name": row.name, "unit": row.unit, "a": _r(row.a), "b": _r(row.b),
                           "delta": _r(row.delta), "ratio": _r(row.ratio)}
    if row.a_where or row.b_where:
        out["a_where"], out["b_where"] = row.a_where, row.b_where
    return out


def preset_of(pipeline: str | None) -> str | None:
    """The preset whose spelled pipeline is ``pipeline`` (or which ``pipeline`` names); None otherwise."""
    if not pipeline:
        return None
    from mozartc.driver import resolve_pipeline
    from mozartc.passes.presets import PIPELINE_PRESETS

    if pipeline in PIPELINE_PRESETS:
        return pipeline
    for name in PIPELINE_PRESETS:
        if resolve_pipeline(name) == pipeline:
            return name
    return None


def _info(run: LoadedReport) -> RunInfo:
    d = run.data
    return RunInfo(run.label, d.model, d.target, d.pipeline, preset_of(d.pipeline), d.stream, d.mozartc_version,
                   d.lower_bound_from)


def _ordered(keys: set[str], first: tuple[str, ...]) -> list[str]:
    """``first`` (those present) in its order, then the other keys sorted."""
    return [k for k in first if k in keys] + sorted(keys - set(first))


def _per_key(title: str, group_id: str, a: dict[str, float] | None, b: dict[str, float] | None, unit: str,
             first: tuple[str, ...] = (), note: str = "") -> Group:
    """One row per key of either dict (missing: None), ``first`` keys in order then the rest sorted."""
    keys = set(a or {}) | set(b or {})
    rows = tuple(Row(k, unit, None if a is None else a.get(k), None if b is None else b.get(k))
                 for k in _ordered(keys, first))
    return Group(group_id, title, rows, note)


def _step_group(a: ReportData, b: ReportData) -> Group:
    def ratio(d: ReportData) -> float | None:
        return d.step_time_s / d.lower_bound_s if d.lower_bound_s > 0 else None

    def tokens(d: ReportData) -> float | None:
        return None if d.tokens_per_step is None else float(d.tokens_per_step)

    rows = [Row("step time", "s", a.step_time_s, b.step_time_s),
            Row("lower bound (binding)", "s", a.lower_bound_s, b.lower_bound_s),
            Row("step / bound", "number", ratio(a), ratio(b)),
            Row("tokens per step", "number", tokens(a), tokens(b)),
            Row("C_T (copies per token)", "number", a.C_T, b.C_T),
            Row("instructions", "number", float(a.instructions), float(b.instructions))]
    for key, name, unit in (("dram_read_bytes", "DRAM read", "B"), ("dram_write_bytes", "DRAM written", "B"),
                            ("send_bytes", "sent between chiplets", "B"), ("gemm_flops", "GEMM work", "FLOP")):
        if key in a.totals or key in b.totals:
            rows.append(Row(name, unit, a.totals.get(key), b.totals.get(key)))
    return Group("step", "Step", tuple(rows))


def _bounds_group(a: ReportData, b: ReportData) -> Group:
    keys = set(a.lower_bounds_s) | set(b.lower_bounds_s)

    def size(k: str) -> float:
        return max(a.lower_bounds_s.get(k, 0.0), b.lower_bounds_s.get(k, 0.0))

    rows = tuple(Row(k, "s", a.lower_bounds_s.get(k), b.lower_bounds_s.get(k))
                 for k in sorted(keys, key=lambda k: (-size(k), k)))
    return Group("lower_bounds", "Lower bounds", rows,
                 "each resource family's busiest member at full rate, and the longest dependency chain; "
                 "largest first")


def _energy_group(a: ReportData, b: ReportData) -> Group:
    def per_token(d: ReportData) -> float | None:
        return None if d.energy_per_token_j is None else d.energy_per_token_j.get("total")

    group = _per_key("Energy per step", "energy", a.energy_j, b.energy_j, "J", (*COMPONENTS, "total"))
    rows = (*group.rows, Row("per token (total)", "J", per_token(a), per_token(b)),
            Row("average power", "W", a.average_power_w, b.average_power_w))
    missing = [run for run, d in (("a", a), ("b", b)) if d.energy_j is None]
    note = f"not in the report of {' and '.join(missing)}" if missing else ""
    return Group(group.id, group.title, rows, note)


def _fullest(entries: dict[str, dict[str, float]], key: str) -> tuple[str, float | None, float | None]:
    """The entry with the largest ``share`` (ties: the larger name, as the summary picks): name, ``key``, share."""
    if not entries:
        return "", None, None
    name, entry = max(entries.items(), key=lambda kv: (kv[1].get("share", 0.0), kv[0]))
    return name, entry.get(key), entry.get("share")


def _sum(entries: dict[str, dict[str, float]], key: str) -> float | None:
    return float(sum(e.get(key, 0.0) for e in entries.values())) if entries else None


def _memory_group(a: ReportData, b: ReportData) -> Group:
    sa, sb = _fullest(a.sram_bytes, "peak"), _fullest(b.sram_bytes, "peak")
    da, db = _fullest(a.dram_bytes, "in_use"), _fullest(b.dram_bytes, "in_use")
    rows = (Row("SRAM peak, fullest chiplet", "B", sa[1], sb[1], sa[0], sb[0]),
            Row("SRAM peak share, fullest chiplet", "share", sa[2], sb[2], sa[0], sb[0]),
            Row("SRAM peak, all chiplets", "B", _sum(a.sram_bytes, "peak"), _sum(b.sram_bytes, "peak")),
            Row("DRAM in use, fullest stack", "B", da[1], db[1], da[0], db[0]),
            Row("DRAM in use, all stacks", "B", _sum(a.dram_bytes, "in_use"), _sum(b.dram_bytes, "in_use")),
            Row("DRAM spill (does not fit)", "B", _sum(a.dram_bytes, "spill"), _sum(b.dram_bytes, "spill")))
    missing = [run for run, d in (("a", a), ("b", b)) if not d.sram_bytes and not d.dram_bytes]
    note = f"not in the report of {' and '.join(missing)}" if missing else ""
    return Group("memory", "Memory", rows, note)


def _utilisation_group(a: ReportData, b: ReportData, top: int) -> Group:
    keys = set(a.utilization) | set(b.utilization)

    def change(k: str) -> float:
        return abs(b.utilization.get(k, 0.0) - a.utilization.get(k, 0.0))

    chosen = sorted(keys, key=lambda k: (-change(k), k))[:top]
    rows = tuple(Row(k, "share", a.utilization.get(k, 0.0), b.utilization.get(k, 0.0)) for k in chosen)
    return Group("utilization", f"Utilisation: the {len(rows)} resources that changed most", rows,
                 "share of a resource's bandwidth used over the step (compute arrays: share of time busy); "
                 "largest |b - a| first")


def compare_reports(a: LoadedReport, b: LoadedReport, top: int = TOP_RESOURCES) -> Comparison:
    """Run ``b`` against run ``a`` (module docstring); ``top`` changed resources are listed."""
    da, db = a.data, b.data
    groups = (
        _step_group(da, db),
        _per_key("Breakdown", "breakdown", da.breakdown_s, db.breakdown_s, "s", BREAKDOWN_KEYS,
                 "every instant goes to the highest-priority kind running; adds up to the step time"),
        _bounds_group(da, db),
        _per_key("Critical path", "critical_path", da.critical_path_s, db.critical_path_s, "s", BREAKDOWN_KEYS,
                 "time by kind along the chain of instructions that set the step; adds up to the step time"),
        _energy_group(da, db),
        _memory_group(da, db),
        _utilisation_group(da, db, top),
    )
    return Comparison(_info(a), _info(b), Row("step time", "s", da.step_time_s, db.step_time_s), groups)
