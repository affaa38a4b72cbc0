"""Checks of reproduction records against the paper: Table 4 cells and the ladder ordering."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from mozartc.experiments.paper import C_T_TOLERANCE, LADDER, LATENCY_TOLERANCE, TABLE4, TABLE4_DRAM, TABLE4_SEQ_LEN


@dataclass(frozen=True)
class Table4Cell:
    """One (model, rung) row of Table 4 next to mozartc's numbers; ``*_miss`` when outside tolerance."""

    model: str
    pipeline: str
    latency: float
    paper_latency: float
    c_t: float
    paper_c_t: float
    #: the run's lower bound over the baseline's step time: no schedule of this run's work on this
    #: target is faster (None when unknown)
    bound: float | None = None

    @property
    def paper_below_bound(self) -> bool:
        """The paper's latency is under this run's lower bound: out of reach without moving less data."""
        return self.bound is not None and self.paper_latency < self.bound

    @property
    def latency_diff(self) -> float:
        return self.latency - self.paper_latency

    @property
    def c_t_diff(self) -> float:
        return self.c_t - self.paper_c_t

    @property
    def latency_miss(self) -> bool:
        return abs(self.latency_diff) > LATENCY_TOLERANCE

    @property
    def c_t_miss(self) -> bool:
        return abs(self.c_t_diff) > C_T_TOLERANCE


@dataclass(frozen=True)
class OrderingCheck:
    """Step times of the ladder for one (model, length, DRAM); ``ok`` when strictly decreasing."""

    model: str
    seq_len: int
    dram: str
    steps: tuple[tuple[str, float], ...]

    @property
    def ok(self) -> bool:
        times = [t for _, t in self.steps]
        return len(times) == len(LADDER) and all(a > b for a, b in pairwise(times))


def table4_cells(records: list[dict[str, Any]]) -> list[Table4Cell]:
    """The Table 4 cells the records cover (sequence length 256, HBM2, paper models), in paper order."""
    def run(model: str, pipeline: str) -> dict[str, Any] | None:
        return next((r for r in records if r["model"] == model and r["pipeline"] == pipeline
                     and r["seq_len"] == TABLE4_SEQ_LEN and r["dram"] == TABLE4_DRAM), None)

    cells: list[Table4Cell] = []
    for model, rungs in TABLE4.items():
        base = run(model, LADDER[0])
        for pipeline, paper in rungs.items():
            r = run(model, pipeline)
            if r is not None and r["normalized_latency"] is not None:
                bound = (r["lower_bound_s"] / base["step_time_s"]
                         if base is not None and base["step_time_s"] and r["lower_bound_s"] else None)
                cells.append(Table4Cell(model, pipeline, r["normalized_latency"], paper.latency, r["C_T"], paper.c_t,
                                        bound))
    return cells


def ordering_checks(records: list[dict[str, Any]]) -> list[OrderingCheck]:
    """One check per (model, length, DRAM) group of the records, in record order."""
    groups: dict[tuple[str, int, str], dict[str, float]] = {}
    for r in records:
        steps = groups.setdefault((r["model"], r["seq_len"], r["dram"]), {})
        if r["step_time_s"] is not None:
            steps[r["pipeline"]] = r["step_time_s"]
    return [OrderingCheck(model, seq_len, dram, tuple((p, steps[p]) for p in LADDER if p in steps))
            for (model, seq_len, dram), steps in groups.items()]
