"""Model specs to routing shapes without torch: presets, config.json files, and what is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mozartc.errors import FrontendError
from mozartc.frontend import get_preset, resolve_config, trace_shape
from mozartc.frontend.resolve import shape_of
from mozartc.traces import TraceShape
from tests.frontend.frontend_helpers import CONFIGS, ROOT


def test_preset_shape() -> None:
    # deepseek-moe-16b-base: 28 layers, the first dense; 64 routed experts top-6 and 2 shared.
    assert trace_shape("deepseek-moe-16b-base") == TraceShape(
        layer_ids=tuple(range(1, 28)), num_experts=64, top_k=6, num_shared_experts=2, model="deepseek-moe-16b-base")
    assert trace_shape("qwen3-30b-a3b") == TraceShape(
        layer_ids=tuple(range(48)), num_experts=128, top_k=8, model="qwen3-30b-a3b")


@pytest.mark.parametrize("name", ["olmoe-1b-7b-0924", "deepseek-moe-16b-base"])
def test_config_json_shape_equals_the_preset(name: str) -> None:
    assert trace_shape(str(CONFIGS / name)) == shape_of(get_preset(name))
    assert trace_shape(str(CONFIGS / name / "config.json")) == shape_of(resolve_config(name))


def test_refused_specs() -> None:
    with pytest.raises(FrontendError, match="user module"):
        trace_shape("examples/my_moe.py:build")
    with pytest.raises(FrontendError, match="unknown model preset 'mixtral'"):
        trace_shape("mixtral")


def test_shape_and_synthesis_never_load_torch(tmp_path: Path) -> None:
    """Nor the driver: the command line imports only the command it runs."""
    code = (
        "import sys\n"
        "from mozartc.cli import main\n"
        f"main(['traces', 'synth', {str(CONFIGS / 'olmoe-1b-7b-0924')!r}, '--tokens', '20', '-o', sys.argv[1]])\n"
        "main(['traces', 'synth', 'qwen3-30b-a3b', '--tokens', '20', '-o', sys.argv[1]])\n"
        "loaded = sorted(m for m in sys.modules\n"
        "                if m == 'torch' or m.startswith(('torch.', 'mozartc.frontend.api', 'mozartc.driver')))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "t.npz")], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
