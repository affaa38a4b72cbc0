"""summarize: the module's parameter and FLOP totals, worked by hand on tests/ir/data/small.mir."""

from __future__ import annotations

from pathlib import Path

from mozartc.ir import parse_module, print_module
from mozartc.passes.base import PassContext
from mozartc.passes.summarize import Summarize


def test_totals_of_the_small_module_by_hand(small_mir: Path) -> None:
    module = Summarize().run(parse_module(small_mir.read_text()), PassContext())
    # params: embed 128 + layer 0 (8 + 192 + 8 + 384) + layer 1 (8 + 192 + 8 + 32 + 384) + norm 8 + head 128
    assert module.attrs["params_total"] == 1480
    # active: the experts op holds 4 x 96 = 384 but a token uses top_k = 2 of them: 1480 - 384 + 2 x 96
    assert module.attrs["params_active"] == 1288
    # forward FLOPs per token: layer 0 32+512+8+32+768+8, layer 1 32+512+8+32+64+384+8, norm 32, head 256
    assert module.attrs["flops_per_token_fwd"] == 1360 + 1040 + 32 + 256


def test_summarize_only_adds_attributes(small_mir: Path) -> None:
    text = small_mir.read_text()
    before = parse_module(text)
    after = Summarize().run(parse_module(text), PassContext())
    assert {k for k in after.attrs if k not in before.attrs} == {
        "params_total", "params_active", "flops_per_token_fwd"}
    stripped = parse_module(print_module(after))
    for key in ("params_total", "params_active", "flops_per_token_fwd"):
        del stripped.attrs[key]
    assert print_module(stripped) == print_module(before)
