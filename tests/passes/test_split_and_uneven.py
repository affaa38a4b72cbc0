"""Mapping without the paper's divisibility: experts split over chiplets, clusters of unequal size.

Hand-counted on small routing traces (docs/clustering.md "Unequal clusters", docs/schedule.md
"Split experts").
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mozartc.analysis.experts import ExpertsMapping
from mozartc.driver import CompileOptions, CompileResult, compile_model
from mozartc.ir import Module
from mozartc.isa.verify import verify_stream
from mozartc.traces.format import RoutingTrace, save_trace

SEQ, MB = 64, 2
TOKENS = SEQ * MB  # per micro-batch
DIM, FFN = 64, 48


def _model(tmp_path: Path, experts: int, top_k: int, layers: int = 2) -> Path:
    folder = tmp_path / f"moe{experts}"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "model_type": "mixtral", "vocab_size": 256, "hidden_size": DIM, "num_hidden_layers": layers,
        "num_attention_heads": 4, "num_key_value_heads": 2, "num_local_experts": experts,
        "num_experts_per_tok": top_k, "intermediate_size": FFN}))
    return folder


def _trace(tmp_path: Path, tokens: list[tuple[int, ...]], experts: int, layers: int = 2) -> Path:
    topk = np.array([tokens] * layers, dtype=np.int64)
    path = tmp_path / "trace.npz"
    save_trace(RoutingTrace(topk=topk, num_experts=experts, top_k=topk.shape[2]), path)
    return path


def _compile(model: Path, trace: Path, pipeline: str) -> CompileResult:
    return compile_model(CompileOptions(model=str(model), pipeline=pipeline, trace=str(trace), seq_len=SEQ,
                                        micro_batch=MB, micro_batches=2, emit="isa", run=True))


def _experts(module: Module) -> ExpertsMapping:
    return ExpertsMapping.from_op(next(module.ops_named("experts")), placed=True)


SPLIT_TOKENS = [(0, 1), (0, 2), (1, 2), (3, 4)]  # loads 2, 2, 2, 1, 1, 0


def test_fewer_experts_than_chiplets_split_each_expert(tmp_path: Path) -> None:
    # 6 experts on 16 chiplets: 16 // 6 = 2 shards each, one more for the 16 % 6 = 4 heaviest
    # (loads 2, 2, 2 for experts 0-2, then expert 3 before 4 on the tie): shards 3, 3, 3, 3, 2, 2
    result = _compile(_model(tmp_path, 6, 2), _trace(tmp_path, SPLIT_TOKENS, 6),
                      "expert-cluster,allocate,a2a-dedup,stream-schedule")
    m = _experts(result.module)
    assert m.expert_shards == (3, 3, 3, 3, 2, 2)
    assert m.clusters == ((0,),) * 3 + ((1,),) * 3 + ((2,),) * 3 + ((3,),) * 3 + ((4,),) * 2 + ((5,),) * 2
    # a token goes to every shard of its experts: C_T = (3*2 + 3*2 + 3*2 + 3*1 + 2*1 + 2*0) / 4 = 23/4
    op = next(result.module.ops_named("experts"))
    assert op.attrs["C_T"] == 5.75
    assert m.cluster_tokens == (2,) * 9 + (1,) * 5 + (0,) * 2
    # dispatch: 23 copies per 4 trace tokens, scaled to the micro-batch's 128 tokens, x D x 2 bytes
    dispatch = op.attrs["dispatch_bytes"]
    assert isinstance(dispatch, list) and sum(dispatch) == 23 * (TOKENS // 4) * DIM * 2  # type: ignore[arg-type]
    # each shard holds 1/shards of its expert: expert_params = 3 x D x F
    assert [m.cluster_params(c) for c in range(16)] == [3 * DIM * FFN // 3] * 12 + [3 * DIM * FFN // 2] * 4
    assert m.cluster_ffn_width(0) == 16 and m.cluster_ffn_width(15) == 24
    # the attention chiplet adds the shards' partial outputs: sum load x (shards - 1) = 15 per 4 tokens
    assert m.partial_sums() == 2 * 2 + 2 * 2 + 2 * 2 + 1 * 2 + 1 * 1
    stream = result.output.stream if result.output is not None else None
    assert stream is not None
    adds = [i for i in stream.instrs if i.op == "compute" and ".combine." in i.label]
    assert adds and all(i.flops == 15 * (TOKENS // 4) * DIM for i in adds)
    assert len(adds) == 2 * 2 * 2  # two MoE layers x two micro-batches x forward and backward
    # shards run the expert's GEMMs on their slice of the FFN: (rows x D) @ (D x F/shards)
    shard_gemms = {(i.k, i.n) for i in stream.instrs if i.op == "gemm" and ".experts." in i.label}
    assert shard_gemms == {(DIM, 16), (16, DIM), (DIM, 24), (24, DIM)}
    verify_stream(stream)
    assert result.report is not None and result.report["step_time_s"] > 0


def test_uneven_clusters_hold_every_expert_once_with_sizes_off_by_one(tmp_path: Path) -> None:
    # 20 experts on 16 chiplets: 4 clusters of 2 and 12 of 1
    tokens = [(e, (e + 7) % 20) for e in range(20)] * 3
    for method in ("contiguous", "greedy", "cpsat"):
        folder = tmp_path / method
        folder.mkdir()
        result = _compile(_model(folder, 20, 2), _trace(folder, tokens, 20),
                          f"expert-cluster{{method={method}}},allocate,a2a-dedup,stream-schedule")
        m = _experts(result.module)
        assert sorted(len(c) for c in m.clusters) == [1] * 12 + [2] * 4, method
        assert sorted(e for c in m.clusters for e in c) == list(range(20))
        # C_T = tokens reaching each cluster / tokens; the dispatch sends exactly that many copies
        op = next(result.module.ops_named("experts"))
        c_t = op.attrs["C_T"]
        assert isinstance(c_t, float) and c_t == pytest.approx(sum(m.cluster_tokens) / len(tokens), abs=1e-6)
        dispatch = op.attrs["dispatch_bytes"]
        assert isinstance(dispatch, list)
        expected = sum(round(n * TOKENS / len(tokens)) for n in m.cluster_tokens) * DIM * 2
        assert sum(dispatch) == expected  # type: ignore[arg-type]
        assert result.report is not None and result.report["step_time_s"] > 0
