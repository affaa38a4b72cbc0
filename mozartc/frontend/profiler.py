"""Profiler: run a real torch MoE model over token ids and record every router's top-k.

Routers are the modules whose ``mozartc_describe()`` says ``kind = "router"`` (every
:class:`mozartc.frontend.modules_moe.TopKRouter`, and any user module that describes itself so); their
forward returns ``(topk_weights, topk_ids)``. A forward hook on each appends ``topk_ids`` reshaped
to ``[tokens, k]``; routers are recorded in module order, one trace layer each, with the layer index
taken from the module path (``...layers.<i>...``) when it has one.

Tokens: a ``.npy`` integer array, or a text file of whitespace-separated ids (a line per
sequence). All ids are concatenated into one stream and cut into windows of ``seq_len``; windows
run ``batch_size`` at a time under ``torch.no_grad()`` (the last window may be shorter).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mozartc.defaults import MICRO_BATCH, SEQ_LEN
from mozartc.errors import FrontendError, TraceError
from mozartc.traces.format import RoutingTrace


def read_tokens(path: str | Path) -> np.ndarray:
    """Token ids from ``path`` (``.npy`` int array of any shape, or whitespace-separated text), flat."""
    p = Path(path)
    where = str(p)
    if not p.is_file():
        raise TraceError("no such token file", where=where)
    if p.suffix == ".npy":
        try:
            ids = np.load(p, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise TraceError(f"not a readable .npy file ({err})", where=where) from None
        if ids.dtype.kind not in "iu":
            raise TraceError(f"expected integer token ids, got dtype {ids.dtype}", where=where)
        flat = ids.astype(np.int64).ravel()
    else:
        words: list[int] = []
        for line_no, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            try:
                words.extend(int(w) for w in line.split())
            except ValueError:
                raise TraceError("expected whitespace-separated integer token ids", f"{where}:{line_no}") from None
        flat = np.asarray(words, dtype=np.int64)
    if flat.size == 0:
        raise TraceError("token file holds no token ids", where=where)
    return flat


def _model_and_config(spec: str, weights: Path | None, seed: int) -> tuple[Any, Any]:
    """The model on CPU with its weights (random with ``seed`` when ``weights`` is None) and its config."""
    import torch

    from mozartc.frontend import build_model, resolve_config

    torch.manual_seed(seed)
    if spec.endswith(".py") or ".py:" in spec:
        from mozartc.frontend.api import load_factory

        model, _ = load_factory(spec)
        model = model.to_empty(device="cpu")
        config = getattr(model, "config", None)
        if weights is None:
            raise FrontendError("a user module needs `weights` (its parameters are not initialised)", spec)
    else:
        config = resolve_config(spec)
        model = build_model(config, device="cpu")
    if weights is not None:
        if not weights.is_file():
            raise FrontendError("no such state-dict file", where=str(weights))
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
        except Exception as err:  # torch raises many types for a bad file
            raise FrontendError(f"not a loadable state dict ({type(err).__name__})", where=str(weights)) from None
        try:
            model.load_state_dict(state, strict=True)
        except (RuntimeError, TypeError, AttributeError) as err:
            first = str(err).strip().splitlines()
            raise FrontendError(f"state dict does not fit the model: {' '.join(first[:2])[:300]}",
                                where=str(weights)) from None
    return model.eval(), config


def find_routers(model: Any) -> list[tuple[str, Any]]:
    """``(path, module)`` of every router (``mozartc_describe().kind == "router"``), in module order."""
    found = []
    for name, module in model.named_modules():
        describe = getattr(module, "mozartc_describe", None)
        if callable(describe) and getattr(describe(), "kind", None) == "router":
            found.append((name, module))
    return found


def profile(
    spec: str,
    tokens: np.ndarray,
    *,
    weights: str | Path | None = None,
    seq_len: int = SEQ_LEN,
    batch_size: int = MICRO_BATCH,
    seed: int = 0,
    threads: int = 0,
    on_batch: Callable[[int, int], None] | None = None,
) -> RoutingTrace:
    """Run model ``spec`` over ``tokens`` and return the trace of every router's top-k ids.

    ``threads > 0`` sets torch's intra-op threads for the run (restored after; small models run
    fastest on 1). ``on_batch(done, total)`` is called after every batch (progress).
    """
    import torch

    for name, value in (("seq_len", seq_len), ("batch_size", batch_size)):
        if value <= 0:
            raise TraceError(f"must be positive, got {value}", where=name)
    model, config = _model_and_config(spec, Path(weights) if weights is not None else None, seed)
    vocab = getattr(config, "vocab_size", None)
    if vocab is not None and (tokens.min() < 0 or tokens.max() >= vocab):
        bad = int(tokens.min() if tokens.min() < 0 else tokens.max())
        raise TraceError(f"token id {bad} out of range 0..{vocab - 1}", where="tokens")
    routers = find_routers(model)
    if not routers:
        raise FrontendError("the model has no router modules (mozartc_describe kind 'router')", where=spec)
    records: list[list[np.ndarray]] = [[] for _ in routers]

    def hook(index: int) -> Callable[..., None]:
        def record(_module: Any, _inputs: Any, output: Any) -> None:
            ids = output[1]
            records[index].append(ids.reshape(-1, ids.shape[-1]).to(torch.int64).numpy().copy())
        return record

    handles = [module.register_forward_hook(hook(i)) for i, (_, module) in enumerate(routers)]
    saved_threads = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    windows = [tokens[i:i + seq_len] for i in range(0, len(tokens), seq_len)]
    batches = [windows[i:i + batch_size] for i in range(0, len(windows), batch_size)]
    try:
        with torch.no_grad():
            for done, batch in enumerate(batches, 1):
                for group in _same_length(batch):
                    model(torch.as_tensor(np.stack(group), dtype=torch.int64))
                if on_batch is not None:
                    on_batch(done, len(batches))
    finally:
        torch.set_num_threads(saved_threads)
        for handle in handles:
            handle.remove()
    first = routers[0][1]
    num_experts = int(getattr(first, "experts", 0) or getattr(config, "num_experts", 0))
    topk = np.stack([np.concatenate(r) for r in records])
    return RoutingTrace(
        topk=topk, num_experts=num_experts, top_k=int(topk.shape[2]),
        model=str(getattr(config, "name", spec)),
        source=f"profile of {spec} (weights: {weights or f'random, seed {seed}'}) on {len(tokens)} tokens",
        layer_ids=_layer_ids([name for name, _ in routers]),
        num_shared_experts=int(getattr(config, "num_shared_experts", 0) or 0), where=spec,
    )


def _same_length(batch: list[np.ndarray]) -> list[list[np.ndarray]]:
    """Split a batch so each part stacks (only the stream's last window can be shorter)."""
    full = [w for w in batch if len(w) == len(batch[0])]
    rest = [w for w in batch if len(w) != len(batch[0])]
    return [full] + ([rest] if rest else [])


def _layer_ids(names: list[str]) -> tuple[int, ...]:
    """Layer index from each router path (``model.layers.3.mlp.gate`` -> 3), else 0..n-1."""
    found = [re.search(r"layers\.(\d+)\.", name + ".") for name in names]
    ids = tuple(int(m.group(1)) for m in found if m is not None)
    return ids if len(ids) == len(names) and len(set(ids)) == len(ids) else tuple(range(len(names)))
