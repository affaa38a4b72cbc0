"""Per-layer statistics of a whole trace, as one deterministic record (``mozartc traces stats``)."""

from __future__ import annotations

import numpy as np

from mozartc.traces.format import RoutingTrace
from mozartc.traces.stats import (
    c_t,
    contiguous_assignment,
    load_imbalance,
    normalised_entropy,
    top_pair_ratio,
    uniform_c_t,
    workload,
)


def trace_summary(trace: RoutingTrace, num_clusters: int = 16) -> dict[str, object]:
    """Shape, metadata and per-layer load imbalance, entropy, top-5% pair ratio and contiguous C_T.

    ``contiguous_C_T`` and ``uniform_C_T`` (the closed form for uniform routing) are given when
    ``num_clusters`` divides the number of experts, else None.
    """
    divisible = num_clusters > 0 and trace.num_experts % num_clusters == 0
    layers: list[dict[str, float | int | None]] = []
    for index, layer_id in enumerate(trace.layer_ids):
        topk = trace.layer(index)
        v = workload(topk, trace.num_experts)
        layers.append({
            "layer": layer_id,
            "load_imbalance": load_imbalance(v),
            "entropy": normalised_entropy(v),
            "top5_pair_ratio": top_pair_ratio(topk, trace.num_experts),
            "contiguous_C_T": (c_t(topk, contiguous_assignment(trace.num_experts, num_clusters),
                                   trace.num_experts) if divisible else None),
        })
    mean = {key: float(np.mean([float(row[key] or 0.0) for row in layers]))
            for key in ("load_imbalance", "entropy", "top5_pair_ratio")}
    return {
        "model": trace.model, "source": trace.source, "num_layers": trace.num_layers,
        "num_tokens": trace.num_tokens, "num_experts": trace.num_experts, "top_k": trace.top_k,
        "num_shared_experts": trace.num_shared_experts, "num_clusters": num_clusters,
        "uniform_C_T": uniform_c_t(trace.num_experts, trace.top_k, num_clusters) if divisible else None,
        "mean": mean, "layers": layers,
    }
