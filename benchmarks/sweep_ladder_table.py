"""Ladder table of a sweep whose ``pipeline`` axis is the ablation ladder: step times in ms and normalised.

Reads ``DIR/results.csv`` written by ``mozartc sweep`` (for example
``examples/sweeps/sensitivity.toml``), groups the rows by every parameter except ``pipeline``, and
prints one markdown row per group: the parameters, the step time of every rung in ms, Mozart-A/B/C
normalised to the baseline of the same group, whether baseline > A > B > C holds, and Mozart-C's
busiest resource. Nothing is compared with or ranked against Table 4.

    mozartc sweep examples/sweeps/sensitivity.toml --out sweeps/sensitivity
    python benchmarks/sweep_ladder_table.py sweeps/sensitivity

Deterministic: the rows keep the sweep's plan order (first axis slowest).
"""

from __future__ import annotations

import argparse
import csv
import sys
from itertools import pairwise
from pathlib import Path

from mozartc.experiments.paper import LADDER

#: CSV columns that are results, not parameters of a point
RESULT_COLUMNS = {"point_id", "pipeline", "status", "step_time_s", "C_T", "layout_C_T", "lower_bound_s",
                  "lower_bound_from", "target_name", "capacity_warning", "error"}
#: parameters that are the same in every row of a sensitivity sweep and only clutter the table
QUIET = {"micro_batch", "micro_batches", "target"}


def ladder_rows(rows: list[dict[str, str]]) -> tuple[list[str], list[list[str]]]:
    """(header, table rows): one table row per group of points that differ only in ``pipeline``."""
    params = [c for c in rows[0] if c not in RESULT_COLUMNS and not c.startswith("breakdown_")]
    shown = [c for c in params if (c not in QUIET and len({r[c] for r in rows}) > 1) or c == "model"]
    groups: dict[tuple[str, ...], dict[str, dict[str, str]]] = {}
    for r in rows:
        groups.setdefault(tuple(r[c] for c in params), {})[r["pipeline"]] = r
    header = [*shown, "baseline ms", "A ms", "B ms", "C ms", "A", "B", "C", "ordered", "C bound"]
    out: list[list[str]] = []
    for key, rungs in groups.items():
        values = dict(zip(params, key, strict=True))
        cells = [values[c] for c in shown]
        if set(rungs) != set(LADDER):
            out.append([*cells, f"pipelines {sorted(rungs)} are not the ladder", *[""] * 8])
            continue
        failed = next((rungs[p] for p in LADDER if rungs[p]["status"] != "ok"), None)
        if failed is not None:
            out.append([*cells, f"{failed['pipeline']} failed: {failed['error']}", *[""] * 8])
            continue
        steps = [float(rungs[p]["step_time_s"]) for p in LADDER]
        norm = [s / steps[0] for s in steps]
        ordered = all(a > b for a, b in pairwise(steps))
        bound = rungs["mozart-c"]["lower_bound_from"].split(":")[0:2]
        out.append([*cells, *(f"{s * 1e3:.1f}" for s in steps), *(f"{n:.3f}" for n in norm[1:]),
                    "yes" if ordered else "**NO**", ":".join(bound)])
    return header, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep_dir", type=Path, help="output folder of mozartc sweep (holds results.csv)")
    args = ap.parse_args(argv)
    path = args.sweep_dir / "results.csv"
    if not path.is_file():
        print(f"{path}: not found (run mozartc sweep first)", file=sys.stderr)
        return 2
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        print(f"{path}: no rows", file=sys.stderr)
        return 2
    header, table = ladder_rows(rows)
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in table:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
