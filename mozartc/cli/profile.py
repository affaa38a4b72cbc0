"""``mozartc profile``: record a real torch model's routing over token ids into a trace file."""

from __future__ import annotations

import argparse

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
    from mozartc.cli.progress import progress
    from mozartc.frontend.profiler import profile, read_tokens
    from mozartc.traces.format import save_trace

    tokens = read_tokens(args.tokens)
    with progress("profiling batches", None) as advance:
        trace = profile(args.model, tokens, weights=args.weights, seq_len=args.seq_len,
                        batch_size=args.batch_size, seed=args.seed, threads=args.threads,
                        on_batch=lambda done, total: advance(done, total, ""))
    save_trace(trace, args.output)
    return 0
