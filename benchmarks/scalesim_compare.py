"""Compare ``mozartc.hw.cost.sa_gemm_cycles`` with SCALE-Sim v3 compute cycles.

SCALE-Sim needs numpy < 2.4, so it lives in its own virtual environment::

    python -m venv /tmp/scalesim-venv
    /tmp/scalesim-venv/bin/pip install scalesim 'numpy>=2.0.2,<2.4'
    PYTHONPATH=. python benchmarks/scalesim_compare.py --scalesim-python /tmp/scalesim-venv/bin/python \\
        --jobs 2 -o benchmarks/results/scalesim_compute_cycles.csv

(or set ``SCALESIM_PYTHON``; ``--resume`` keeps the rows already in ``-o`` and runs only new cases;
the full grid took 45 min of wall time on 2 cores, most of it the three M=2048 GEMMs).
Without a SCALE-Sim interpreter the script prints why and exits 0;
``--recorded FILE.csv`` re-checks a recorded table against the current cost model instead.
Each GEMM runs through SCALE-Sim's public ``scalesim`` driver (GEMM topology file, CALC
bandwidth mode, 16 MB SRAM buffers so no stall occurs) and we read "Total Cycles" of
COMPUTE_REPORT.csv. SCALE-Sim's run time grows with the cycle count (about 60 us per simulated
cycle), so the grid keeps cases whose expected cycles are at most ``--max-cycles`` (chosen from
our own formula, only to bound run time) plus a few large M=2048 cases listed in ``LARGE``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mozartc.hw.cost import sa_gemm_cycles

# (label, K, N) of (M x K) @ (K x N): hidden 2048 everywhere; expert FFN 768 / 1024 / 1408
# (SwiGLU gate/up: 2048 -> ffn, down: ffn -> 2048); attention projections (q, k/v, o).
SHAPES: tuple[tuple[str, int, int], ...] = (
    ("qwen3 expert up/gate", 2048, 768),
    ("qwen3 expert down", 768, 2048),
    ("olmoe expert up/gate", 2048, 1024),
    ("olmoe expert down", 1024, 2048),
    ("deepseek expert up/gate", 2048, 1408),
    ("deepseek expert down", 1408, 2048),
    ("qwen3 attn q (32x128)", 2048, 4096),
    ("qwen3 attn k/v (4x128)", 2048, 512),
    ("qwen3 attn o", 4096, 2048),
    ("olmoe/deepseek attn q/k/v/o", 2048, 2048),
)
ARRAYS: tuple[tuple[int, int], ...] = ((16, 16), (24, 24), (32, 32), (16, 32))
M_VALUES: tuple[int, ...] = (8, 32, 128, 512, 2048)
DATAFLOWS: tuple[str, ...] = ("os", "ws", "is")
# Large cases run in addition to the bounded grid: (label, M, K, N, rows, cols, dataflow).
LARGE: tuple[tuple[str, int, int, int, int, int, str], ...] = (
    ("qwen3 expert up/gate", 8, 2048, 768, 32, 32, "ws"),
    ("qwen3 expert down", 8, 768, 2048, 32, 32, "ws"),
    ("olmoe expert up/gate", 8, 2048, 1024, 32, 32, "ws"),
    ("deepseek expert down", 8, 1408, 2048, 32, 32, "ws"),
    ("qwen3 attn k/v (4x128)", 8, 2048, 512, 16, 16, "ws"),
    ("qwen3 expert up/gate", 128, 2048, 768, 32, 32, "os"),
    ("qwen3 attn k/v (4x128)", 512, 2048, 512, 32, 32, "os"),
    ("qwen3 attn k/v (4x128)", 512, 2048, 512, 32, 32, "ws"),
    ("qwen3 attn k/v (4x128)", 512, 2048, 512, 32, 32, "is"),
    ("qwen3 attn k/v (4x128)", 2048, 2048, 512, 32, 32, "os"),
    ("qwen3 attn k/v (4x128)", 2048, 2048, 512, 32, 32, "ws"),
    ("qwen3 attn k/v (4x128)", 2048, 2048, 512, 32, 32, "is"),
)
FIELDS = ("label", "rows", "cols", "dataflow", "M", "K", "N", "scalesim_cycles", "mozartc_cycles", "error_pct")

_DRIVER = r'''
import contextlib, csv, io, json, os, sys, tempfile
from scalesim.scale_sim import scalesim
CFG = """[general]
run_name = run
[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: 16384
FilterSramSzkB: 16384
OfmapSramSzkB: 16384
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth : 10
Dataflow : {df}
MemoryBanks: 1
ReadRequestBuffer: 32
WriteRequestBuffer: 32
[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2
[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40
[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""
c = json.loads(sys.argv[1])
with tempfile.TemporaryDirectory() as d:
    with open(os.path.join(d, "c.cfg"), "w") as f:
        f.write(CFG.format(rows=c["rows"], cols=c["cols"], df=c["dataflow"]))
    with open(os.path.join(d, "t.csv"), "w") as f:
        f.write("Layer, M, N, K,\ng, %d, %d, %d,\n" % (c["M"], c["N"], c["K"]))
    with open(os.path.join(d, "l.csv"), "w") as f:
        f.write("Layer, a, b,\ng, 1, 1,\n")
    with contextlib.redirect_stdout(io.StringIO()):
        s = scalesim(save_disk_space=True, verbose=False, config=os.path.join(d, "c.cfg"),
                     topology=os.path.join(d, "t.csv"), layout=os.path.join(d, "l.csv"), input_type_gemm=True)
        s.run_scale(top_path=d)
    rows = list(csv.reader(open(os.path.join(d, "run", "COMPUTE_REPORT.csv"))))
    head = [h.strip() for h in rows[0]]
    vals = dict(zip(head, (v.strip() for v in rows[1])))
    print(json.dumps({"total": int(vals["Total Cycles"]), "stall": int(vals["Stall Cycles"])}))
'''


def grid(max_cycles: int) -> list[dict[str, object]]:
    """The cases to run: bounded grid plus LARGE, in a fixed order."""
    cases: list[dict[str, object]] = []
    for rows, cols in ARRAYS:
        for df in DATAFLOWS:
            for label, K, N in SHAPES:
                for M in M_VALUES:
                    if sa_gemm_cycles(M, K, N, rows, cols, df) <= max_cycles:
                        cases.append(dict(label=label, rows=rows, cols=cols, dataflow=df, M=M, K=K, N=N))
    for label, M, K, N, rows, cols, df in LARGE:
        cases.append(dict(label=label, rows=rows, cols=cols, dataflow=df, M=M, K=K, N=N))
    return cases


def _key(case: dict[str, object]) -> tuple[str, ...]:
    return tuple(str(case[k]) for k in ("label", "rows", "cols", "dataflow", "M", "K", "N"))


def _expected(case: dict[str, object]) -> int:
    """Our cycle estimate, used only to bound SCALE-Sim's run time and memory."""
    return sa_gemm_cycles(*(int(str(case[k])) for k in ("M", "K", "N", "rows", "cols")), str(case["dataflow"]))


def run_scalesim(python: str, case: dict[str, object]) -> int:
    """SCALE-Sim v3 compute cycles ("Total Cycles") of one GEMM; fails if SCALE-Sim reports stalls."""
    out = subprocess.run([python, "-c", _DRIVER, json.dumps(case)], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["stall"]:
        raise RuntimeError(f"SCALE-Sim stalled on {case}: raise the SRAM size")
    return int(result["total"])


def row_for(case: dict[str, object], reference: int) -> dict[str, object]:
    """One table row: both cycle counts and the error of ours in percent of SCALE-Sim's."""
    ours = sa_gemm_cycles(int(str(case["M"])), int(str(case["K"])), int(str(case["N"])),
                          int(str(case["rows"])), int(str(case["cols"])), str(case["dataflow"]))
    return {**case, "scalesim_cycles": reference, "mozartc_cycles": ours,
            "error_pct": round(100.0 * (ours - reference) / reference, 4)}


def format_table(rows: list[dict[str, object]]) -> str:
    """Markdown table of the comparison."""
    lines = ["| shape | array | df | M | K | N | SCALE-Sim | mozartc | error % |", "|---" * 9 + "|"]
    for r in rows:
        lines.append(f"| {r['label']} | {r['rows']}x{r['cols']} | {r['dataflow']} | {r['M']} | {r['K']} | "
                     f"{r['N']} | {r['scalesim_cycles']} | {r['mozartc_cycles']} | {float(str(r['error_pct'])):.2f} |")
    worst = max(abs(float(str(r["error_pct"]))) for r in rows) if rows else 0.0
    lines.append(f"\n{len(rows)} GEMMs, max |error| = {worst:.2f} %")
    return "\n".join(lines) + "\n"


def read_recorded(path: Path) -> list[dict[str, object]]:
    """Rows of a recorded CSV, recomputing our column with the current cost model."""
    with path.open(newline="") as handle:
        return [row_for(rec, int(rec["scalesim_cycles"])) for rec in csv.DictReader(handle)]


def main(argv: list[str] | None = None) -> int:
    """Run the comparison (or re-check a recorded table) and print the markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scalesim-python", default=os.environ.get("SCALESIM_PYTHON"),
                        help="python of a venv with scalesim installed (default: $SCALESIM_PYTHON)")
    parser.add_argument("--max-cycles", type=int, default=150_000)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="run only the first N cases (smoke test)")
    parser.add_argument("--recorded", type=Path, help="re-check a recorded CSV instead of running SCALE-Sim")
    parser.add_argument("-o", "--output", type=Path, help="write the measured table as CSV")
    parser.add_argument("--resume", action="store_true",
                        help="keep the SCALE-Sim numbers already in --output and run only missing cases")
    args = parser.parse_args(argv)
    if args.recorded:
        sys.stdout.write(format_table(read_recorded(args.recorded)))
        return 0
    if not args.scalesim_python or not Path(args.scalesim_python).exists():
        sys.stdout.write("SCALE-Sim not available: pass --scalesim-python or set SCALESIM_PYTHON; skipped.\n")
        return 0
    cases = grid(args.max_cycles)
    if args.limit:
        cases = cases[: args.limit]
    known = {_key(r): int(str(r["scalesim_cycles"])) for r in read_recorded(args.output)} \
        if args.resume and args.output and args.output.exists() else {}
    todo = [c for c in cases if _key(c) not in known]
    small = [c for c in todo if _expected(c) <= args.max_cycles]
    large = [c for c in todo if _expected(c) > args.max_cycles]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        refs = list(pool.map(lambda c: run_scalesim(args.scalesim_python, c), small))
    # million-cycle GEMMs need several GB each in SCALE-Sim: run them one at a time
    refs += [run_scalesim(args.scalesim_python, c) for c in large]
    known.update({_key(c): r for c, r in zip(small + large, refs, strict=True)})
    rows = [row_for(c, known[_key(c)]) for c in cases]
    if args.output:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(buf.getvalue())
    sys.stdout.write(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
