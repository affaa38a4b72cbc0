"""Backends: the registry (built-ins, entry points), option parsing, the null backend, ``mozartc backends``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import ClassVar, Literal

import pytest

from mozartc.backends import Backend, BackendOutput, available_backends, build_backend, registry
from mozartc.backends.null import NullBackend
from mozartc.errors import BackendError
from mozartc.executor import execute, make_report
from mozartc.hw import Target, default_target_path, load_target
from mozartc.ir.core import Module
from mozartc.isa.mzs import parse_stream
from tests.conftest import REPO, CliResult


@dataclass(frozen=True)
class EchoBackend(Backend):
    """A test plug-in with options of every kind."""

    name: ClassVar[str] = "echo"
    summary: ClassVar[str] = "echo the module name"
    suffix: ClassVar[str] = ".txt"
    times: int = 1
    shout: bool = False
    style: Literal["plain", "fancy"] = "plain"

    def emit(self, module: Module, target: Target) -> BackendOutput:
        word = module.name.upper() if self.shout else module.name
        return BackendOutput(" ".join([word] * self.times) + "\n", self.suffix)


@pytest.fixture
def plugin_entry_points(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    points = [EntryPoint("echo", "tests.backends.test_registry:EchoBackend", registry.ENTRY_POINT_GROUP),
              EntryPoint("misnamed", "tests.backends.test_registry:EchoBackend", registry.ENTRY_POINT_GROUP),
              EntryPoint("null", "tests.backends.test_registry:EchoBackend", registry.ENTRY_POINT_GROUP)]
    monkeypatch.setattr("mozartc.plugins.entry_points", lambda group: [p for p in points if p.group == group])
    registry._plugin_backends.cache_clear()
    yield
    registry._plugin_backends.cache_clear()


def test_builtins_are_registered_lazily() -> None:
    known = available_backends()
    assert known["null"] == "mozartc.backends.null:NullBackend"
    assert known["mozart"] == "mozartc.backends.mozart:MozartBackend"


def test_plugin_backend_with_options(plugin_entry_points: None) -> None:
    backend = build_backend("echo{times=2,shout=true,style=fancy}")
    assert backend == EchoBackend(times=2, shout=True, style="fancy")
    assert backend.options_text() == "echo{times=2,shout=true,style=fancy}"
    out = backend.emit(Module(name="m"), load_target(default_target_path()))
    assert out.text == "M M\n" and out.suffix == ".txt"


def test_builtin_wins_over_plugin_of_the_same_name(plugin_entry_points: None) -> None:
    assert isinstance(build_backend("null"), NullBackend)


@pytest.mark.parametrize(("text", "message"), [
    ("nul", "unknown backend 'nul' (did you mean 'null'?)"),
    ("misnamed", "is not a Backend subclass named 'misnamed'"),
    ("echo{loud=1}", "backend 'echo' has no option 'loud'; valid options: times=<int>"),
    ("echo{times=x}", "backend 'echo' option 'times' must be an integer, got 'x'"),
    ("echo{style=odd}", "must be one of plain, fancy"),
    ("echo,null", "expected one backend, got 2"),
    ("echo{", "bad backend at column 6"),
])
def test_bad_backend_requests(plugin_entry_points: None, text: str, message: str) -> None:
    with pytest.raises(BackendError, match=None) as info:
        build_backend(text)
    assert message in str(info.value)


def test_null_backend_emits_an_empty_stream_the_executor_times() -> None:
    target = load_target(default_target_path())
    out = NullBackend().emit(Module(name="tiny_moe", attrs={"model": "tiny-moe"}), target)
    assert out.text == 'stream @tiny_moe attributes {model = "tiny-moe", target = "mozart-wafer"} {\n}\n'
    assert out.stream is not None and parse_stream(out.text).stream == out.stream
    report = make_report(execute(out.stream, target))
    assert report["step_time_s"] == 0.0 and report["instructions"] == 0 and report["model"] == "tiny-moe"


def test_backends_command_lists_plugins(plugin_entry_points: None, cli: Callable[..., CliResult]) -> None:
    res = cli("backends")
    assert res.code == 0
    assert "echo: echo the module name [.txt]" in res.out and "null: an empty instruction stream" in res.out
    assert "times=<int>  default 1" in res.out
    data = json.loads(cli("backends", "--json").out)
    assert data["echo"]["options"][2]["choices"] == ["plain", "fancy"]
    assert "error" in data["misnamed"]


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """pip-installs examples/backend-plugin into a private folder; the environment that sees it."""
    tmp = tmp_path_factory.mktemp("plugin")
    src, site = tmp / "src", tmp / "site"
    shutil.copytree(REPO / "examples" / "backend-plugin", src)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(src)], check=True, capture_output=True)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}


def compile_with(env: dict[str, str], backend: str, out: Path) -> list[str]:
    subprocess.run([sys.executable, "-m", "mozartc", "compile", "tiny-moe", "--pipeline", "mozart-c",
                    "--emit", "isa", "--backend", backend, "-o", str(out)], env=env, check=True, capture_output=True)
    return out.read_text().splitlines()


def test_example_plugin_installed_with_pip_is_listed(plugin_env: dict[str, str], tmp_path: Path) -> None:
    env = plugin_env
    listing = subprocess.run([sys.executable, "-m", "mozartc", "backends"], env=env, capture_output=True,
                             text=True, check=True)
    assert "csv: per-chiplet CSV work list (example plug-in) [.csv]" in listing.stdout
    small = REPO / "tests" / "isa" / "data" / "small.mzs"
    script = ("from mozartc.backends import build_backend; from mozartc.isa.mzs import parse_stream_file;"
              "from mozartc_csv_backend import stream_rows, to_csv; b = build_backend('csv{source=ir}');"
              f"print(b.options_text()); s = parse_stream_file({str(small)!r}).stream;"
              "print(to_csv(['unit'], stream_rows(s)), end='')")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0] == "csv{source=ir}"
    assert lines[2].startswith("attention0,0,load,dram_load,m0.l0.fwd.w.attention,25165824,0,")
    # expert0 drives its weight load, its GEMM and its combine send (the dispatch belongs to the root)
    assert sum(1 for line in lines if line.startswith("expert0,")) == 3


@pytest.mark.slow
def test_compile_uses_the_installed_plugin(plugin_env: dict[str, str], tmp_path: Path) -> None:
    # end to end: mozartc compile --backend picks the installed plug-in (rows from the mozart stream)
    rows = compile_with(plugin_env, "csv", tmp_path / "work.csv")
    assert rows[0] == "unit,index,op,kind,label,bytes,flops,after" and len(rows) > 16
    assert {r.split(",")[0] for r in rows[1:]} >= {f"expert{e}" for e in range(16)}


@pytest.mark.slow
def test_example_plugin_reads_the_mapped_ir(plugin_env: dict[str, str], tmp_path: Path) -> None:
    rows = compile_with(plugin_env, "csv{source=ir}", tmp_path / "work.csv")
    assert rows[0] == "unit,layer,cluster,experts"
    assert {r.split(",")[0] for r in rows[1:]} == {f"expert{e}" for e in range(16)}
