"""The reference modules run for real on CPU and trace with the right leaves; the package is lazy."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import torch

from mozartc.frontend import MoETracer, build_model, get_preset
from mozartc.frontend.modules_moe import RoutedExperts, TopKRouter
from tests.frontend.frontend_helpers import ROOT

TINY = get_preset("tiny-moe")


def test_tiny_forward_and_router_ids() -> None:
    torch.manual_seed(0)
    model = build_model(TINY, device="cpu")
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: seen.append(out))
             for m in model.modules() if isinstance(m, TopKRouter)]
    tokens = torch.randint(0, TINY.vocab_size, (2, 12))
    with torch.no_grad():
        logits = model(tokens)
    for h in hooks:
        h.remove()
    assert logits.shape == (2, 12, TINY.vocab_size) and torch.isfinite(logits).all()
    assert len(seen) == TINY.num_moe_layers
    for weights, ids in seen:
        assert ids.shape == (2, 12, TINY.top_k) and ids.dtype == torch.int64
        assert int(ids.min()) >= 0 and int(ids.max()) < TINY.num_experts
        assert torch.allclose(weights.sum(-1), torch.ones(2, 12))  # norm_topk_prob
        assert all(len(set(row.tolist())) == TINY.top_k for row in ids.reshape(-1, TINY.top_k))


def test_experts_compute_the_routed_sum() -> None:
    torch.manual_seed(1)
    experts = RoutedExperts(dim=4, ffn_dim=3, experts=3, top_k=2)
    x = torch.randn(1, 2, 4)
    ids = torch.tensor([[[0, 2], [1, 0]]])
    w = torch.tensor([[[0.75, 0.25], [0.5, 0.5]]])
    out = experts(x, w, ids)

    def one(e: int, v: torch.Tensor) -> torch.Tensor:
        g, u, d = experts.gate_proj[e], experts.up_proj[e], experts.down_proj[e]
        return d @ (torch.nn.functional.silu(g @ v) * (u @ v))

    want0 = 0.75 * one(0, x[0, 0]) + 0.25 * one(2, x[0, 0])
    want1 = 0.5 * one(1, x[0, 1]) + 0.5 * one(0, x[0, 1])
    assert torch.allclose(out[0, 0], want0, atol=1e-6) and torch.allclose(out[0, 1], want1, atol=1e-6)


def test_variants_run_on_cpu() -> None:
    mla = dataclasses.replace(TINY, q_lora_rank=16, kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=4,
                              v_head_dim=8, head_dim=12)
    for cfg in (dataclasses.replace(TINY, qk_norm="head"), dataclasses.replace(TINY, qk_norm="full"),
                dataclasses.replace(TINY, tie_word_embeddings=True, use_rope=False), mla,
                dataclasses.replace(mla, q_lora_rank=0)):
        out = build_model(cfg, device="cpu")(torch.randint(0, cfg.vocab_size, (1, 5)))
        assert out.shape == (1, 5, cfg.vocab_size) and torch.isfinite(out).all()


def test_tracer_keeps_blocks_as_leaves() -> None:
    graph = MoETracer().trace(build_model(TINY))
    targets = [str(n.target) for n in graph.nodes if n.op == "call_module"]
    assert "model.layers.1.self_attn" in targets
    assert "model.layers.1.mlp.gate" in targets and "model.layers.1.mlp.experts" in targets
    assert "model.layers.1.mlp.shared_experts" in targets and "model.layers.0.mlp" in targets
    assert not any(t.endswith(("q_proj", "gate_proj")) for t in targets)


def test_meta_build_allocates_nothing() -> None:
    model = build_model(get_preset("qwen3-30b-a3b"))
    assert all(p.device.type == "meta" for p in model.parameters())


def test_import_is_lazy() -> None:
    code = ("import sys, mozartc.frontend, mozartc.frontend.hf_config; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
