"""Verifier: each invariant broken once in the hand-written module, with the op and line:column named."""

from __future__ import annotations

from pathlib import Path

import pytest

from mozartc.errors import VerifyError
from mozartc.ir import Module, Op, parse_module, print_module, verify

# (what is replaced, by what, a fragment the message must contain, the line it must name)
BREAKAGES = [
    ("%l0.h = add(%h0, %l0.attn)", "%l0.h = add(%h0, %l0.nothing)",
     "operand %l0.nothing is used before it is defined", 7),
    ("%l0.h = add(%h0, %l0.attn)", "%l0.h = add(%h0, %l0.mlp)", "operand %l0.mlp is used before it is defined", 7),
    ("%l1.h = add(", "%l0.h = add(", "%l0.h is already defined", 15),
    ("experts = 4, top_k = 2, dim = 8, params = 32", "experts = 4, top_k = 5, dim = 8, params = 32",
     "top_k (5) exceeds experts (4)", 17),
    ("{dim = 8, ffn_dim = 16,", '{dim = "8", ffn_dim = 16,', "attribute 'dim' must be a positive integer", 9),
    ("= mlp(", "= mlpp(", "unknown op 'mlpp' (did you mean 'mlp'?)", 9),
    ("expert_params = 96, params = 384, param_bytes = 768", "expert_params = 96, params = 380, param_bytes = 760",
     "params (380) must equal experts x expert_params", 18),
    ("params = 384, param_bytes = 768, flops_per_token = 384", "params = 384, param_bytes = 700, flops_per_token = 384",
     "param_bytes (700) must equal params x 2 bytes (768)", 18),
    (": routing<8x2>", ": routing<8x3>", "must be routing<8x2>", 17),
    ("head_dim = 4, dim = 8, params = 192, param_bytes = 384, flops_per_token = 512} : tensor<2x4x8xf16>\n    %l0.h",
     "head_dim = 4, dim = 8, params = 192, param_bytes = 384, flops_per_token = 512} : tensor<2x4x9xf16>\n    %l0.h",
     "result type tensor<2x4x9xf16> must equal the input type", 6),
    ("heads = 2, kv_heads = 1, head_dim = 4, dim = 8, params = 192, param_bytes = 384, flops_per_token = 512} "
     ": tensor<2x4x8xf16>\n    %l0.h",
     "heads = 3, kv_heads = 2, head_dim = 4, dim = 8, params = 192, param_bytes = 384, flops_per_token = 512} "
     ": tensor<2x4x8xf16>\n    %l0.h", "heads (3) must be a multiple of kv_heads (2)", 6),
    ("layer 1 attributes", "layer 0 attributes", "layer indices strictly increase", 12),
    ("output(%logits)", "%o = output(%logits) : event", "defines no value", 23),
    ("act = swiglu, expert_params", "act = tanh, expert_params", "attribute 'act' must be one of", 18),
    ("dtype = f16, ", "", "missing attribute 'dtype'", 1),
    ("%l1.out = add(%l1.h, %l1.experts)", "%l1.out = add(%l1.h, %l1.router)", "operands must have equal types", 19),
    ("layer 1 attributes", "block 1 attributes", "unknown region kind 'block'", 12),
]


@pytest.mark.parametrize(("old", "new", "message", "line"), BREAKAGES, ids=[b[2][:40] for b in BREAKAGES])
def test_each_broken_invariant_is_named_with_its_line(small_mir: Path, old: str, new: str, message: str,
                                                      line: int) -> None:
    text = small_mir.read_text()
    assert old in text
    module = parse_module(text.replace(old, new, 1), "broken.mir")
    with pytest.raises(VerifyError) as info:
        verify(module, "broken.mir")
    assert message in str(info.value)
    assert str(info.value).startswith(f"broken.mir:{line}:")


def test_in_memory_modules_are_located_in_their_printed_form(small_mir: Path) -> None:
    module = parse_module(small_mir.read_text())
    module.loc = None
    for op in module.ops():
        op.loc = None
    bad = Op("experts_typo")
    module.body.insert(1, bad)
    with pytest.raises(VerifyError) as info:
        verify(module)
    assert str(info.value).startswith("<printed IR>:3:3: unknown op 'experts_typo'")
    assert print_module(module).splitlines()[2].strip() == "experts_typo()"


def test_clusters_attribute_must_cover_every_expert_once(small_mir: Path) -> None:
    module = parse_module(small_mir.read_text())
    experts = next(module.ops_named("experts"))
    experts.attrs["clusters"] = [[0, 1], [2, 3]]
    verify(module)
    experts.attrs["clusters"] = [[0, 1], [1, 3]]
    with pytest.raises(VerifyError, match=r"every expert 0\.\.3 exactly once"):
        verify(module)


def test_empty_module_without_attributes_is_rejected() -> None:
    with pytest.raises(VerifyError, match="missing attribute 'dtype'"):
        verify(Module("m"))
