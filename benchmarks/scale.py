"""The cost curve: how capture, each pass, lowering, printing and the timed run grow with the model.

    python benchmarks/scale.py [--quick] [--out benchmarks/results/scale.json] [--plots docs/img]
    python benchmarks/scale.py --render benchmarks/results/scale.json   # print and plot a saved run

Synthetic MoE models go through the frontend's config path: a Hugging Face style ``config.json``
(Qwen3-MoE shape: hidden 2048, expert FFN 768, top-8, 32/4 heads; :func:`hf_config`) with ``L``
layers of ``E`` experts, and a synthetic routing trace of the same shape (``mozartc.traces.synth``,
preset ``mixed-text``, 20000 tokens a layer: what ``expert-cluster`` draws by itself) saved as
``.npz``. Every point runs in a fresh subprocess with the ``mozart-c`` pipeline (and the capacity
check in ``warn`` mode), so its peak RSS (``ru_maxrss``) is its own. Stages, timed in CPU and wall
seconds: ``trace``, ``capture`` (with the verify), each pass as the pass manager runs it (with its
verify; the manager's own wall figure is kept as ``manager_s``), ``lower`` (backend to instruction
stream), ``print`` (the ``.mzs`` text) and ``run`` (stream verifier, executor, report).

One factor varies at a time around the base point (12 layers, 128 experts, 4 micro-batches of 8
sequences of 256 tokens): layers, experts, micro-batches, sequence length. For each stage and
factor the growth exponent is the least-squares slope of log CPU seconds against log factor
(:func:`fit_exponent`). Two goal points (issue 15): the DeepSeek-V3 preset (58 MoE layers x 256
experts) end to end in at most 30 s, and one 1024-expert layer clustered (``mozart-c``'s method) in
at most 60 s. ``--quick`` runs two values per factor and the clustering point (a few minutes);
the full run 8-15 minutes on 2 cores (by load). The machine may be shared: the load average is
printed and recorded next to the figures; CPU seconds are the steadier measure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BASE = {"layers": 12, "experts": 128, "micro_batches": 4, "seq_len": 256}
Sweeps = dict[str, tuple[int, ...]]
# seq_len stops at 512: at 1024 (x 8 sequences) one micro-batch's activations outgrow an expert chiplet's SRAM
FULL: Sweeps = {"layers": (12, 24, 48, 96), "experts": (64, 128, 256, 512, 1024),
                "micro_batches": (4, 8, 16, 32), "seq_len": (64, 128, 256, 512)}
QUICK: Sweeps = {"layers": (12, 24), "experts": (64, 128), "micro_batches": (4, 8), "seq_len": (256, 512)}
PASSES = ("check-capacity", "expert-cluster", "allocate", "a2a-dedup", "stream-schedule")
STAGES = ("trace", "capture", *PASSES, "lower", "print", "run")
TOP_K, MICRO_BATCH, TRACE_TOKENS = 8, 8, 20000
GOALS = {"deepseek_v3_end_to_end_s": 30.0, "cluster_1024_experts_s": 60.0}


def fit_exponent(xs: list[float], ys: list[float]) -> float:
    """Growth exponent ``b`` of ``y = a x^b``: the least-squares slope of ``log y`` on ``log x``."""
    if len(xs) != len(ys) or len(xs) < 2:
        raise ValueError("need at least two (x, y) pairs of equal count")
    slope, _ = np.polyfit(np.log(np.asarray(xs, dtype=float)), np.log(np.asarray(ys, dtype=float)), 1)
    return float(slope)


def hf_config(layers: int, experts: int) -> dict[str, Any]:
    """A Qwen3-MoE ``config.json`` (the public Qwen3-30B-A3B values) with ``layers`` and ``experts``."""
    return {
        "architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "vocab_size": 151936,
        "hidden_size": 2048, "intermediate_size": 6144, "moe_intermediate_size": 768, "num_hidden_layers": layers,
        "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128, "num_experts": experts,
        "num_experts_per_tok": TOP_K, "norm_topk_prob": True, "decoder_sparse_step": 1, "mlp_only_layers": [],
        "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": False, "hidden_act": "silu",
    }


# ---- one point, in its own process -------------------------------------------------------------
class Stages:
    """CPU and wall seconds and the peak RSS so far (MB) after each stage of one process."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, float]] = {}

    def time(self, name: str, work: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        value = work()
        self.rows[name] = {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall,
                           "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        return value


def measure_point(point: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Time every stage of one compile + run (module docstring); ``point["model"]`` is a preset name
    or absent for the synthetic Qwen3-MoE shape of ``layers`` x ``experts``. torch is imported before
    the clocks start (about 1 s, the same at every point): ``capture`` is the capture itself."""
    import torch  # noqa: F401

    from mozartc.backends.mozart import MozartBackend
    from mozartc.executor import execute, make_report
    from mozartc.frontend import capture, resolve_config
    from mozartc.hw import default_target_path, load_target
    from mozartc.ir.verifier import verify
    from mozartc.passes.base import PassContext
    from mozartc.passes.check_capacity import CheckCapacity
    from mozartc.passes.manager import Instrumentation, run_pipeline
    from mozartc.passes.registry import build_pipeline
    from mozartc.traces.format import save_trace
    from mozartc.traces.synth import synth_params, synthesize

    spec = point.get("model")
    if spec is None:
        config = workdir / f"scale-L{point['layers']}-E{point['experts']}" / "config.json"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps(hf_config(point["layers"], point["experts"])), encoding="utf-8")
        spec = str(config)
    cfg = resolve_config(spec)
    ids = tuple(i for i in range(cfg.num_layers) if cfg.is_moe_layer(i))
    st = Stages()
    trace_path = workdir / "trace.npz"

    def draw() -> None:
        trace = synthesize(len(ids), cfg.num_experts, cfg.top_k, TRACE_TOKENS, seed=0,
                           params=synth_params("mixed-text"), model=cfg.name, layer_ids=ids)
        save_trace(trace, trace_path)

    st.time("trace", draw)
    module = st.time("capture", lambda: _verified(capture(spec, seq_len=point["seq_len"], micro_batch=MICRO_BATCH),
                                                  verify))
    target = load_target(default_target_path())
    ctx = PassContext(target=target, trace_path=str(trace_path), seed=0, micro_batches=point["micro_batches"])
    manager: dict[str, float] = {}
    for p in [CheckCapacity(on_overflow="warn"), *build_pipeline("mozart-c")]:
        inst = Instrumentation()
        module = st.time(p.name, partial(run_pipeline, module, [p], ctx, inst))
        manager[p.name] = inst.timings[0].seconds
    output = st.time("lower", lambda: MozartBackend().emit(module, target))
    stream = output.stream
    text = st.time("print", lambda: output.text)
    report = st.time("run", lambda: make_report(execute(stream, target)))
    return {"point": point, "instructions": len(stream.instrs), "mzs_bytes": len(text.encode()),
            "step_time_s": report["step_time_s"], "stages": st.rows, "manager_s": manager}


def _verified(module: Any, verify: Callable[[Any], None]) -> Any:
    verify(module)
    return module


def measure_cluster(experts: int) -> dict[str, Any]:
    """One layer of ``experts`` experts (top-8, 20000 tokens) clustered over the wafer's expert chiplets
    by ``mozart-c``'s method with the pass's defaults."""
    from mozartc.hw import default_target_path, load_target
    from mozartc.solvers.clustering import ClusterOptions, cluster_trace
    from mozartc.traces.synth import synth_params, synthesize

    clusters = len(load_target(default_target_path()).expert_chiplets)
    trace = synthesize(1, experts, TOP_K, TRACE_TOKENS, seed=0, params=synth_params("mixed-text"))
    st = Stages()
    result = st.time("cluster", lambda: cluster_trace(trace, clusters, "cpsat", ClusterOptions(time_limit=0.1, seed=0)))
    info = {k: v for k, v in result.per_layer_info[0].items() if isinstance(v, int | float | str)}
    return {"experts": experts, "clusters": clusters, "C_T": result.c_t, "info": info, "stages": st.rows}


# ---- the driver --------------------------------------------------------------------------------
def run_worker(job: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one job (``{"point": ...}`` or ``{"cluster": E}``) in a fresh interpreter of this checkout."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    began = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, __file__, "--worker", json.dumps(job)], capture_output=True,
                              text=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"job": job, "error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        return {"job": job, "error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    out: dict[str, Any] = json.loads(done.stdout)
    out["process_wall_s"] = time.perf_counter() - began  # with interpreter start and imports
    return out


def plan(sweeps: Sweeps) -> list[dict[str, int]]:
    """The distinct points: the base, then one factor at a time."""
    points = [dict(BASE)]
    for factor, values in sweeps.items():
        for v in values:
            p = {**BASE, factor: v}
            if p not in points:
                points.append(p)
    return points


def total(result: dict[str, Any], key: str = "cpu_s") -> float:
    """The sum of a result's stage times."""
    return sum(row[key] for row in result["stages"].values())


def exponents(sweeps: Sweeps, results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per factor, the growth exponent of each stage's CPU time, of the total and of the instructions.

    Stages under 10 ms at every point are left out (their times are noise)."""
    by_point = {json.dumps(r["point"], sort_keys=True): r for r in results if "stages" in r}
    fits: dict[str, dict[str, float]] = {}
    for factor, values in sweeps.items():
        rows = [(v, by_point.get(json.dumps({**BASE, factor: v}, sort_keys=True))) for v in values]
        got = [(v, r) for v, r in rows if r is not None]
        if len(got) < 2:
            continue
        xs = [float(v) for v, _ in got]
        fit: dict[str, float] = {}
        for stage in STAGES:
            ys = [r["stages"][stage]["cpu_s"] for _, r in got]
            if max(ys) >= 0.01:
                fit[stage] = round(fit_exponent(xs, [max(y, 1e-4) for y in ys]), 2)
        fit["total"] = round(fit_exponent(xs, [total(r) for _, r in got]), 2)
        fit["instructions"] = round(fit_exponent(xs, [float(r["instructions"]) for _, r in got]), 2)
        fit["peak_rss"] = round(fit_exponent(xs, [r["stages"]["run"]["maxrss_mb"] for _, r in got]), 2)
        fits[factor] = fit
    return fits


def table(results: list[dict[str, Any]]) -> str:
    """The figures of every point: CPU seconds per stage group, total, instructions, peak RSS, and CPU
    microseconds per instruction of lowering, printing and running."""
    head = (f"{'L':>3} {'E':>5} {'mb':>3} {'seq':>5} {'instrs':>9} {'trace':>6} {'capt':>6} {'clust':>6} "
            f"{'passes':>6} {'lower':>6} {'print':>6} {'run':>6} {'total':>7} {'wall':>7} {'RSS MB':>7} {'us/ins':>6}")
    lines = [head]
    for r in results:
        if "stages" not in r:
            lines.append(f"{json.dumps(r['job'])}: {r['error']}")
            continue
        p, s = r["point"], r["stages"]
        other = sum(s[name]["cpu_s"] for name in PASSES if name != "expert-cluster")
        cells = [s["trace"]["cpu_s"], s["capture"]["cpu_s"], s["expert-cluster"]["cpu_s"], other,
                 s["lower"]["cpu_s"], s["print"]["cpu_s"], s["run"]["cpu_s"]]
        lines.append(f"{p.get('layers', '-'):>3} {p.get('experts', '-'):>5} {p['micro_batches']:>3} "
                     f"{p['seq_len']:>5} {r['instructions']:>9} " + " ".join(f"{c:6.2f}" for c in cells)
                     + f" {total(r):7.2f} {total(r, 'wall_s'):7.2f} {s['run']['maxrss_mb']:7.0f} "
                     f"{1e6 * sum(cells[4:]) / r['instructions']:6.1f}")
    return "\n".join(lines)


def plot(sweeps: Sweeps, results: list[dict[str, Any]], folder: Path) -> list[Path]:
    """One log-log figure per factor (``scale-FACTOR.png``): CPU seconds of every stage and the total."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_point = {json.dumps(r["point"], sort_keys=True): r for r in results if "stages" in r}
    written = []
    for factor, values in sweeps.items():
        got = [(v, by_point[k]) for v in values if (k := json.dumps({**BASE, factor: v}, sort_keys=True)) in by_point]
        if len(got) < 2:
            continue
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        xs = [v for v, _ in got]
        for stage in (*STAGES, "total"):
            ys = [total(r) if stage == "total" else r["stages"][stage]["cpu_s"] for _, r in got]
            if max(ys) >= 0.01:
                ax.plot(xs, [max(y, 1e-3) for y in ys], marker="o", lw=2.5 if stage == "total" else 1.2,
                        color="black" if stage == "total" else None, label=stage)
        first = total(got[0][1])
        ax.plot(xs, [first * x / xs[0] for x in xs], ls=":", color="grey", label="linear (slope 1)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.set_xlabel(factor.replace("_", " "))
        ax.set_ylabel("CPU seconds")
        ax.set_title(f"mozartc cost curve: {factor.replace('_', ' ')} (others at the base point)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        path = folder / f"scale-{factor.replace('_', '-')}.png"
        fig.savefig(path, dpi=110, metadata={"Software": None})
        plt.close(fig)
        written.append(path)
    return written


def measure_all(sweeps: Sweeps, quick: bool, timeout: float) -> dict[str, Any]:
    """Every point of the plan, the 1024-expert clustering and (full run) DeepSeek-V3: the record."""
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, shared with other agents; load average {load[0]:.1f} at start")
    results = []
    for point in plan(sweeps):
        results.append(run_worker({"point": point}, timeout))
        print(table(results[-1:]).splitlines()[-1], flush=True)
    cluster = run_worker({"cluster": 1024}, timeout)
    deepseek = None
    if not quick:
        deepseek = run_worker({"point": {"model": "deepseek-v3", "micro_batches": 4, "seq_len": 256}}, timeout)
    record = {"base": BASE, "sweeps": sweeps, "results": results, "exponents": exponents(sweeps, results),
              "goal_limits_s": GOALS, "cluster_1024": cluster, "deepseek_v3": deepseek,
              "load_average": {"start": load[0], "end": os.getloadavg()[0]}, "cores": os.cpu_count()}
    record["goals"] = goals(record)
    return record


def goals(record: dict[str, Any]) -> dict[str, float]:
    """Wall seconds of the goal points: the 1024-expert clustering, and DeepSeek-V3 end to end (its
    whole process: interpreter start, imports and every stage)."""
    out: dict[str, float] = {}
    cluster, deepseek = record["cluster_1024"], record["deepseek_v3"]
    if cluster and "stages" in cluster:
        out["cluster_1024_experts_s"] = cluster["stages"]["cluster"]["wall_s"]
    if deepseek and "stages" in deepseek:
        out["deepseek_v3_end_to_end_s"] = deepseek["process_wall_s"]
    return out


def report(record: dict[str, Any]) -> None:
    """Print the table, the exponents and the goals of a record."""
    deepseek = record["deepseek_v3"]
    print("\nCPU seconds per stage ('passes': the other four passes; wall: sum of the stages' wall seconds)")
    print(table(record["results"] + ([deepseek] if deepseek else [])))
    print("\ngrowth exponents of CPU time (least squares on log-log; 1 = linear):")
    for factor, fit in record["exponents"].items():
        print(f"  {factor:14s} " + "  ".join(f"{k} {v:.2f}" for k, v in fit.items()))
    print("\ngoals (wall seconds; the machine is shared, so wall includes waiting for a core):")
    for name, seconds in goals(record).items():
        limit = GOALS[name]
        print(f"  {name}: {seconds:.1f} s, goal {limit:.0f} s, ratio {seconds / limit:.2f}")
    if deepseek and "stages" in deepseek:
        print(f"  deepseek-v3: {deepseek['instructions']} instructions, {total(deepseek):.1f} s CPU in the stages, "
              f"peak RSS {deepseek['stages']['run']['maxrss_mb'] / 1024:.1f} GiB")
    load = record["load_average"]
    print(f"load average {load['start']:.1f} at the start, {load['end']:.1f} at the end ({record['cores']} cores)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two values per factor, no DeepSeek-V3 point")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "scale.json")
    parser.add_argument("--plots", type=Path, default=REPO / "docs" / "img", help="folder of the png plots")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per point")
    parser.add_argument("--render", type=Path, metavar="JSON", help="print and plot a saved record, run nothing")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        job = json.loads(args.worker)
        with tempfile.TemporaryDirectory() as tmp:
            out = measure_cluster(job["cluster"]) if "cluster" in job else measure_point(job["point"], Path(tmp))
        print(json.dumps(out))
        return 0
    if args.render:
        record = json.loads(args.render.read_text(encoding="utf-8"))
    else:
        record = measure_all(QUICK if args.quick else FULL, args.quick, args.timeout)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    report(record)
    args.plots.mkdir(parents=True, exist_ok=True)
    for path in plot(record["sweeps"], record["results"], args.plots):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
