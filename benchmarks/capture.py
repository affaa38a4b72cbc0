"""Time the frontend: capture (build on meta + fx trace + lower + verify) of every model spec.

Run: ``PYTHONPATH=. python benchmarks/capture.py [--repeat N]``. Prints one line per spec with the
first and best wall time of N runs, the op count and the captured parameter totals. The first line is the
one-off cost of importing torch, which the first capture in a process pays.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = (
    "tiny-moe", "olmoe-1b-7b-0924", "deepseek-moe-16b-base", "qwen3-30b-a3b",
    str(ROOT / "examples/configs/qwen3-30b-a3b/config.json"), str(ROOT / "examples/my_moe.py") + ":build",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per spec; the best is reported")
    args = parser.parse_args()
    start = time.perf_counter()
    import torch  # noqa: F401  (timed on purpose)

    from mozartc.frontend import capture

    print(f"{'import torch + mozartc.frontend':<44} {time.perf_counter() - start:7.2f} s")
    for spec in SPECS:
        times = []
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            module = capture(spec)
            times.append(time.perf_counter() - t0)
        ops = list(module.ops())
        total = sum(int(op.attrs.get("params", 0)) for op in ops)  # type: ignore[arg-type]
        active = total - sum(
            (int(op.attrs["experts"]) - int(op.attrs["top_k"])) * int(op.attrs["expert_params"])  # type: ignore[arg-type]
            for op in ops if op.name == "experts")
        label = spec.replace(str(ROOT) + "/", "")
        print(f"{label:<44} first {times[0]:5.2f} s  best {min(times):5.2f} s  {len(ops):5d} ops  "
              f"total {total / 1e9:7.3f} B  active {active / 1e9:6.3f} B")


if __name__ == "__main__":
    main()
