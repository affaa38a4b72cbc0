"""Fixtures of the solver tests: a small saved trace of tiny-moe's routing shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from mozartc.frontend import trace_shape
from mozartc.traces import save_trace, synthesize_model


def save_tiny_trace(folder: Path, tokens: int) -> Path:
    """A synthetic trace of tiny-moe's shape (seed 0, ``tokens`` tokens a layer) saved in ``folder``."""
    path = folder / "tiny.npz"
    save_trace(synthesize_model(trace_shape("tiny-moe"), tokens, seed=0), path)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny-moe's shape, 1500 tokens a layer."""
    return save_tiny_trace(tmp_path_factory.mktemp("t"), 1500)
