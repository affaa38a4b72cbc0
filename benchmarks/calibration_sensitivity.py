"""How the ablation ladder moves with every value the paper leaves open: one factor at a time, in ms.

Around the shipped point (the per-model target, sequence length 256, 4 micro-batches of 8, the
presets' pipelines, default executor options), each factor takes the values its sources span
(docs/calibration.md says where each comes from). For every setting the script runs baseline,
Mozart-A, B, C and the beyond-paper Mozart-C+mc, and prints their step times in milliseconds, the
rungs normalised to that setting's baseline, the C_T of B and C, and where Mozart-C's time goes (its
critical path by kind) with its busiest resource. Nothing is ranked or fitted against Table 4: the
paper's row is printed for reference only.

Usage::

    python benchmarks/calibration_sensitivity.py                       # every factor on OLMoE, the
                                                                       # main ones on all three models
    python benchmarks/calibration_sensitivity.py --models olmoe-1b-7b-0924 --jobs 2
    python benchmarks/calibration_sensitivity.py --json out.json       # also every record as JSON

Each run is ``compile_model(CompileOptions(model, pipeline, target=<temp copy of the shipped target
with the overrides>, capacity="warn", run=True, ...))``. Deterministic: synthetic traces with seed 0,
CP-SAT with a deterministic time limit, the executor breaks ties by index; wall times go to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from mozartc.analysis.traffic import copies_per_token
from mozartc.driver import CompileOptions, compile_model
from mozartc.errors import MozartError
from mozartc.executor.engine import execute
from mozartc.executor.report import make_report
from mozartc.executor.workload import ExecOptions
from mozartc.experiments.paper import TABLE4
from mozartc.experiments.tomlw import dumps as toml_dumps
from mozartc.hw import load_target
from mozartc.ir import Module
from mozartc.passes.presets import PIPELINE_PRESETS

TARGET_DIR = Path(__file__).resolve().parent.parent / "mozartc" / "hw" / "targets"
RUNGS = ("baseline", "mozart-a", "mozart-b", "mozart-c", "mozart-c+mc")
KINDS = ("compute", "all_to_all", "dram_load", "dram_save")
MODELS = ("olmoe-1b-7b-0924", "deepseek-moe-16b-base", "qwen3-30b-a3b")
#: factors run on every model (the rest on the first model only)
MAIN_FACTORS = ("links.bump_rows", "stream-schedule reload", "expert activation saves")


@dataclass(frozen=True)
class Setting:
    """One point: target-field overrides, pass options, optimizer and executor options."""

    target: tuple[tuple[str, Any], ...] = ()   # (dotted key path, value); "chiplet_kinds.*.x" = every kind
    reload: str = "per-step"                   # stream-schedule{reload}
    act_tensors: int = 4                       # stream-schedule{act-tensors}
    expert_saves: bool = True                  # stream-schedule{expert-saves}
    expert_act_tensors: int = 2                # stream-schedule{expert-act-tensors}
    recompute: bool = False                    # stream-schedule{recompute}
    synth_preset: str = "mixed-text"           # expert-cluster{synth-preset}
    optimizer: str = "sgd"                     # CompileOptions.optimizer
    gemm_sram_bound: bool = False              # ExecOptions

    def with_target(self, key: str, value: Any) -> Setting:
        kept = tuple((k, v) for k, v in self.target if k != key)
        return replace(self, target=(*kept, (key, value)))


def pipeline_for(rung: str, s: Setting) -> str:
    """The preset's pipeline with this setting's pass options spliced in."""
    text = PIPELINE_PRESETS[rung]
    text = re.sub(r"stream-schedule\{([^}]*)\}",
                  lambda m: f"stream-schedule{{{m.group(1)},reload={s.reload},act-tensors={s.act_tensors},"
                            f"expert-saves={str(s.expert_saves).lower()},expert-act-tensors={s.expert_act_tensors},"
                            f"recompute={str(s.recompute).lower()}}}", text)
    if s.synth_preset != "mixed-text":
        text = re.sub(r"expert-cluster\{([^}]*)\}",
                      lambda m: f"expert-cluster{{{m.group(1)},synth-preset={s.synth_preset}}}", text)
    return text


def target_text(model: str, overrides: tuple[tuple[str, Any], ...]) -> str:
    """TOML text of the shipped target of ``model`` with ``overrides`` applied."""
    data = tomllib.loads((TARGET_DIR / f"{model}.toml").read_text(encoding="utf-8"))
    for key, value in overrides:
        parts = key.split(".")
        if parts[0] == "chiplet_kinds" and parts[1] == "*":
            tables = list(data["chiplet_kinds"].values())
            parts = parts[2:]
        elif parts[0] == "dram_kinds" and parts[1] == "*":
            tables = list(data["dram_kinds"].values())
            parts = parts[2:]
        else:
            tables = [data]
        for table in tables:
            for p in parts[:-1]:
                table = table[p]
            if parts[-1] not in table:
                raise KeyError(f"{model}: no target field {key}")
            table[parts[-1]] = value
    return toml_dumps(data)


def edge_gbps(model: str) -> float:
    """Per-direction bandwidth of the model's expert edge on its shipped target (one switch port)."""
    target = load_target(TARGET_DIR / f"{model}.toml")
    return target.edge_bandwidth_gbps(target.expert_chiplets[0])


