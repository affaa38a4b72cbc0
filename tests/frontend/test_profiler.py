"""Profiler on tiny-moe with random weights: the trace equals the routers' own top-k outputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mozartc.frontend import build_model, resolve_config  # noqa: E402
from mozartc.frontend.profiler import find_routers  # noqa: E402
from mozartc.traces import load_trace, workload  # noqa: E402


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray, Any]:
    tmp = tmp_path_factory.mktemp("prof")
    torch.manual_seed(123)
    model = build_model(resolve_config("tiny-moe"), device="cpu").eval()
    torch.save(model.state_dict(), tmp / "weights.pt")
    ids = np.random.default_rng(0).integers(0, 512, size=3 * 64 + 17)
    (tmp / "tokens.txt").write_text("\n".join(" ".join(map(str, ids[i:i + 50])) for i in range(0, len(ids), 50)))
    return tmp / "weights.pt", tmp / "tokens.txt", ids, model


def test_profile_matches_router_outputs(cli: Callable[..., Any], setup: Any, tmp_path: Path) -> None:
    weights, tokens, ids, model = setup
    out = tmp_path / "t.npz"
    r = cli("profile", "tiny-moe", "--weights", weights, "--tokens", tokens, "--seq-len", "64",
            "--batch-size", "2", "--threads", "1", "-o", out)
    assert r.code == 0, r.err
    trace = load_trace(out)
    assert trace.topk.shape == (3, len(ids), 4) and trace.layer_ids == (1, 2, 3)
    assert trace.num_experts == 32 and trace.num_shared_experts == 1
    # the routers' own outputs, one window at a time
    seen: list[list[np.ndarray]] = [[] for _ in range(3)]
    torch.set_num_threads(1)  # tiny matmuls: threads only add contention on a shared machine
    hooks = [m.register_forward_hook(lambda _m, _i, o, k=k: seen[k].append(o[1].reshape(-1, 4).numpy()))
             for k, (_, m) in enumerate(find_routers(model))]
    with torch.no_grad():
        for start in range(0, len(ids), 64):
            model(torch.as_tensor(ids[None, start:start + 64]))
    for h in hooks:
        h.remove()
    for layer in range(3):
        expected = np.concatenate(seen[layer])
        assert np.array_equal(trace.layer(layer), expected)
        assert np.allclose(workload(trace.layer(layer), 32), workload(expected, 32))


def test_profile_bad_inputs(cli: Callable[..., Any], setup: Any, tmp_path: Path) -> None:
    weights, tokens, _, _ = setup
    (tmp_path / "bad.txt").write_text("1 2 x\n")
    r = cli("profile", "tiny-moe", "--weights", weights, "--tokens", tmp_path / "bad.txt", "-o", tmp_path / "o.npz")
    assert r.code == 2 and "bad.txt:1" in r.err and "Traceback" not in r.err
    (tmp_path / "big.txt").write_text("1 2 9999\n")
    r = cli("profile", "tiny-moe", "--weights", weights, "--tokens", tmp_path / "big.txt", "-o", tmp_path / "o.npz")
    assert r.code == 2 and "token id 9999 out of range" in r.err
    torch.save({"nope": torch.zeros(1)}, tmp_path / "w.pt")
    r = cli("profile", "tiny-moe", "--weights", tmp_path / "w.pt", "--tokens", tokens, "-o", tmp_path / "o.npz")
    assert r.code == 2 and "state dict does not fit" in r.err
    assert not (tmp_path / "o.npz").exists()
