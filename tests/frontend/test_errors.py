"""Bad inputs give FrontendError with a location: config.json files, specs, user modules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from mozartc.errors import FrontendError
from mozartc.frontend import BlockInfo, capture, resolve_config
from tests.frontend.frontend_helpers import CONFIGS

BASE = json.loads((CONFIGS / "olmoe-1b-7b-0924" / "config.json").read_text())


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("change", "field"), [
    ({"num_experts_per_tok": None}, "num_experts_per_tok"),
    ({"hidden_size": "2048"}, "hidden_size"),
    ({"num_experts": -4}, "num_experts"),
    ({"num_experts_per_tok": 65}, "num_experts_per_tok"),
    ({"num_hidden_layers": 2.5}, "num_hidden_layers"),
    ({"tie_word_embeddings": "no"}, "tie_word_embeddings"),
    ({"num_key_value_heads": 3}, "num_key_value_heads"),
    ({"num_experts": None}, "num_experts"),
    ({"mlp_only_layers": [99]}, "mlp_only_layers"),
])
def test_bad_config_fields(tmp_path: Path, change: dict[str, object], field: str) -> None:
    raw = {k: v for k, v in {**BASE, **change}.items() if v is not None}
    path = write(tmp_path, json.dumps(raw))
    with pytest.raises(FrontendError) as err:
        capture(str(path))
    assert err.value.where is not None and err.value.where.endswith("config.json")
    assert field in err.value.message


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", ""])
def test_not_a_json_object(tmp_path: Path, text: str) -> None:
    with pytest.raises(FrontendError) as err:
        resolve_config(str(write(tmp_path, text)))
    assert "config.json" in str(err.value)


def test_missing_config_and_unknown_preset(tmp_path: Path) -> None:
    with pytest.raises(FrontendError, match=r"config\.json"):
        resolve_config(str(tmp_path))
    with pytest.raises(FrontendError, match="tiny-moe"):
        resolve_config("qwen9-moe")


def test_bad_capture_options() -> None:
    with pytest.raises(FrontendError, match="seq_len"):
        capture("tiny-moe", seq_len=0)
    with pytest.raises(FrontendError, match="dtype"):
        capture("tiny-moe", dtype="f13")


class LinearExpertsMoE(nn.Module):
    """A user MoE block with nn.Linear experts in a ModuleList and no hook."""

    def __init__(self, dim: int = 8, experts: int = 4) -> None:
        super().__init__()
        self.gate = nn.Linear(dim, experts, bias=False)
        self.experts = nn.ModuleList(nn.Linear(dim, dim, bias=False) for _ in range(experts))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights, ids = torch.topk(self.gate(x).softmax(-1), 2, dim=-1)
        out = torch.zeros_like(x)
        for i, expert in enumerate(self.experts):
            out = out + expert(x) * (weights * (ids == i)).sum(-1, keepdim=True)
        return out


class Layer(nn.Module):
    def __init__(self, mlp: nn.Module) -> None:
        super().__init__()
        self.norm = nn.RMSNorm(8)
        self.mlp = mlp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mlp(self.norm(x))


class UserModel(nn.Module):
    def __init__(self, mlp_cls: type[nn.Module] = LinearExpertsMoE) -> None:
        super().__init__()
        self.embed = nn.Embedding(16, 8)
        self.layers = nn.ModuleList(Layer(mlp_cls()) for _ in range(2))
        self.head = nn.Linear(8, 16, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens)
        for layer in self.layers:
            x = layer(x)
        return self.head(x)


def test_unrecognised_moe_block_names_its_path() -> None:
    with pytest.raises(FrontendError) as err:
        capture(UserModel())
    assert str(err.value).startswith("UserModel: layers.0.mlp: ")
    assert "mozartc_describe" in str(err.value) and "extra_blocks" in str(err.value)


class DataDependentMoE(LinearExpertsMoE):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.gate(x).sum() > 0:
            return x
        return -x


def test_untraceable_block_names_its_path() -> None:
    with pytest.raises(FrontendError, match=r"layers\.0\.mlp"):
        capture(UserModel(DataDependentMoE))


def describe_linear_moe(block: LinearExpertsMoE) -> BlockInfo:
    return BlockInfo("moe", {"experts": 4, "top_k": 2, "dim": 8, "ffn_dim": 8, "act": "relu"},
                     parts={"router": ("gate",), "experts": ("experts",)})


def test_extra_blocks_registers_a_user_class() -> None:
    module = capture(UserModel(), seq_len=4, micro_batch=1, extra_blocks={LinearExpertsMoE: describe_linear_moe})
    experts = list(module.ops_named("experts"))
    assert len(experts) == 2 and experts[0].attrs["expert_params"] == 64 and experts[0].attrs["act"] == "relu"
    assert next(module.ops_named("lm_head")).attrs["params"] == 128


def test_factory_errors(tmp_path: Path) -> None:
    good = tmp_path / "m.py"
    good.write_text("import torch\ndef build():\n    return 3\ndef boom():\n    raise RuntimeError('x')\n")
    for spec, text in ((f"{tmp_path}/missing.py:build", "no such"), (f"{good}:nope", "nope"),
                       (f"{good}:build", "nn.Module"), (f"{good}:boom", "RuntimeError")):
        with pytest.raises(FrontendError, match=text) as err:
            capture(spec)
        assert err.value.where is not None and err.value.where.endswith(".py")
