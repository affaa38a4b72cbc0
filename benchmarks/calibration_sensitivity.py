"""Sensitivity of the paper's Table 4 (normalised latency of Mozart-A/B/C) to the values the paper leaves open.

One factor at a time around a base point (the shipped ``targets/olmoe-1b-7b-0924.toml``, sequence
length 256, 4 micro-batches of 8, the presets' pipelines, the executor's default ``ExecOptions``),
then a joint grid over (bump_rows x reload x switch_exclusive x all-to-all mode x expert saves)
ranked by the L1 distance of (A, B, C) to the paper's row, then the best settings on the other two
paper models. The base point is what ships (``Setting()`` mirrors the pass defaults).

Every run is ``compile_model(CompileOptions(model, pipeline, target=<temp copy of a shipped target
with the overrides>, emit="isa", capacity="warn"))`` followed by ``execute(stream, target,
ExecOptions(...))`` and ``make_report``. Normalised latency = step time / the baseline's step time
under the same setting (same target, same schedule options, same executor options; the a2a-dedup
``switch-multicast``/``switch-reduce`` options only exist on mozart-b and mozart-c).

Usage::

    python benchmarks/calibration_sensitivity.py                 # everything, markdown on stdout
    python benchmarks/calibration_sensitivity.py --only ladders  # one-factor ladders only
    python benchmarks/calibration_sensitivity.py --json out.json # also every record as JSON

Deterministic: synthetic traces with seed 0, CP-SAT with a deterministic time limit and one worker,
the executor breaks ties by index; no wall times in stdout (progress and times go to stderr).
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
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from mozartc.driver import CompileOptions, compile_model
from mozartc.errors import MozartError
from mozartc.executor.engine import execute
from mozartc.executor.report import make_report
from mozartc.executor.workload import ExecOptions
from mozartc.experiments.runner import dispatch_copies_per_token
from mozartc.experiments.tomlw import dumps as toml_dumps
from mozartc.hw import load_target
from mozartc.passes.presets import PIPELINE_PRESETS

TARGET_DIR = Path(__file__).resolve().parent.parent / "mozartc" / "hw" / "targets"
RUNGS = ("baseline", "mozart-a", "mozart-b", "mozart-c")
BREAKDOWN = ("compute", "all_to_all", "dram_load", "dram_save", "sync", "exposed")

#: PAPER.md section 9, Table 4 (seq 256, HBM2): normalised latency A, B, C and C_T of B, C
PAPER: dict[str, dict[str, float]] = {
    "qwen3-30b-a3b": {"mozart-a": 0.73, "mozart-b": 0.59, "mozart-c": 0.52, "CT_b": 6.58, "CT_c": 5.77},
    "olmoe-1b-7b-0924": {"mozart-a": 0.63, "mozart-b": 0.48, "mozart-c": 0.422, "CT_b": 6.84, "CT_c": 5.63},
    "deepseek-moe-16b-base": {"mozart-a": 0.67, "mozart-b": 0.56, "mozart-c": 0.46, "CT_b": 5.56, "CT_c": 4.32},
}
BASE_MODEL = "olmoe-1b-7b-0924"
#: all-to-all modes of a2a-dedup: (switch-multicast, switch-reduce)
A2A_MODES = {"direct": (False, False), "reduce": (False, True), "multicast": (True, True)}
#: the rungs that run a2a-dedup (the only ones the all-to-all mode applies to)
DEDUP_RUNGS = ("mozart-b", "mozart-c")


@dataclass(frozen=True)
class Setting:
    """One point: target-field overrides, schedule/pass options, optimizer and executor options."""

    target: tuple[tuple[str, Any], ...] = ()   # (dotted key path, value); "chiplet_kinds.*.x" = every kind
    reload: str = "per-step"                   # stream-schedule{reload}
    act_tensors: int = 4                       # stream-schedule{act-tensors}
    expert_saves: bool = True                  # stream-schedule{expert-saves}
    a2a: str = "multicast"                     # a2a-dedup (mozart-b, mozart-c only): A2A_MODES
    synth_preset: str = "mixed-text"           # expert-cluster{synth-preset}
    optimizer: str = "sgd"                     # CompileOptions.optimizer
    switch_exclusive: bool = False             # ExecOptions (the targets' switch.blocking)
    gemm_sram_bound: bool = False              # ExecOptions
    compute_efficiency: float = 1.0            # ExecOptions

    def with_target(self, key: str, value: Any) -> Setting:
        kept = tuple((k, v) for k, v in self.target if k != key)
        return replace(self, target=(*kept, (key, value)))

    def compile_key(self, rung: str) -> tuple[Any, ...]:
        a2a = self.a2a if rung in DEDUP_RUNGS else ""
        return (self.target, self.reload, self.act_tensors, self.expert_saves, a2a, self.synth_preset, self.optimizer)

    def exec_options(self) -> ExecOptions:
        return ExecOptions(compute_efficiency=self.compute_efficiency, gemm_sram_bound=self.gemm_sram_bound,
                           switch_exclusive=self.switch_exclusive)

    def label(self) -> str:
        base = Setting()
        parts = [f"{k}={v}" for k, v in self.target]
        for name in ("reload", "act_tensors", "expert_saves", "a2a", "synth_preset", "optimizer",
                     "switch_exclusive", "gemm_sram_bound", "compute_efficiency"):
            if getattr(self, name) != getattr(base, name):
                parts.append(f"{name}={getattr(self, name)}")
        return ", ".join(parts) or "base (shipped)"


def pipeline_for(rung: str, s: Setting) -> str:
    """The preset's pipeline with this setting's pass options spliced in."""
    text = PIPELINE_PRESETS[rung]
    text = re.sub(r"stream-schedule\{([^}]*)\}",
                  lambda m: f"stream-schedule{{{m.group(1)},reload={s.reload},act-tensors={s.act_tensors},"
                            f"expert-saves={str(s.expert_saves).lower()}}}", text)
    if s.synth_preset != "mixed-text":
        text = re.sub(r"expert-cluster\{([^}]*)\}",
                      lambda m: f"expert-cluster{{{m.group(1)},synth-preset={s.synth_preset}}}", text)
    if rung in DEDUP_RUNGS:
        multicast, reduce = A2A_MODES[s.a2a]
        text = re.sub(r"a2a-dedup(?=,|$)", f"a2a-dedup{{switch-multicast={str(multicast).lower()},"
                                          f"switch-reduce={str(reduce).lower()}}}", text)
    return text


def target_text(model: str, overrides: tuple[tuple[str, Any], ...]) -> str:
    """TOML text of the shipped target of ``model`` with ``overrides`` applied."""
    data = tomllib.loads((TARGET_DIR / f"{model}.toml").read_text(encoding="utf-8"))
    for key, value in overrides:
        parts = key.split(".")
        if parts[0] == "chiplet_kinds" and parts[1] == "*":
            tables = list(data["chiplet_kinds"].values())
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


class Runner:
    """Compiles each (model, rung, compile key) once and executes it per executor option set."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.streams: dict[tuple[Any, ...], tuple[Any, str, float | None] | str] = {}
        self.reports: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.compiles = 0

    def _target_path(self, model: str, s: Setting) -> str:
        text = target_text(model, s.target)
        path = self.tmp / f"{model}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.toml"
        if not path.exists():
            path.write_text(text, encoding="utf-8")
        return str(path)

    def run(self, model: str, rung: str, s: Setting) -> dict[str, Any]:
        ckey = (model, rung, s.compile_key(rung))
        key = (*ckey, s.exec_options())
        if key in self.reports:
            return self.reports[key]
        if ckey not in self.streams:
            path = self._target_path(model, s)
            opts = CompileOptions(model=model, pipeline=pipeline_for(rung, s), target=path, emit="isa",
                                  capacity="warn", optimizer=s.optimizer)
            try:
                res = compile_model(opts)
                assert res.output is not None and res.output.stream is not None
                self.streams[ckey] = (res.output.stream, path, dispatch_copies_per_token(res.module))
            except MozartError as err:
                self.streams[ckey] = str(err).splitlines()[0]
            self.compiles += 1
        entry = self.streams[ckey]
        if isinstance(entry, str):
            out: dict[str, Any] = {"error": entry}
        else:
            stream, path, ct = entry
            rep = make_report(execute(stream, load_target(path), s.exec_options()))
            out = {"step_time_s": float(rep["step_time_s"]),
                   "breakdown_s": {k: float(rep["breakdown_s"].get(k, 0.0)) for k in BREAKDOWN},
                   "lower_bound_from": str(rep["lower_bound_from"]).split(": ")[0],
                   "lower_bound_s": float(rep["lower_bound_s"]), "C_T": ct}
        self.reports[key] = out
        return out

    def ladder(self, model: str, s: Setting) -> dict[str, Any]:
        """The four rungs under ``s``: normalised latencies, C_T, mozart-c's breakdown."""
        runs = {r: self.run(model, r, s) for r in RUNGS}
        rec: dict[str, Any] = {"model": model, "setting": s.label(), "params": _params(s)}
        err = next((v["error"] for v in runs.values() if "error" in v), None)
        if err is not None:
            rec["error"] = err
            return rec
        base = runs["baseline"]["step_time_s"]
        rec["baseline_ms"] = base * 1e3
        for r in RUNGS[1:]:
            rec[r] = runs[r]["step_time_s"] / base
        rec["CT_b"], rec["CT_c"] = runs["mozart-b"]["C_T"], runs["mozart-c"]["C_T"]
        rec["c_breakdown_ms"] = {k: v * 1e3 for k, v in runs["mozart-c"]["breakdown_s"].items()}
        rec["c_bound"] = runs["mozart-c"]["lower_bound_from"]
        rec["c_over_bound"] = runs["mozart-c"]["step_time_s"] / runs["mozart-c"]["lower_bound_s"]
        paper = PAPER[model]
        rec["l1"] = sum(abs(rec[r] - paper[r]) for r in RUNGS[1:])
        return rec


