"""Fixtures for the frontend tests: every preset captured once per session."""

from __future__ import annotations

import pytest

from mozartc.frontend import capture
from mozartc.ir import Module
from tests.frontend.frontend_helpers import PAPER_PRESETS


@pytest.fixture(scope="session")

def captured() -> dict[str, Module]:
    """Every preset captured once with the default options."""
    return {name: capture(name) for name in (*PAPER_PRESETS, "tiny-moe")}
