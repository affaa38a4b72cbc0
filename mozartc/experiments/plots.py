"""PNG plots of a reproduction (matplotlib's Agg canvas, no pyplot state).

:func:`reproduction_plots` returns file name -> PNG bytes; the caller writes them. Each plot covers
what the records hold and is skipped when they hold nothing for it.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from mozartc.experiments.paper import LADDER, TABLE4, TABLE4_DRAM, TABLE4_SEQ_LEN
from mozartc.experiments.runner import BREAKDOWN_KEYS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LABELS = {"baseline": "Baseline", "mozart-a": "Mozart-A", "mozart-b": "Mozart-B", "mozart-c": "Mozart-C",
          "mozart-c+mc": "Mozart-C + multicast (beyond the paper)"}
COLORS = {"baseline": "#7f7f7f", "mozart-a": "#1f77b4", "mozart-b": "#ff7f0e", "mozart-c": "#2ca02c",
          "mozart-c+mc": "#9467bd"}
#: the colour of a rung without its own (a preset added later)
OTHER_COLOR = "#17becf"
BREAKDOWN_COLORS = {"compute": "#1f77b4", "all_to_all": "#ff7f0e", "dram_load": "#2ca02c",
                    "dram_save": "#d62728", "sync": "#9467bd", "exposed": "#8c564b"}


def new_figure(width: float, height: float) -> Figure:
    """A figure on an Agg canvas (no global pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (no timestamp metadata)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def reproduction_plots(records: list[dict[str, Any]]) -> dict[str, bytes]:
    """All plots the records support: normalised latency (Figure 6a), step time against sequence
    length (two lengths or more), HBM2 against SSD (two DRAM kinds or more), and the breakdown per
    pipeline."""
    plots: dict[str, bytes] = {}
    records = [r for r in records if r["error"] is None]
    if not records:
        return plots
    for name, make in (("normalized_latency.png", _normalized_latency), ("seq_len.png", _seq_len),
                       ("dram.png", _dram), ("breakdown.png", _breakdown)):
        fig = make(records)
        if fig is not None:
            plots[name] = png_bytes(fig)
    return plots


def _models(records: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(r["model"] for r in records))


def _pipelines(records: list[dict[str, Any]]) -> list[str]:
    present = {r["pipeline"] for r in records}
    return [p for p in LADDER if p in present] + sorted(present - set(LADDER))


def _focus(records: list[dict[str, Any]]) -> tuple[int, str]:
    """The (sequence length, DRAM) to show in single-setting plots: Table 4's when present."""
    settings = [(r["seq_len"], r["dram"]) for r in records]
    return (TABLE4_SEQ_LEN, TABLE4_DRAM) if (TABLE4_SEQ_LEN, TABLE4_DRAM) in settings else settings[0]


def _pick(records: list[dict[str, Any]], **match: Any) -> list[dict[str, Any]]:
    return [r for r in records if all(r[k] == v for k, v in match.items())]


def _normalized_latency(records: list[dict[str, Any]]) -> Figure | None:
    seq_len, dram = _focus(records)
    rows = [r for r in _pick(records, seq_len=seq_len, dram=dram) if r["normalized_latency"] is not None]
    if not rows:
        return None
    models, pipelines = _models(rows), _pipelines(rows)
    fig = new_figure(max(6.5, 2.2 + 2.4 * len(models)), 4.4)
    ax = fig.add_subplot()
    width = 0.8 / len(pipelines)
    for j, pipeline in enumerate(pipelines):
        xs, ys, paper_x, paper_y = [], [], [], []
        for i, model in enumerate(models):
            hit = [r for r in rows if r["model"] == model and r["pipeline"] == pipeline]
            if hit:
                xs.append(i + (j - (len(pipelines) - 1) / 2) * width)
                ys.append(hit[0]["normalized_latency"])
                cell = TABLE4.get(model, {}).get(pipeline)
                if cell is not None and (seq_len, dram) == (TABLE4_SEQ_LEN, TABLE4_DRAM):
                    paper_x.append(xs[-1])
                    paper_y.append(cell.latency)
        bars = ax.bar(xs, ys, width, label=LABELS.get(pipeline, pipeline), color=COLORS.get(pipeline, OTHER_COLOR))
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
        if paper_x:
            ax.scatter(paper_x, paper_y, marker="_", s=300, color="black", linewidths=2, zorder=3,
                       label="paper (Table 4)" if j == 1 else None)
    ax.set_xticks(range(len(models)), models)
    ax.set_ylabel("latency normalised to baseline (1 = baseline)")
    ax.set_ylim(0, 1.3)
    ax.set_title(f"Normalised training-step latency\n(seq len {seq_len}, {dram.upper()}; cf. paper Figure 6a)")
    ax.legend(loc="upper center", fontsize=8, ncols=5)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _seq_len(records: list[dict[str, Any]]) -> Figure | None:
    """Step time against sequence length (linear axes), one panel per model and DRAM kind (a row per
    kind, so SSD's slower steps do not flatten HBM2's), one line per rung; None when the records hold
    one length only (a single point is no curve)."""
    lengths = sorted({r["seq_len"] for r in records})
    if len(lengths) < 2:
        return None
    models = _models(records)
    drams = list(dict.fromkeys(r["dram"] for r in records))
    fig = new_figure(max(6.5, 4.2 * len(models)), 3.6 * len(drams))
    grid = fig.subplots(len(drams), len(models), squeeze=False)
    for row, dram in zip(grid, drams, strict=True):
        for ax, model in zip(row, models, strict=True):
            for pipeline in _pipelines(records):
                rows = sorted(_pick(records, model=model, dram=dram, pipeline=pipeline), key=lambda r: r["seq_len"])
                if rows:
                    ax.plot([r["seq_len"] for r in rows], [r["step_time_s"] * 1e3 for r in rows], marker="o",
                            color=COLORS.get(pipeline, OTHER_COLOR), label=LABELS.get(pipeline, pipeline))
            ax.set_xlabel("sequence length (tokens)")
            ax.set_ylabel("step time (ms)")
            ax.set_ylim(bottom=0)
            ax.set_title(f"{model}, {dram.upper()}", fontsize=10)
            ax.set_xticks(lengths)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.suptitle("Training-step time against sequence length")
    return fig


def _dram(records: list[dict[str, Any]]) -> Figure | None:
    """Step time with each DRAM kind per rung (linear axis, bars labelled with the ratio to the first
    kind), one panel per model; None when the records hold one DRAM kind only."""
    drams = list(dict.fromkeys(r["dram"] for r in records))
    if len(drams) < 2:
        return None
    seq_len = TABLE4_SEQ_LEN if any(r["seq_len"] == TABLE4_SEQ_LEN for r in records) else records[0]["seq_len"]
    rows = _pick(records, seq_len=seq_len)
    models, pipelines = _models(rows), _pipelines(rows)
    fig = new_figure(max(6.5, 4.2 * len(models)), 4.0)
    axes = fig.subplots(1, len(models), squeeze=False)[0]
    width = 0.8 / len(drams)
    hatches = ("", "//", "..", "xx")
    for ax, model in zip(axes, models, strict=True):
        first = {p: hit[0]["step_time_s"] for p in pipelines if (hit := _pick(rows, model=model, dram=drams[0],
                                                                               pipeline=p))}
        for j, dram in enumerate(drams):
            xs, ys, colors, labels = [], [], [], []
            for i, pipeline in enumerate(pipelines):
                hit = _pick(rows, model=model, dram=dram, pipeline=pipeline)
                if hit:
                    xs.append(i + (j - (len(drams) - 1) / 2) * width)
                    ys.append(hit[0]["step_time_s"] * 1e3)
                    colors.append(COLORS.get(pipeline, OTHER_COLOR))
                    base = first.get(pipeline)
                    labels.append(f"x{hit[0]['step_time_s'] / base:.1f}" if j and base else "")
            bars = ax.bar(xs, ys, width, label=dram.upper(), hatch=hatches[j % len(hatches)], color=colors,
                          edgecolor="black", linewidth=0.5)
            ax.bar_label(bars, labels=labels, fontsize=7, padding=1)
        ax.set_xticks(range(len(pipelines)), [LABELS.get(p, p) for p in pipelines], fontsize=8)
        ax.set_ylabel("step time (ms)")
        ax.set_ylim(0, ax.get_ylim()[1] * 1.3)  # headroom: the legend sits above the bars and their labels
        ax.set_title(model)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(title="weights streamed from", fontsize=8, ncols=len(drams), loc="upper center")
    kinds = " and ".join(d.upper() for d in drams)
    fig.suptitle(f"Step time with {kinds} weight streaming\n"
                 f"(seq len {seq_len}; bar labels: ratio to {drams[0].upper()})")
    return fig


def _breakdown(records: list[dict[str, Any]]) -> Figure | None:
    seq_len, dram = _focus(records)
    rows = _pick(records, seq_len=seq_len, dram=dram)
    models, pipelines = _models(rows), _pipelines(rows)
    fig = new_figure(max(6.5, 4.2 * len(models)), 4.2)
    axes = fig.subplots(1, len(models), squeeze=False)[0]
    for ax, model in zip(axes, models, strict=True):
        bottoms = [0.0] * len(pipelines)
        values = {p: next(iter(_pick(rows, model=model, pipeline=p)), None) for p in pipelines}
        for key in BREAKDOWN_KEYS:
            heights = [v["breakdown_s"][key] * 1e3 if v else 0.0 for v in values.values()]
            if any(heights):
                ax.bar(range(len(pipelines)), heights, 0.6, bottom=bottoms, label=key.replace("_", "-"),
                       color=BREAKDOWN_COLORS[key])
                bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        ax.set_xticks(range(len(pipelines)), [LABELS.get(p, p) for p in pipelines], fontsize=8)
        ax.set_ylabel("step time (ms)")
        ax.set_title(model)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7, title="breakdown")
    fig.suptitle(f"Step-time breakdown per pipeline (seq len {seq_len}, {dram.upper()})")
    return fig
