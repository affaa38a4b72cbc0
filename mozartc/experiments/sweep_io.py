"""Sweep outputs: ``results.csv`` (always), ``results.parquet`` (when pyarrow is installed), ``summary.png``."""

from __future__ import annotations

import csv
import importlib.util
import io
from typing import TYPE_CHECKING, Any

from mozartc.experiments.runner import BREAKDOWN_KEYS
from mozartc.experiments.sweep_plan import Point, point_params
from mozartc.fileio import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from pathlib import Path

    from matplotlib.figure import Figure

    from mozartc.experiments.sweep_spec import SweepSpec

def result_rows(spec: SweepSpec, points: list[Point], store: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per point in plan order: point_id, the parameters, status, the metrics, error."""
    rows: list[dict[str, Any]] = []
    for point in points:
        outcome = store[point.id]["outcome"]
        row: dict[str, Any] = {"point_id": point.id, **point_params(spec, point)}
        report = outcome.get("report") or {}
        row["status"] = "ok" if outcome["ok"] else "error"
        for key in ("step_time_s", "C_T", "layout_C_T", "lower_bound_s", "lower_bound_from", "target_name",
                    "capacity_warning"):
            row[key] = report.get(key)
        for key in BREAKDOWN_KEYS:
            row[f"breakdown_{key}_s"] = report.get("breakdown_s", {}).get(key)
        row["error"] = outcome.get("error")
        rows.append(row)
    return rows


def csv_text(rows: list[dict[str, Any]]) -> str:
    """CSV of ``rows`` (columns of the first row); floats by repr, None as an empty cell."""
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    columns = list(rows[0])
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else repr(row[c]) if isinstance(row[c], float) else row[c]
                         for c in columns])
    return buf.getvalue()


def parquet_bytes(rows: list[dict[str, Any]]) -> bytes | None:
    """The rows as Parquet (via pandas + pyarrow), or None when pyarrow is not installed."""
    if importlib.util.find_spec("pyarrow") is None:
        return None
    import pandas as pd

    buf = io.BytesIO()
    pd.DataFrame(rows).to_parquet(buf, index=False)
    return buf.getvalue()


def write_results(spec: SweepSpec, points: list[Point], store: dict[str, dict[str, Any]], out: Path) -> tuple[str, ...]:
    """Write results.csv, results.parquet (if possible) and summary.png; return the file names."""
    from mozartc.experiments.plots import png_bytes

    rows = result_rows(spec, points, store)
    files = {"results.csv": csv_text(rows).encode("utf-8")}
    parquet = parquet_bytes(rows)
    if parquet is not None:
        files["results.parquet"] = parquet
    fig = summary_figure(spec, rows)
    if fig is not None:
        files["summary.png"] = png_bytes(fig)
    for name, data in files.items():
        if name.endswith(".csv"):
            atomic_write_text(out / name, data.decode("utf-8"))
        else:
            atomic_write_bytes(out / name, data)
    return tuple(files)


def _numeric(values: tuple[Any, ...]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


#: ten colours (matplotlib's tab10), then line styles and markers, so no two of 40 series look alike
SERIES_COLORS: tuple[str, ...] = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                  "#7f7f7f", "#bcbd22", "#17becf")
SERIES_LINES: tuple[str, ...] = ("-", "--", ":", "-.")
SERIES_MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X")


def series_style(n: int) -> dict[str, str]:
    """The look of series ``n``: colour ``n mod 10``, line style ``n div 10``, marker ``n mod 7``; the
    (colour, line style) pair is unique for the first 40 series."""
    return {"color": SERIES_COLORS[n % len(SERIES_COLORS)],
            "linestyle": SERIES_LINES[(n // len(SERIES_COLORS)) % len(SERIES_LINES)],
            "marker": SERIES_MARKERS[n % len(SERIES_MARKERS)]}


def summary_figure(spec: SweepSpec, rows: list[dict[str, Any]]) -> Figure | None:
    """Step time against the first numeric axis (else the first axis), one panel per value of the next
    axis, one line per combination of the remaining axes. None for a sweep without axes."""
    from mozartc.experiments.plots import new_figure

    if not spec.axes:
        return None
    x_axis = next((a for a in spec.axes if _numeric(a.values)), spec.axes[0])
    others = [a for a in spec.axes if a is not x_axis]
    panel_axis = others[0] if len(others) > 1 else None
    line_axes = [a for a in others if a is not panel_axis]
    panels = panel_axis.values if panel_axis else (None,)
    fig = new_figure(max(6.5, 4.0 * min(len(panels), 3)), 3.8 * ((len(panels) + 2) // 3))
    grid = fig.subplots((len(panels) + 2) // 3, min(len(panels), 3), squeeze=False)
    numeric_x = _numeric(x_axis.values)
    column = _column(x_axis.name)
    for index, panel in enumerate(panels):
        ax = grid[index // 3][index % 3]
        mine = [r for r in rows if panel_axis is None or r[_column(panel_axis.name)] == _cell(panel)]
        combos: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for r in mine:
            combos.setdefault(tuple(r[_column(a.name)] for a in line_axes), []).append(r)
        for n, (combo, group) in enumerate(combos.items()):
            ok = [r for r in group if r["status"] == "ok"]
            xs = [r[column] if numeric_x else list(map(_cell, x_axis.values)).index(r[column]) for r in ok]
            label = ", ".join(f"{a.name.split('.')[-1]}={v}" for a, v in zip(line_axes, combo, strict=True))
            ax.plot(xs, [r["step_time_s"] * 1e3 for r in ok], label=label or None, **series_style(n))
        if not numeric_x:
            ax.set_xticks(range(len(x_axis.values)), [str(_cell(v)) for v in x_axis.values], fontsize=8)
        ax.set_xlabel(x_axis.name)
        times = [r["step_time_s"] for r in mine if r["status"] == "ok"]
        log = bool(times) and max(times) > 10 * min(times) > 0
        ax.set_ylabel("step time (ms, log scale)" if log else "step time (ms)")
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
        if panel_axis is not None:
            ax.set_title(f"{panel_axis.name} = {_cell(panel)}", fontsize=10)
        if line_axes:
            ax.legend(fontsize=6)
    for index in range(len(panels), len(grid) * len(grid[0])):
        grid[index // 3][index % 3].set_visible(False)
    fig.suptitle(f"Sweep '{spec.name}': {spec.model}, step time against {x_axis.name}")
    return fig


def _column(axis_name: str) -> str:
    return axis_name


def _cell(value: Any) -> Any:
    """How an axis value appears in a row (targets by file stem)."""
    from pathlib import Path

    return Path(value).stem if isinstance(value, str) and value.endswith(".toml") else value
