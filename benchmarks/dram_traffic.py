"""What each DRAM stack carries per training step, by purpose, for every rung of the ladder.

The shipped schedule is DRAM-bound (docs/calibration.md): a rung's step time sits within a few per
cent of its busiest stack's bytes over the stack's bandwidth. This script says what those bytes are:
weights read (``load_<block>``), weights and gradients written back (``store_<block>``), activations
saved for backward (``save_act*``) and read back (``load_act*``), per stack and rung, in GB and in
ms at the stack's bandwidth.

    python benchmarks/dram_traffic.py [--models olmoe-1b-7b-0924 ...] [--seq-len 256]

Each run compiles the preset on the model's shipped target (``capacity="warn"``) and reads the
instruction stream the ``mozart`` backend emits (labels ``phase.mN.lN.<step>.<owner>``).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from mozartc.driver import CompileOptions, compile_model
from mozartc.hw import load_target

TARGET_DIR = Path(__file__).resolve().parent.parent / "mozartc" / "hw" / "targets"
MODELS = ("qwen3-30b-a3b", "olmoe-1b-7b-0924", "deepseek-moe-16b-base")
RUNGS = ("baseline", "mozart-a", "mozart-b", "mozart-c")
PURPOSES = ("weights in", "weights out", "activations out", "activations in")


def purpose(step: str) -> str:
    """The purpose of a DRAM transfer from its schedule step name."""
    if step.startswith("load_act"):
        return "activations in"
    if step.startswith("save_act"):
        return "activations out"
    if step.startswith("store_"):
        return "weights out"
    return "weights in"


def traffic(model: str, rung: str, seq_len: int) -> dict[str, dict[str, int]]:
    """stack -> purpose -> bytes per step."""
    target = TARGET_DIR / f"{model}.toml"
    res = compile_model(CompileOptions(model=model, pipeline=rung, target=str(target), capacity="warn",
                                       emit="isa", seq_len=seq_len))
    assert res.output is not None and res.output.stream is not None
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PURPOSES, 0))
    for instr in res.output.stream.instrs:
        if instr.op not in ("load", "store"):
            continue
        stack = instr.src if instr.op == "load" else instr.dst
        assert stack is not None
        out[stack][purpose(instr.label.split(".")[3])] += instr.bytes
    return dict(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--seq-len", type=int, default=256)
    args = ap.parse_args(argv)
    print("| model | rung | busiest stack | " + " | ".join(f"{p} GB" for p in PURPOSES)
          + " | total GB | at its bandwidth ms | all stacks GB |")
    print("|---|---|---|" + "---|" * (len(PURPOSES) + 3))
    for model in args.models:
        gbps = {d.name: d.bandwidth_gbps for d in load_target(TARGET_DIR / f"{model}.toml").dram}
        for rung in RUNGS:
            per_stack = traffic(model, rung, args.seq_len)
            busiest = max(per_stack, key=lambda s: (sum(per_stack[s].values()) / gbps[s], s))
            row = per_stack[busiest]
            total = sum(row.values())
            everything = sum(sum(v.values()) for v in per_stack.values())
            print(f"| {model} | {rung} | {busiest} | " + " | ".join(f"{row[p] / 1e9:.2f}" for p in PURPOSES)
                  + f" | {total / 1e9:.2f} | {total / (gbps[busiest] * 1e9) * 1e3:.2f} | {everything / 1e9:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