def _params(s: Setting) -> dict[str, Any]:
    d = asdict(s)
    d["target"] = {k: v for k, v in s.target}
    return d


def fmt_row(rec: dict[str, Any], label: str) -> str:
    if "error" in rec:
        return f"| {label} | FAILED: {rec['error']} |" + " |" * 12
    b = rec["c_breakdown_ms"]
    return (f"| {label} | {rec['baseline_ms']:.1f} | {rec['mozart-a']:.3f} | {rec['mozart-b']:.3f} | "
            f"{rec['mozart-c']:.3f} | {rec['l1']:.3f} | {rec['CT_b']:.2f} | {rec['CT_c']:.2f} | "
            f"{b['compute']:.1f} | {b['all_to_all']:.1f} | {b['dram_load']:.1f} | {b['dram_save']:.1f} | "
            f"{b['exposed'] + b['sync']:.1f} | {rec['c_bound']} |")


HEADER = ("| setting | baseline ms | A | B | C | L1 to paper | B C_T | C C_T | C compute ms | C a2a ms "
          "| C dram_load ms | C dram_save ms | C other ms | C bound |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def ladders() -> list[tuple[str, str, list[tuple[str, Setting]]]]:
    """(title, what varies, [(value label, setting)]) for every one-factor ladder around the base."""
    b = Setting()
    return [
        ("links.bump_rows", "2.5D link count = floor(edge/pitch) x rows (shipped 8)",
         [(str(v), b.with_target("links.bump_rows", v)) for v in (1, 2, 4, 8)]),
        ("stream-schedule reload", "weights streamed once per step and phase (shipped) or per micro-batch",
         [(v, replace(b, reload=v)) for v in ("per-step", "per-micro-batch")]),
        ("ExecOptions.switch_exclusive", "a transfer through a switch holds the whole switch (shipped false)",
         [(str(v).lower(), replace(b, switch_exclusive=v)) for v in (False, True)]),
        ("a2a-dedup mode (B, C only)", "direct sends / switch-reduce only / multicast + reduce (shipped)",
         [(v, replace(b, a2a=v)) for v in A2A_MODES]),
        ("stream-schedule expert-saves", "expert chiplets save activations to their group DRAM (shipped true)",
         [(str(v).lower(), replace(b, expert_saves=v)) for v in (True, False)]),
        ("switch.bandwidth_gbps", "aggregate switch bandwidth (shipped 1500)",
         [(str(v), b.with_target("switch.bandwidth_gbps", float(v))) for v in (400, 1500, 1700)]),
        ("ExecOptions.gemm_sram_bound", "GEMMs limited by 32 GB/s per tile SRAM (shipped false)",
         [(str(v).lower(), replace(b, gemm_sram_bound=v)) for v in (False, True)]),
        ("stream-schedule act-tensors", "hidden-size tensors the attention chiplet saves per layer (shipped 4)",
         [(str(v), replace(b, act_tensors=v)) for v in (1, 4)]),
        # further open values (not in Table 4's sensitivity brief, cheap to run)
        ("chiplet_kinds.*.tiles", "tiles per chiplet, paper range 36..100 (shipped 72)",
         [(str(v), b.with_target("chiplet_kinds.*.tiles", v)) for v in (36, 72, 100)]),
        ("chiplet_kinds.*.array_rows/cols", "systolic array, paper range 16x16..24x24 (shipped 24x24)",
         [("16x16", b.with_target("chiplet_kinds.*.array_rows", 16).with_target("chiplet_kinds.*.array_cols", 16)),
          ("24x24", b)]),
        ("optimizer", "optimizer state and update FLOPs (shipped sgd)",
         [(v, replace(b, optimizer=v)) for v in ("sgd", "adam")]),
        ("expert-cluster synth-preset", "synthetic routing trace (shipped mixed-text)",
         [(v, replace(b, synth_preset=v)) for v in ("mixed-text", "paper")]),
        ("SRAM bandwidth with gemm_sram_bound=true", "32 GB/s per tile (paper, inferred) vs per array (x16)",
         [("32 GB/s/tile", replace(b, gemm_sram_bound=True)),
          ("512 GB/s/tile", replace(b, gemm_sram_bound=True)
           .with_target("chiplet_kinds.*.sram_bandwidth_gbps_per_tile", 512.0)
           .with_target("chiplet_kinds.*.f2f_links_h", 64).with_target("chiplet_kinds.*.f2f_links_v", 64))]),
    ]


def joint_grid() -> list[Setting]:
    """bump_rows {2, 4, 8} x reload x switch_exclusive x all-to-all mode x expert saves (72 points)."""
    out = []
    for rows in (2, 4, 8):
        for reload in ("per-micro-batch", "per-step"):
            for excl in (True, False):
                for a2a in A2A_MODES:
                    for saves in (True, False):
                        out.append(replace(Setting(), reload=reload, switch_exclusive=excl, a2a=a2a,
                                           expert_saves=saves).with_target("links.bump_rows", rows))
    return out


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("ladders", "grid", "all"), default="all")
    ap.add_argument("--best", type=int, default=5, help="grid settings to list")
    ap.add_argument("--cross", type=int, default=2, help="best grid settings to run on the other models")
    ap.add_argument("--json", help="write every record to this file")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    records: dict[str, Any] = {"ladders": [], "grid": [], "cross": []}
    with tempfile.TemporaryDirectory(prefix="mozartc-calib-") as tmp:
        runner = Runner(Path(tmp))
        print(f"# Calibration sensitivity ({BASE_MODEL}, seq 256, HBM2, 4 x 8 sequences, synthetic trace seed 0)\n")
        p = PAPER[BASE_MODEL]
        print(f"Paper Table 4: A {p['mozart-a']}, B {p['mozart-b']}, C {p['mozart-c']}; "
              f"B C_T {p['CT_b']}, C C_T {p['CT_c']}. Normalised to the baseline under the same setting.\n")
        if args.only in ("ladders", "all"):
            for title, what, points in ladders():
                print(f"## {title}: {what}\n\n{HEADER}")
                for value, s in points:
                    log(f"[{time.perf_counter() - t0:6.1f}s] ladder {title} = {value}")
                    rec = runner.ladder(BASE_MODEL, s)
                    rec["factor"], rec["value"] = title, value
                    records["ladders"].append(rec)
                    print(fmt_row(rec, value))
                print()
        if args.only in ("grid", "all"):
            grid = joint_grid()
            recs = []
            for i, s in enumerate(grid):
                log(f"[{time.perf_counter() - t0:6.1f}s] grid {i + 1}/{len(grid)}: {s.label()}")
                recs.append((runner.ladder(BASE_MODEL, s), s))
            records["grid"] = [r for r, _ in recs]
            ok = [(r, s) for r, s in recs if "error" not in r]
            ok.sort(key=lambda rs: (round(rs[0]["l1"], 9), rs[1].label()))
            print(f"## Joint grid: bump_rows x reload x switch_exclusive x a2a mode x expert saves "
                  f"(all {len(grid)}, by L1)\n")
            print(HEADER)
            for r, s in ok:
                print(fmt_row(r, s.label()))
            print(f"\nBest {args.best}: " + "; ".join(f"[{r['l1']:.3f}] {s.label()}" for r, s in ok[:args.best]) + "\n")
            if args.cross > 0:
                print("## Best grid settings (and the shipped base) on every paper model\n")
                print("| model | setting | A | B | C | A-paper | B-paper | C-paper | B C_T (paper) | C C_T (paper) "
                      "| C bound |\n|---|---|---|---|---|---|---|---|---|---|---|")
                chosen = [Setting()] + [s for _, s in ok[:args.cross]]
                for model in PAPER:
                    for s in chosen:
                        log(f"[{time.perf_counter() - t0:6.1f}s] cross {model}: {s.label()}")
                        r = runner.ladder(model, s)
                        records["cross"].append(r)
                        if "error" in r:
                            print(f"| {model} | {s.label()} | FAILED: {r['error']} |" + " |" * 8)
                            continue
                        pm = PAPER[model]
                        print(f"| {model} | {s.label()} | {r['mozart-a']:.3f} | {r['mozart-b']:.3f} | "
                              f"{r['mozart-c']:.3f} | {r['mozart-a'] - pm['mozart-a']:+.3f} | "
                              f"{r['mozart-b'] - pm['mozart-b']:+.3f} | {r['mozart-c'] - pm['mozart-c']:+.3f} | "
                              f"{r['CT_b']:.2f} ({pm['CT_b']}) | {r['CT_c']:.2f} ({pm['CT_c']}) | {r['c_bound']} |")
                print()
        log(f"done: {runner.compiles} compiles, {time.perf_counter() - t0:.1f}s")
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
