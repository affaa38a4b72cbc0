"""``mozartc profile``: record a real torch model's routing over token ids into a trace file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mozartc.defaults import MICRO_BATCH, SEQ_LEN


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``profile`` command."""
    p = sub.add_parser("profile", help="run a torch model over token ids and record every router's top-k",
                       description="Run MODEL (preset, config.json or file.py:factory) over token ids "
                                   "and write the routing trace (.npz) of every router.")
    p.add_argument("model", help="preset name, config.json path, or file.py:factory")
    p.add_argument("--weights", help="state dict (torch.save) to load; random weights from --seed if omitted")
    p.add_argument("--tokens", required=True, help=".npy int array or text file of token ids")
    p.add_argument("--seq-len", type=int, default=SEQ_LEN, help=f"tokens per sequence window ({SEQ_LEN})")
    p.add_argument("--batch-size", type=int, default=MICRO_BATCH,
                   help=f"windows per forward pass ({MICRO_BATCH}, the training micro-batch)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0 = torch default)")
    p.add_argument("-o", "--output", required=True, help="output trace .npz")
    p.set_defaults(func=_profile)


def _profile(args: argparse.Namespace) -> int:
    from mozartc.frontend.profiler import profile, read_tokens
    from mozartc.traces.format import save_trace

    tokens = read_tokens(args.tokens)
    bar: Any = None
    on_batch = None
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import Progress

        bar = Progress(console=Console(stderr=True), transient=True)
        bar.start()
        task = bar.add_task("profiling batches", total=None)

        def on_batch(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

    try:
        trace = profile(args.model, tokens, weights=args.weights, seq_len=args.seq_len,
                        batch_size=args.batch_size, seed=args.seed, threads=args.threads,
                        on_batch=on_batch)
    finally:
        if bar is not None:
            bar.stop()
    save_trace(trace, args.output)
    return 0
