"""The HTML report's figures: matplotlib drawn to SVG text that goes inline in the page.

Deterministic and self-contained: each figure is drawn on its own :class:`~matplotlib.figure.Figure`
(no pyplot state) under a fixed ``svg.hashsalt`` and with no date; text stays text
(``svg.fonttype = none``, set in DejaVu Sans, which the page names too); the ``<metadata>`` block
(creator, links) is dropped and every ``id`` gets the figure's prefix, so several SVGs in one page
never share an id. Colours: the Okabe-Ito palette, which readers with colour-vision deficiencies can
tell apart, one colour per breakdown kind on every figure; heatmaps use viridis.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from mozartc.reports.data import A2ATraffic, UtilisationGrid

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

#: Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision deficiencies
KIND_COLOURS: dict[str, str] = {
    "compute": "#0072B2", "all_to_all": "#D55E00", "dram_load": "#009E73", "dram_save": "#E69F00",
    "sync": "#CC79A7", "exposed": "#999999",
}
BAR = "#0072B2"
SECOND = "#E69F00"
#: figure widths in inches (SVG at 96 px/in): full width for the heatmap; narrower ones leave room for a table
WIDTH_IN = 9.0
NARROW_IN = 7.2
_REF = re.compile(r"url\(#([^)]+)\)")


def _style(salt: str | None = None) -> AbstractContextManager[None]:
    """The figures' matplotlib settings (a context: no global state changes); ``salt`` fixes SVG ids."""
    return mpl.rc_context({"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9.0,
                           "axes.titlesize": 10.0, "svg.image_inline": True, "svg.hashsalt": salt})


def time_unit(seconds: float) -> tuple[str, float]:
    """The unit to draw ``seconds``-long axes in, and its scale: ``("ms", 1e-3)``."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return unit, scale
    return "ns", 1e-9


def to_svg(fig: Figure, prefix: str) -> str:
    """``fig`` as an ``<svg>`` element: stable bytes, ids prefixed with ``prefix``, no metadata."""
    buf = io.StringIO()
    with _style(prefix):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    root = ET.fromstring(buf.getvalue())
    for parent in root.iter():
        for child in list(parent):
            if child.tag == f"{{{SVG_NS}}}metadata":
                parent.remove(child)
    href = f"{{{XLINK_NS}}}href"
    for el in root.iter():
        if "id" in el.attrib:
            el.attrib["id"] = f"{prefix}-{el.attrib['id']}"
        for key, value in el.attrib.items():
            if key in (href, "href") and value.startswith("#"):
                el.attrib[key] = f"#{prefix}-{value[1:]}"
            elif "url(#" in value:
                el.attrib[key] = _REF.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value)
    root.attrib["class"] = "figure"
    return ET.tostring(root, encoding="unicode")


def _figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    with _style():
        return Figure(figsize=(width_in, height_in), layout="constrained")


def stacked_bar(parts: Mapping[str, float], prefix: str, fmt: Callable[[float], str]) -> str:
    """One horizontal bar split into ``parts`` (seconds per kind); the legend gives each non-zero part's value."""
    total = sum(parts.values())
    unit, scale = time_unit(total)
    shown = {k: v for k, v in parts.items() if v > 0}
    fig = _figure(1.45, NARROW_IN)
    with _style():
        ax = fig.add_subplot()
        left = 0.0
        for kind, value in shown.items():
            ax.barh([0], [value / scale], left=left / scale, color=KIND_COLOURS.get(kind, BAR),
                    label=f"{kind} {fmt(value)} ({value / total:.0%})", height=0.6)
            left += value
        ax.set_xlim(0, max(total / scale, 1e-12))
        ax.set_yticks([])
        ax.set_xlabel(f"time ({unit})")
        ax.spines[["top", "right", "left"]].set_visible(False)
        if shown:
            fig.legend(loc="outside lower center", ncol=min(len(shown), 3), frameon=False)
    return to_svg(fig, prefix)


def bounds_chart(bounds: Mapping[str, float], step: float, prefix: str) -> str:
    """Each lower bound as a bar, largest first, against a dashed line at the step time."""
    unit, scale = time_unit(step)
    names = sorted(bounds, key=lambda k: (-bounds[k], k))
    values = [bounds[n] / scale for n in names]
    fig = _figure(0.45 * len(names) + 0.9, NARROW_IN)
    with _style():
        ax = fig.add_subplot()
        y = np.arange(len(names))
        ax.barh(y, values, color=BAR, height=0.6)
        ax.axvline(step / scale, color=KIND_COLOURS["all_to_all"], linestyle="--", linewidth=1.5,
                   label=f"step time {step / scale:.4g} {unit}")
        for k, v in enumerate(values):
            ratio = f"step/bound {step / bounds[names[k]]:.3f}" if bounds[names[k]] > 0 else "bound 0"
            ax.text(v, k, f" {v:.4g} {unit} ({ratio})", va="center", fontsize=8)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlim(0, step / scale * 1.45)
        ax.set_xlabel(f"lower bound ({unit})")
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="lower right", frameon=False)
    return to_svg(fig, prefix)


