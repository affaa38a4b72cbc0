"""``expert-cluster``: clusters on every experts op, from a trace or a synthetic one (said in the IR)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mozartc.driver import CompileOptions, compile_model
from mozartc.errors import TraceError
from mozartc.frontend import capture, trace_shape
from mozartc.ir.verifier import verify
from mozartc.passes.base import PassContext
from mozartc.passes.expert_cluster import PARALLEL_EXPERT_LAYERS, ExpertCluster
from mozartc.traces import c_t, save_trace, synthesize, synthesize_model


@pytest.fixture(scope="module")
def tiny_ir():  # type: ignore[no-untyped-def]
    return capture("tiny-moe")


def test_synthetic_when_no_trace(tiny_ir) -> None:  # type: ignore[no-untyped-def]
    module = ExpertCluster(method="greedy", clusters=8).run(tiny_ir.clone(), PassContext())
    verify(module)
    ops = list(module.ops_named("experts"))
    assert len(ops) == 3
    for op in ops:
        flat = sorted(e for c in op.attrs["clusters"] for e in c)
        assert flat == list(range(32)) and all(len(c) == 4 for c in op.attrs["clusters"])
    info = module.attrs["clustering"]
    assert isinstance(info, dict) and str(info["trace"]).startswith("synthetic")
    assert info["shared_experts"] == "attention-chiplet"


def test_from_trace_file(tiny_ir, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    trace = synthesize_model(trace_shape("tiny-moe"), 2000, seed=5)
    save_trace(trace, tmp_path / "t.npz")
    ctx = PassContext(trace_path=str(tmp_path / "t.npz"))
    module = ExpertCluster(method="cpsat", clusters=8).run(tiny_ir.clone(), ctx)
    verify(module)
    for layer, op in enumerate(module.ops_named("experts")):
        assignment = np.empty(32, dtype=int)
        for index, members in enumerate(op.attrs["clusters"]):
            assignment[members] = index
        assert op.attrs["C_T"] == pytest.approx(c_t(trace.layer(layer), assignment, 32), abs=1e-6)
    assert module.attrs["clustering"]["trace"] == str(tmp_path / "t.npz")


def test_mismatched_trace(tiny_ir, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    save_trace(synthesize(3, 64, 4, 100, seed=0), tmp_path / "t.npz")
    with pytest.raises(TraceError, match="64 experts top-4 but the model's experts ops have 32"):
        ExpertCluster(clusters=8).run(tiny_ir.clone(), PassContext(trace_path=str(tmp_path / "t.npz")))


def test_worker_processes_give_the_same_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 16 layers of 128 experts: the PARALLEL_EXPERT_LAYERS (2048) pairs at which the pass uses ctx.jobs
    config = {"architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "vocab_size": 1024,
              "hidden_size": 256, "intermediate_size": 512, "moe_intermediate_size": 64, "num_hidden_layers": 16,
              "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64, "num_experts": 128,
              "num_experts_per_tok": 8, "norm_topk_prob": True, "decoder_sparse_step": 1, "mlp_only_layers": [],
              "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": False, "hidden_act": "silu"}
    assert PARALLEL_EXPERT_LAYERS == 16 * 128
    (tmp_path / "config.json").write_text(json.dumps(config))
    import mozartc.solvers.clustering as clustering

    asked: list[int] = []
    solve = clustering.cluster_trace

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(kwargs["jobs"])
        return solve(*args, **kwargs)

    monkeypatch.setattr(clustering, "cluster_trace", recording)
    texts = [compile_model(CompileOptions(model=str(tmp_path), pipeline="mozart-c", seq_len=64, micro_batch=2,
                                          jobs=jobs)).ir_text for jobs in (1, 2)]
    assert asked == [1, 2] and texts[0] == texts[1]