def factors(model: str) -> list[tuple[str, str, list[tuple[str, Setting]]]]:
    """(factor, what varies and the shipped value, [(value label, setting)]) around the shipped point."""
    b = Setting()
    port = edge_gbps(model)
    shipped_switch = tomllib.loads((TARGET_DIR / f"{model}.toml").read_text())["switch"]["bandwidth_gbps"]
    return [
        ("links.bump_rows", "rows of 2.5D signal bumps per edge (shipped 8: BoW; AIB 1.0 ~7, UCIe-A ~15, AIB max ~28)",
         [(str(v), b.with_target("links.bump_rows", v)) for v in (1, 2, 4, 8, 15, 28)]),
        ("stream-schedule reload", "weights loaded once per block and phase (shipped) or once per micro-batch",
         [(v, replace(b, reload=v)) for v in ("per-step", "per-micro-batch")]),
        ("expert activation saves", "what expert chiplets save to their group's DRAM for backward (shipped: "
         "their copies + 2 FFN tensors per pair)",
         [("copies + 2 FFN tensors", b), ("copies + 3 FFN tensors", replace(b, expert_act_tensors=3)),
          ("copies only", replace(b, expert_act_tensors=0)), ("nothing (kept on chip)", replace(b, expert_saves=False)),
          ("recompute (copies only)", replace(b, recompute=True))]),
        ("switch.bandwidth_gbps", f"crossbar capacity (shipped {shipped_switch:g}: non-blocking; one port is {port:g})",
         [(f"{v:g}", b.with_target("switch.bandwidth_gbps", float(v))) for v in (port, 2 * port, shipped_switch)]),
        ("switch.reduction_gbps", f"adder tree input rate (shipped line rate {4 * port:g}; affects C+mc only)",
         [(f"{v:g}", b.with_target("switch.reduction_gbps", float(v))) for v in (port, 4 * port)]),
        ("stream-schedule act-tensors", "hidden-size tensors the attention chiplet saves per layer (shipped 4)",
         [(str(v), replace(b, act_tensors=v)) for v in (1, 4, 8)]),
        ("links.latency_ns", "one die-to-die hop (shipped 5: BoW; UCIe 2, BoW with FEC 15)",
         [(str(v), b.with_target("links.latency_ns", float(v))) for v in (2, 5, 15)]),
        ("switch.latency_ns", "router pipeline (shipped 4 cycles; 1-4 in silicon, 10 with an adder tree)",
         [(str(v), b.with_target("switch.latency_ns", float(v))) for v in (2, 4, 10)]),
        ("HBM2 latency_ns", "stack access latency (shipped 100; device 16-44, GPU end to end ~260)",
         [(str(v), b.with_target("dram_kinds.*.latency_ns", float(v))) for v in (50, 100, 250)]),
        ("chiplet_kinds.*.tiles", "tiles per chiplet, paper range 36..100 (shipped from the paper's area)",
         [(str(v), b.with_target("chiplet_kinds.*.tiles", v)) for v in (36, 72, 100)]),
        ("chiplet_kinds.*.array_rows/cols", "systolic array, paper range 16x16..24x24 (shipped 24x24)",
         [("16x16", b.with_target("chiplet_kinds.*.array_rows", 16).with_target("chiplet_kinds.*.array_cols", 16)),
          ("24x24", b)]),
        ("optimizer", "optimizer state and update FLOPs (shipped sgd; the paper names none)",
         [(v, replace(b, optimizer=v)) for v in ("sgd", "adam")]),
        ("expert-cluster synth-preset", "synthetic routing trace (shipped mixed-text)",
         [(v, replace(b, synth_preset=v)) for v in ("mixed-text", "paper")]),
        ("ExecOptions.gemm_sram_bound", "GEMMs also limited by 32 GB/s of SRAM per tile (shipped off)",
         [(str(v).lower(), replace(b, gemm_sram_bound=v)) for v in (False, True)]),
    ]


