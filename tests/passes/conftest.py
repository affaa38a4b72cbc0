"""Fixtures of the pass tests: tiny-moe mapped once per session."""

from __future__ import annotations

import pytest

from mozartc.ir import Module
from tests.passes.mapping import TINY_C_PIPELINE, compile_with


@pytest.fixture(scope="session")
def tiny_c() -> Module:
    """tiny-moe through expert-cluster (greedy), allocate, a2a-dedup (multicast) and stream-schedule."""
    return compile_with("tiny-moe", TINY_C_PIPELINE)
