"""Clustering helps on real routing: fit on the first half of the tokens, evaluate on the second.

Reads ../shared/traces (reference data beside the repository); skips cleanly when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mozartc.errors import TraceError
from mozartc.solvers.clustering import ClusterOptions, cluster_trace
from mozartc.traces import load_trace

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "traces"
QWEN = SHARED / "qwen15_moe_a27b_chat_gsm8k_5layers.npz"


@pytest.mark.skipif(not QWEN.exists(), reason="../shared/traces is not present")
def test_clustering_cuts_held_out_copies_on_qwen15() -> None:
    trace = load_trace(QWEN)
    assert trace.topk.shape == (5, 4292, 4) and trace.layer_ids == (0, 8, 12, 18, 23)
    fit, held = trace.split_tokens(0.5)
    options = ClusterOptions(time_limit=0.2)
    contiguous = np.mean(cluster_trace(fit, 15, "contiguous", options).evaluate(held))
    for method in ("greedy", "cpsat"):
        clustered = np.mean(cluster_trace(fit, 15, method, options).evaluate(held))
        # README of the data: 3.72 -> 3.09 (15 groups of 4), a 17% cut
        assert clustered < 0.88 * contiguous, (method, clustered, contiguous)


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/traces is not present")
def test_aggregate_files_are_rejected_clearly() -> None:
    with pytest.raises(TraceError, match="aggregate-only"):
        load_trace(SHARED / "c2r_coactivation.npz")
