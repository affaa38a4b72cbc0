"""Energy per training step of the paper's three models, against the paper's power figures, and how
the total moves when each energy parameter spans its literature range (docs/energy.md).

    python benchmarks/energy.py [--pipeline mozart-c] [--no-sized]

For each model: compile with the pipeline onto ``targets/wafer.toml`` (``--capacity warn``: Qwen3's
training state does not fit the paper's 48 GB), time one step, price it with the target's
``[energy]`` table; print joules per step by component, per token, average power (energy / step
time) next to the paper's kW (PAPER.md section 7), the difference in W and the ratio, the power while
the arrays compute (compute and SRAM energy over the breakdown's compute seconds, plus static power)
and the power with every PE busy every cycle (a peak figure). Then, unless ``--no-sized``, the same on the
per-model targets sized from the paper's areas. Then the SRAM bytes per step under both
``gemm_sram_reads`` models against what the SRAM can deliver in the step. Last, the sensitivity
table: total energy per step with each parameter at the low and high end of its range (the other
parameters at their shipped values; the timing does not change, only the prices).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from mozartc.driver import CompileOptions, compile_model
from mozartc.executor import execute
from mozartc.executor.energy import COMPONENTS, activity, price, tokens_per_step
from mozartc.executor.engine import Timeline
from mozartc.executor.report import breakdown
from mozartc.hw import load_target
from mozartc.hw.schema import EnergySpec

ROOT = Path(__file__).resolve().parents[1]
#: PAPER.md section 7: power per model, W
PAPER_W = {"qwen3-30b-a3b": 3340.0, "olmoe-1b-7b-0924": 3550.0, "deepseek-moe-16b-base": 3190.0}
#: (field, low, high): the literature ranges of docs/energy.md (the TOML comments give the same)
RANGES: tuple[tuple[str, Any, Any], ...] = (
    ("mac_pj", 0.58, 1.5),
    ("add_pj", 0.16, 0.4),
    ("sram_pj_per_bit", 0.10, 0.97),
    ("f2f_pj_per_bit", 0.01, 0.1),
    ("link_pj_per_bit", 0.25, 1.0),
    ("switch_pj_per_bit", 0.2, 1.0),
    ("chiplet_static_w_per_tile", 0.35, 1.42),
    ("switch_static_w", 0.5, 10.0),
    ("dram.hbm2.pj_per_bit", 1.6, 7.0),
    ("dram.hbm2.static_w", 0.5, 1.0),
    ("gemm_sram_reads", "once", "per-array"),
)


def timed(model: str, pipeline: str, target: Path) -> Timeline:
    result = compile_model(CompileOptions(model=model, pipeline=pipeline, target=str(target), capacity="warn",
                                          emit="isa"))
    assert result.output is not None and result.output.stream is not None
    return execute(result.output.stream, load_target(target))


def with_value(table: EnergySpec, field: str, value: Any) -> EnergySpec:
    """``table`` with one field (``dram.KIND.FIELD`` for a DRAM kind's) set to ``value``."""
    if field.startswith("dram."):
        _, kind, sub = field.split(".")
        dram = dict(table.dram)
        dram[kind] = dram[kind].model_copy(update={sub: value})
        return table.model_copy(update={"dram": dram})
    return table.model_copy(update={field: value})


def total(tl: Timeline, table: EnergySpec) -> float:
    return price(activity(tl, table.gemm_sram_reads), tl, table)["total"]


def power_rows(pipeline: str, targets: dict[str, Path]) -> dict[str, Timeline]:
    print(f"\n| model ({pipeline}) | target | step ms | J/step | " + " | ".join(COMPONENTS)
          + " | mJ/token | average W | paper W | W - paper | ratio | compute-phase W | peak W |")
    print("|---" * (11 + len(COMPONENTS)) + "|")
    out: dict[str, Timeline] = {}
    for model, path in targets.items():
        tl = timed(model, pipeline, path)
        table = tl.target.spec.energy
        assert table is not None
        joules = price(activity(tl, table.gemm_sram_reads), tl, table)
        tokens = tokens_per_step(tl.stream.attrs) or 0
        step = tl.step_time
        avg = joules["total"] / step
        static_w = joules["static"] / step
        pes = sum(c.pes for c in tl.target.chiplets)
        peak = pes * tl.target.clock_ghz * 1e9 * table.mac_pj * 1e-12 + static_w
        computing = breakdown(tl)["compute"]
        phase = (joules["compute"] + joules["sram"]) / computing + static_w if computing > 0 else static_w
        paper = PAPER_W[model]
        parts = " | ".join(f"{joules[c]:.2f}" for c in COMPONENTS)
        print(f"| {model} | {path.name} | {step * 1e3:.1f} | {joules['total']:.1f} | {parts} | "
              f"{joules['total'] / tokens * 1e3:.2f} | {avg:.0f} | {paper:.0f} | {avg - paper:+.0f} | "
              f"{avg / paper:.2f} | {phase:.0f} | {peak:.0f} |")
        out[model] = tl
    return out


def sensitivity(timelines: dict[str, Timeline]) -> None:
    models = list(timelines)
    print("\n| parameter | low .. high | " + " | ".join(f"{m} J/step (low .. high)" for m in models) + " |")
    print("|---" * (2 + len(models)) + "|")
    base = {m: total(tl, _table(tl)) for m, tl in timelines.items()}
    print("| (shipped values) | | " + " | ".join(f"{base[m]:.1f}" for m in models) + " |")
    for field, low, high in RANGES:
        cells = []
        for m, tl in timelines.items():
            lo, hi = (total(tl, with_value(_table(tl), field, v)) for v in (low, high))
            cells.append(f"{lo:.1f} .. {hi:.1f} ({(lo / base[m] - 1) * 100:+.0f}% .. {(hi / base[m] - 1) * 100:+.0f}%)")
        print(f"| {field} | {low} .. {high} | " + " | ".join(cells) + " |")
    cells = []
    for tl in timelines.values():
        lo = hi = _table(tl)
        for field, low, high in RANGES:
            lo, hi = with_value(lo, field, low), with_value(hi, field, high)
        a, b = total(tl, lo), total(tl, hi)
        cells.append(f"{a:.1f} .. {b:.1f} ({a / tl.step_time:.0f} .. {b / tl.step_time:.0f} W)")
    print("| every parameter at once | low .. high | " + " | ".join(cells) + " |")


def sram_check(timelines: dict[str, Timeline]) -> None:
    """SRAM bytes a step moves under each ``gemm_sram_reads`` model against what the tile SRAMs can
    deliver in the step (every tile's ``sram_bandwidth_gbps_per_tile`` x step time)."""
    print("\n| model | SRAM TB/step, once | per-array | SRAM can deliver in the step, TB |")
    print("|---|---|---|---|")
    for m, tl in timelines.items():
        deliver = sum(c.kind.tiles * c.sram_gbps_per_tile * 1e9 for c in tl.target.chiplets) * tl.step_time
        once, per_array = (activity(tl, reads).sram_bits / 8 for reads in ("once", "per-array"))
        print(f"| {m} | {once / 1e12:.2f} | {per_array / 1e12:.2f} | {deliver / 1e12:.2f} |")


def _table(tl: Timeline) -> EnergySpec:
    table = tl.target.spec.energy
    assert table is not None
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipeline", default="mozart-c")
    parser.add_argument("--no-sized", action="store_true", help="skip the per-model targets")
    args = parser.parse_args()
    began = time.perf_counter()
    wafer = {m: ROOT / "targets" / "wafer.toml" for m in PAPER_W}
    timelines = power_rows(args.pipeline, wafer)
    if not args.no_sized:
        power_rows(args.pipeline, {m: ROOT / "targets" / f"{m}.toml" for m in PAPER_W})
    sram_check(timelines)
    sensitivity(timelines)
    print(f"\nwall time {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
