"""Shared fixtures: paths to test data and a CLI runner that captures exit code and output."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from mozartc.cli import main

REPO = Path(__file__).resolve().parents[1]


def load_benchmark(name: str) -> ModuleType:
    """The script ``benchmarks/NAME.py`` imported as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", REPO / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
SHARED_TRACES = REPO.parent / "shared" / "traces"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The clustering cache of module- and session-scoped fixtures: a temporary folder, never the user's
    cache folder; worker processes and ``python -m mozartc`` subprocesses inherit ``$MOZARTC_CACHE_DIR``."""
    folder = tmp_path_factory.mktemp("session-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOZARTC_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty clustering cache (``$MOZARTC_CACHE_DIR``)."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("MOZARTC_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``mozartc ARGS...`` in-process; returns exit code, stdout and stderr."""

    def run(*args: str) -> CliResult:
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors and --help/--version
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def small_mir() -> Path:
    """A hand-written two-layer module (one dense, one MoE) whose numbers are worked by hand."""
    return REPO / "tests" / "ir" / "data" / "small.mir"
