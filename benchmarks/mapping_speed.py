"""Wall time of every mapping pass, per paper model and pipeline preset (issues 6 and 7).

For each model (qwen3-30b-a3b, olmoe-1b-7b-0924, deepseek-moe-16b-base) and preset (baseline,
mozart-a, mozart-b, mozart-c) this compiles with ``mozartc.driver.compile_model`` (synthetic trace,
wafer target, ``capacity=warn``) and prints each pass's wall seconds from an ``Instrumentation``,
the capture, the backend + executor (``--run``) and the total. Quote these figures.

    PYTHONPATH=. python benchmarks/mapping_speed.py [--models qwen3-30b-a3b] [--pipelines mozart-c]
        [--no-run] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time

from mozartc.driver import CompileOptions, compile_model
from mozartc.hw import default_target_path
from mozartc.passes.manager import Instrumentation

MODELS = ["qwen3-30b-a3b", "olmoe-1b-7b-0924", "deepseek-moe-16b-base"]
PIPELINES = ["baseline", "mozart-a", "mozart-b", "mozart-c"]


def measure(model: str, pipeline: str, run: bool) -> dict[str, object]:
    """One compile: per-pass wall seconds, everything else, total, and the result's C_T."""
    inst = Instrumentation()
    began = time.perf_counter()
    cpu = time.process_time()
    result = compile_model(CompileOptions(model=model, pipeline=pipeline, target=str(default_target_path()),
                                          capacity="warn", run=run), inst)
    total = time.perf_counter() - began
    passes = {t.name: t.seconds for t in inst.timings}
    clustering = result.module.attrs.get("clustering")
    c_t = clustering.get("C_T") if isinstance(clustering, dict) else None
    return {"model": model, "pipeline": pipeline, "passes_s": passes,
            "other_s": total - sum(passes.values()), "total_s": total,
            "cpu_s": time.process_time() - cpu, "C_T": c_t,
            "step_time_s": result.report["step_time_s"] if result.report else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--pipelines", default=",".join(PIPELINES))
    parser.add_argument("--no-run", action="store_true", help="skip the backend and executor")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    rows = []
    for model in args.models.split(","):
        for pipeline in args.pipelines.split(","):
            row = measure(model, pipeline, not args.no_run)
            rows.append(row)
            passes = row["passes_s"]
            assert isinstance(passes, dict)
            cells = "  ".join(f"{name} {seconds:6.2f}" for name, seconds in passes.items())
            print(f"{model:22s} {pipeline:9s} {cells}  capture+backend+executor {row['other_s']:6.2f}"
                  f"  total {row['total_s']:6.2f} s (cpu {row['cpu_s']:.2f})  C_T {row['C_T']}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