def utilisation_heatmap(grid: UtilisationGrid, prefix: str) -> str:
    """Resources (rows, grouped by kind) x time bins, colour = share of capacity (or time) in use."""
    rows = len(grid.rows)
    step = float(grid.edges_s[-1])
    unit, scale = time_unit(step)
    fig = _figure(0.125 * rows + 1.1)
    with _style():
        ax = fig.add_subplot()
        image = ax.imshow(grid.share, aspect="auto", interpolation="none", cmap="viridis", vmin=0.0, vmax=1.0,
                          extent=(0.0, step / scale, rows, 0.0))
        ax.set_yticks(np.arange(rows) + 0.5, grid.rows, fontsize=6.5)
        kinds = [name.split(":", 1)[0] for name in grid.rows]
        for r in range(1, rows):
            if kinds[r] != kinds[r - 1]:
                ax.axhline(r, color="white", linewidth=1.2)
        ax.set_xlabel(f"time ({unit}); {grid.share.shape[1]} bins of {step / grid.share.shape[1] / scale:.3g} {unit}")
        bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
        bar.set_label("share of capacity in use\n(compute arrays: share of time busy)")
    return to_svg(fig, prefix)


#: the traffic matrix labels each cell with its MB up to this many endpoints (beyond, cells get too small)
LABELLED_ENDPOINTS = 20


def traffic_heatmap(traffic: A2ATraffic, prefix: str) -> str:
    """Source x destination all-to-all bytes (MB); each non-zero cell labelled when the matrix is small."""
    names = traffic.endpoints
    n = len(names)
    mb = traffic.bytes / 1e6
    side = min(8.0, max(3.2, 0.32 * n + 1.6))
    fig = _figure(side, min(WIDTH_IN, side + 1.8))
    labels = 6.0 if n > 12 else 8.0
    ticks = min(labels + 1, max(4.5, 330.0 / max(n, 1)))
    with _style():
        ax = fig.add_subplot()
        top = float(mb.max()) if mb.size else 0.0
        image = ax.imshow(np.where(mb > 0, mb, np.nan), cmap="viridis", vmin=0.0, vmax=max(top, 1e-9),
                          interpolation="none")
        if n <= LABELLED_ENDPOINTS:
            for (i, j), value in np.ndenumerate(mb):
                if value > 0:
                    ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=labels,
                            color="white" if value < 0.6 * top else "black")
        ax.set_xticks(range(n), names, rotation=90, fontsize=ticks)
        ax.set_yticks(range(n), names, fontsize=ticks)
        ax.set_xlabel("destination")
        ax.set_ylabel("source")
        ax.set_facecolor("#f2f2f2")
        bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        bar.set_label("MB per step (blank: none)")
    return to_svg(fig, prefix)


def hbars(names: Sequence[str], values: Sequence[float], labels: Sequence[str], xlabel: str, prefix: str,
          xmax: float | None = None, width_in: float = 6.5) -> str:
    """Horizontal bars, one per name, each labelled with its text at its end."""
    fig = _figure(0.24 * len(names) + 0.9, width_in)
    with _style():
        ax = fig.add_subplot()
        y = np.arange(len(names))
        ax.barh(y, values, color=BAR, height=0.65)
        for k, (v, text) in enumerate(zip(values, labels, strict=True)):
            ax.text(v, k, f" {text}", va="center", fontsize=7.5)
        ax.set_yticks(y, names, fontsize=8)
        ax.invert_yaxis()
        top = max([*values, 0.0])
        ax.set_xlim(0, xmax if xmax is not None else (top * 1.3 if top > 0 else 1.0))
        ax.set_xlabel(xlabel)
        ax.spines[["top", "right"]].set_visible(False)
    return to_svg(fig, prefix)


def paired_hbars(names: Sequence[str], first: Sequence[float], second: Sequence[float],
                 legend: tuple[str, str], xlabel: str, prefix: str) -> str:
    """Two bars per name (e.g. bytes read and written), with a legend."""
    fig = _figure(0.42 * len(names) + 1.0)
    with _style():
        ax = fig.add_subplot()
        y = np.arange(len(names))
        ax.barh(y - 0.19, first, height=0.36, color=BAR, label=legend[0])
        ax.barh(y + 0.19, second, height=0.36, color=SECOND, label=legend[1])
        for k in range(len(names)):
            ax.text(first[k], k - 0.19, f" {first[k]:.3g}", va="center", fontsize=7.5)
            ax.text(second[k], k + 0.19, f" {second[k]:.3g}", va="center", fontsize=7.5)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlim(0, max([*first, *second, 1e-9]) * 1.2)
        ax.set_xlabel(xlabel)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="lower right", frameon=False)
    return to_svg(fig, prefix)
