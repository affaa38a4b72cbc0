"""Captured modules in the result cache (``mozartc/frontend/capture_cache.py``): a hit is the module a
capture gives (same printed bytes, same compile), it needs no torch, and damage or new inputs miss."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mozartc.cache import ResultCache
from mozartc.driver import CompileOptions, compile_model
from mozartc.frontend import capture, resolve_config
from mozartc.frontend.capture_cache import NAMESPACE, capture_cached, capture_key
from mozartc.ir import print_module
from mozartc.isa.mzs import print_stream
from tests.conftest import REPO

CONFIGS = REPO / "tests" / "frontend" / "data" / "configs"


@pytest.mark.parametrize("spec", ["tiny-moe", "olmoe-1b-7b-0924", str(CONFIGS / "mixtral-8x7b")])
def test_a_hit_prints_the_captured_module(spec: str, tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    captured = print_module(capture(spec, seq_len=64, micro_batch=2))
    cold = capture_cached(cache, spec, seq_len=64, micro_batch=2)
    warm = capture_cached(cache, spec, seq_len=64, micro_batch=2)
    assert (cache.stats.misses, cache.stats.hits) == (1, 1)
    assert print_module(cold) == print_module(warm) == captured


def test_cached_and_uncached_compiles_are_the_same_bytes(tmp_path: Path) -> None:
    options = CompileOptions(model="olmoe-1b-7b-0924", pipeline="mozart-c", target=str(REPO / "targets" / "wafer.toml"),
                             emit="isa", run=True)
    outputs = []
    for cache in (None, ResultCache(tmp_path), ResultCache(tmp_path)):
        result = compile_model(options, cache=cache)
        assert result.output is not None and result.output.stream is not None and result.report is not None
        outputs.append((print_module(result.module), print_stream(result.output.stream),
                        json.dumps(result.report, sort_keys=True)))
    assert outputs[0] == outputs[1] == outputs[2]


def test_a_hit_does_not_import_torch(tmp_path: Path) -> None:
    script = ("import sys\n"
              "from pathlib import Path\nfrom mozartc.cache import ResultCache\n"
              "from mozartc.frontend.capture_cache import capture_cached\n"
              f"capture_cached(ResultCache(Path({str(tmp_path)!r})), 'tiny-moe', seq_len=16, micro_batch=2)\n"
              "print('torch' in sys.modules)\n")
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO)
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO)
    assert (first.stdout, second.stdout) == ("True\n", "False\n")


@pytest.mark.parametrize("damage", ["{ not json", json.dumps({"key": "x", "value": {"mir": 3}}), "mir"])
def test_a_damaged_entry_is_captured_again_and_rewritten(tmp_path: Path, damage: str) -> None:
    cache = ResultCache(tmp_path)
    clean = print_module(capture_cached(cache, "tiny-moe", seq_len=16, micro_batch=2))
    (entry,) = (tmp_path / "v1" / NAMESPACE).glob("*/*.json")
    if damage == "mir":  # valid JSON whose module text does not parse
        stored = json.loads(entry.read_text())
        stored["value"]["mir"] = stored["value"]["mir"].replace("module @", "modul @")
        entry.write_text(json.dumps(stored))
    else:
        entry.write_text(damage)
    again = capture_cached(cache, "tiny-moe", seq_len=16, micro_batch=2)
    assert print_module(again) == clean
    assert json.loads(entry.read_text())["value"]["mir"] == clean  # rewritten


def test_the_key_follows_every_input() -> None:
    cfg = resolve_config("tiny-moe")
    base = capture_key(cfg, 16, 2, "f16")
    assert capture_key(resolve_config("tiny-moe"), 16, 2, "f16") == base
    others = {capture_key(cfg, 32, 2, "f16"), capture_key(cfg, 16, 4, "f16"), capture_key(cfg, 16, 2, "bf16"),
              capture_key(resolve_config("olmoe-1b-7b-0924"), 16, 2, "f16")}
    assert base not in others and len(others) == 4


def test_factory_specs_are_never_cached(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    capture_cached(cache, f"{REPO / 'examples' / 'my_moe.py'}:build", seq_len=16, micro_batch=2)
    assert cache.info().entries == {}