def run_ladder(task: tuple[str, str, str, Setting, str]) -> dict[str, Any]:
    """Every rung of ``RUNGS`` for one (model, setting): step times, C_T, C's critical path and bound."""
    model, factor, value, s, tmp = task
    text = target_text(model, s.target)
    path = Path(tmp) / f"{model}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.toml"
    path.write_text(text, encoding="utf-8")
    rec: dict[str, Any] = {"model": model, "factor": factor, "value": value, "params": _params(s)}
    for rung in RUNGS:
        opts = CompileOptions(model=model, pipeline=pipeline_for(rung, s), target=str(path), emit="isa",
                              capacity="warn", optimizer=s.optimizer)
        try:
            res = compile_model(opts)
        except MozartError as err:
            rec["error"] = f"{rung}: {str(err).splitlines()[0]}"
            return rec
        assert res.output is not None and res.output.stream is not None
        timeline = execute(res.output.stream, load_target(path), ExecOptions(gemm_sram_bound=s.gemm_sram_bound))
        report = make_report(timeline)
        rec[rung] = {"step_ms": report["step_time_s"] * 1e3, "C_T": _sent(res.module),
                     "path_ms": {k: report["critical_path_s"][k] * 1e3 for k in KINDS},
                     "bound": ":".join(str(report["lower_bound_from"]).split(":")[:2]),
                     "step_over_bound": report["step_over_bound"]}
    return rec


def _sent(module: Module) -> float | None:
    """Copies of a token the dispatch sends (Table 4's C_T)."""
    copies = copies_per_token(module)
    return copies.sent if copies is not None else None


def _params(s: Setting) -> dict[str, Any]:
    d = asdict(s)
    d["target"] = {k: v for k, v in s.target}
    return d


HEADER = ("| value | baseline ms | A ms | B ms | C ms | C+mc ms | A | B | C | C+mc | B C_T | C C_T "
          "| C path: compute / a2a / load / save ms | C bound (step/bound) |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def fmt_row(rec: dict[str, Any]) -> str:
    if "error" in rec:
        return f"| {rec['value']} | FAILED: {rec['error']} |" + " |" * 12
    base = rec["baseline"]["step_ms"]
    ms = " | ".join(f"{rec[r]['step_ms']:.2f}" for r in RUNGS)
    norm = " | ".join(f"{rec[r]['step_ms'] / base:.3f}" for r in RUNGS[1:])
    c = rec["mozart-c"]
    path = " / ".join(f"{c['path_ms'][k]:.1f}" for k in KINDS)
    return (f"| {rec['value']} | {ms} | {norm} | {rec['mozart-b']['C_T']:.2f} | {c['C_T']:.2f} | {path} | "
            f"{c['bound']} ({c['step_over_bound']:.2f}) |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS), help="models (the first gets every factor)")
    ap.add_argument("--jobs", type=int, default=2, help="processes")
    ap.add_argument("--json", help="write every record to this file")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mozartc-calib-") as tmp:
        tasks = []
        for i, model in enumerate(args.models):
            for factor, _, points in factors(model):
                if i == 0 or factor in MAIN_FACTORS:
                    tasks += [(model, factor, value, s, tmp) for value, s in points]
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
            records = []
            for rec in pool.map(run_ladder, tasks):
                records.append(rec)
                print(f"[{time.perf_counter() - t0:6.1f}s] {rec['model']} {rec['factor']} = {rec['value']}",
                      file=sys.stderr, flush=True)
    print("# Sensitivity of the ladder to the values the paper leaves open (seq 256, HBM2, 4 x 8 sequences, "
          "synthetic trace seed 0)\n")
    for model in args.models:
        paper = TABLE4.get(model, {})
        print(f"## {model}\n")
        if paper:
            print("Paper, Table 4 (for reference, not fitted): " + ", ".join(
                f"{p.replace('mozart-', '').upper()} {c.latency} (C_T {c.c_t})" for p, c in paper.items()) + "\n")
        for factor, what, _ in factors(model):
            rows = [r for r in records if r["model"] == model and r["factor"] == factor]
            if not rows:
                continue
            print(f"### {factor}: {what}\n\n{HEADER}")
            for rec in rows:
                print(fmt_row(rec))
            print()
    print(f"{len(tasks)} settings x {len(RUNGS)} rungs.", file=sys.stderr)
    print(f"total wall time {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
