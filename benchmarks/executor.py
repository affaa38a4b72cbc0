"""Executor speed: instructions per second on a synthetic training-step stream and on the qwen3-30b-a3b
mozart-c stream, the wall time of ``mozartc compile qwen3-30b-a3b --pipeline mozart-c --run``, and
end-to-end compile + run time per paper model and pipeline.

    python benchmarks/executor.py [--instructions 50000] [--repeat 3] [--no-compile] [--no-cli]

Goals (issue "Timing you can trust"): at least 50k instructions/s on the qwen3 mozart-c stream; the
CLI compile + run no slower than the serialising engine it replaced (about 8-11 s on this machine).

The synthetic stream is shaped like a training step on the paper's 17-chiplet wafer: per block,
weight loads from each group's DRAM stack to its 4 expert chiplets and from the root's stacks to the
attention chiplet, attention GEMMs, a dispatch send to every expert chiplet, expert GEMMs, combine
sends back through the switches, a switch reduction and an activation store, chained block to block.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from mozartc.executor import execute, make_report
from mozartc.hw import default_target_path, load_target
from mozartc.isa.instr import Instr, Stream

MODELS = ("olmoe-1b-7b-0924", "deepseek-moe-16b-base", "qwen3-30b-a3b")
PIPELINES = ("baseline", "mozart-a", "mozart-b", "mozart-c", "mozart-c+mc")


def synthetic_step(instructions: int) -> Stream:
    """A stream of about ``instructions`` instructions with the structure described above."""
    out: list[Instr] = []
    prev_end: int | None = None

    def add(instr: Instr) -> int:
        out.append(instr)
        return len(out) - 1

    block = 0
    while len(out) < instructions:
        after = () if prev_end is None else (prev_end,)
        w_att = add(Instr("load", "dram_load", f"b{block}.w.attention", after, src=f"dram{4 + block % 2}",
                          dst="attention0", bytes=8 << 20))
        att = add(Instr("gemm", "compute", f"b{block}.attention", (w_att,), unit="attention0",
                        m=2048, k=2048, n=2048, count=4))
        combines: list[int] = []
        for e in range(16):
            w = add(Instr("load", "dram_load", f"b{block}.w.expert{e}", after, src=f"dram{e // 4}",
                          dst=f"expert{e}", bytes=(6 << 20) + e * 4096))
            d = add(Instr("send", "all_to_all", f"b{block}.dispatch.expert{e}", (att,), src="attention0",
                          dst=f"expert{e}", bytes=1 << 20))
            g = add(Instr("gemm", "compute", f"b{block}.experts.expert{e}", (w, d), unit=f"expert{e}",
                          m=512, k=2048, n=768, count=3))
            combines.append(add(Instr("send", "all_to_all", f"b{block}.combine.expert{e}", (g,),
                                      src=f"expert{e}", dst=f"switch{e // 4}", bytes=1 << 20)))
        reds = [add(Instr("reduce", "all_to_all", f"b{block}.reduce.g{s}", tuple(combines[4 * s:4 * s + 4]),
                          unit=f"switch{s}", bytes=1 << 20, inputs=4)) for s in range(4)]
        back = [add(Instr("send", "all_to_all", f"b{block}.gather.g{s}", (r,), src=f"switch{s}",
                          dst="attention0", bytes=1 << 20)) for s, r in enumerate(reds)]
        add(Instr("store", "dram_save", f"b{block}.save", tuple(back), src="attention0", dst="dram5", bytes=4 << 20))
        prev_end = add(Instr("barrier", "sync", f"b{block}.end", tuple(back)))
        block += 1
    return Stream("synthetic", {"model": "synthetic"}, tuple(out))


def bench_engine(instructions: int, repeat: int) -> None:
    target = load_target(default_target_path())
    stream = synthetic_step(instructions)
    n = len(stream.instrs)
    best_exec = best_report = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        tl = execute(stream, target)
        t1 = time.perf_counter()
        make_report(tl)
        t2 = time.perf_counter()
        best_exec, best_report = min(best_exec, t1 - t0), min(best_report, t2 - t1)
    print(f"engine: {n} instructions, execute (verify + durations + simulate) {best_exec:.3f} s "
          f"= {n / best_exec:,.0f} instructions/s; report {best_report:.3f} s; "
          f"step time {tl.step_time * 1e3:.3f} ms (best of {repeat})")


def bench_paper_stream(repeat: int, model: str = "qwen3-30b-a3b", pipeline: str = "mozart-c") -> None:
    """Execute (verify + durations + simulate) the stream the mozart backend emits for ``model``."""
    from mozartc.backends.registry import get_backend_class
    from mozartc.driver import CompileOptions, compile_model

    target = load_target(default_target_path())
    result = compile_model(CompileOptions(model=model, pipeline=pipeline, capacity="warn"))
    stream = get_backend_class("mozart")().emit(result.module, target).stream
    assert stream is not None
    n = len(stream.instrs)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        tl = execute(stream, target)
        best = min(best, time.perf_counter() - t0)
    rate = n / best
    print(f"{model} {pipeline}: {n} instructions, execute {best:.3f} s = {rate:,.0f} instructions/s "
          f"({rate / 50_000:.2f}x the goal of 50k/s); step time {tl.step_time * 1e3:.3f} ms (best of {repeat})")


def bench_cli(repeat: int) -> None:
    """Wall time of the CLI compile + run of qwen3 mozart-c, a fresh process each time."""
    wafer = Path(__file__).resolve().parents[1] / "targets" / "wafer.toml"
    cmd = ["mozartc", "compile", "qwen3-30b-a3b", "--target", str(wafer), "--capacity", "warn",
           "--pipeline", "mozart-c", "--run"]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    print(f"{' '.join(cmd[:2])} qwen3-30b-a3b --pipeline mozart-c --run: best {min(times):.2f} s, "
          f"median {sorted(times)[len(times) // 2]:.2f} s of {repeat}")


def bench_compile(models: tuple[str, ...], pipelines: tuple[str, ...]) -> None:
    from mozartc.backends.registry import get_backend_class
    from mozartc.errors import BackendError

    try:
        get_backend_class("mozart")
    except BackendError as err:
        print(f"end-to-end: skipped ({err.message})")
        return
    from mozartc.driver import CompileOptions, compile_model

    backend = get_backend_class("mozart")()
    target = load_target(default_target_path())
    for model in models:
        for pipeline in pipelines:
            t0 = time.perf_counter()
            result = compile_model(CompileOptions(model=model, pipeline=pipeline, capacity="warn"))
            t1 = time.perf_counter()
            out = backend.emit(result.module, target)
            t2 = time.perf_counter()
            assert out.stream is not None
            report = make_report(execute(out.stream, target))
            t3 = time.perf_counter()
            print(f"{model:24s} {pipeline:9s} compile {t1 - t0:6.2f} s  emit {t2 - t1:5.2f} s  "
                  f"run {t3 - t2:5.2f} s  total {t3 - t0:6.2f} s  {len(out.stream.instrs):7d} instrs  "
                  f"step {report['step_time_s'] * 1e3:9.3f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instructions", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true", help="skip the end-to-end compile + run table")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI wall-time measurement")
    args = parser.parse_args(argv)
    bench_engine(args.instructions, args.repeat)
    bench_paper_stream(args.repeat)
    if not args.no_cli:
        bench_cli(args.repeat)
    if not args.no_compile:
        bench_compile(MODELS, PIPELINES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
