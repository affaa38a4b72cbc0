"""``mozartc cluster`` and ``mozartc traces``: records, exit code 2 on bad input, no partial files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest


def test_cluster_json(cli: Callable[..., Any], tiny: Path) -> None:
    r = cli("cluster", "--trace", tiny, "--clusters", "8", "--method", "greedy", "--json")
    assert r.code == 0, r.err
    record = json.loads(r.out)
    assert record["method"] == "greedy" and len(record["per_layer_C_T"]) == 3
    assert record["C_T"] == pytest.approx(np.mean(record["per_layer_C_T"]))
    assert r.out == cli("cluster", "--trace", tiny, "--clusters", "8", "--method", "greedy", "--json").out


def test_cluster_cache_gives_the_same_record(cli: Callable[..., Any], tiny: Path, private_cache: Path) -> None:
    args = ("cluster", "--trace", tiny, "--clusters", "8", "--method", "greedy", "--json")
    uncached = cli(*args, "--no-cache").out
    assert not private_cache.joinpath("v1").exists()
    cold = cli(*args).out
    assert len(list(private_cache.glob("v1/clustering/*/*.json"))) == 3  # one entry per layer
    assert uncached == cold == cli(*args).out
    compare = json.loads(cli("cluster", "--trace", tiny, "--clusters", "8", "--compare", "--methods", "greedy",
                             "--json").out)
    assert compare[0]["cached_layers"] == 3 and compare[0]["C_T"] == json.loads(cold)["C_T"]


def test_cluster_compare_and_holdout(cli: Callable[..., Any], tiny: Path) -> None:
    r = cli("cluster", "--trace", tiny, "--clusters", "8", "--compare", "--methods", "contiguous,greedy",
            "--holdout", "0.5", "--json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert [row["method"] for row in rows] == ["contiguous", "greedy"]
    assert rows[1]["holdout_C_T"] < rows[0]["holdout_C_T"]
    table = cli("cluster", "--trace", tiny, "--clusters", "8", "--compare", "--methods", "greedy")
    assert table.code == 0 and "intra-cluster" in table.out


def test_traces_stats_and_synth(cli: Callable[..., Any], tiny: Path, tmp_path: Path) -> None:
    r = cli("traces", "stats", tiny, "--json")
    assert r.code == 0 and json.loads(r.out)["num_experts"] == 32
    assert cli("traces", "stats", tiny).code == 0
    out = tmp_path / "s.npz"
    assert cli("traces", "synth", "tiny-moe", "--tokens", "100", "--seed", "1", "-o", out).code == 0
    first = out.read_bytes()
    assert cli("traces", "synth", "tiny-moe", "--tokens", "100", "--seed", "1", "-o", out).code == 0
    assert out.read_bytes() == first


def test_traces_import(cli: Callable[..., Any], tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("layer,token,e0,e1\n0,0,0,1\n0,1,2,3\n")
    r = cli("traces", "import", tmp_path / "t.csv", "--num-experts", "4", "-o", tmp_path / "t.npz")
    assert r.code == 0, r.err
    assert cli("cluster", "--trace", tmp_path / "t.npz", "--clusters", "2", "--method", "greedy").code == 0


def _bad(tmp: Path, name: str, **arrays: Any) -> Path:
    path = tmp / name
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(("kind", "fragment"), [
    ("shape", "expected shape [layers, tokens, k]"),
    ("range", "expert id 40 out of range 0..31"),
    ("k", "top_k is 4"),
    ("empty", "empty trace"),
    ("notnpz", "not a .npz file"),
    ("aggregate", "no 'topk' array"),
    ("clusters", "40 clusters but only 32 experts: there are more clusters than experts"),
    ("method", "unknown clustering method"),
])
def test_malformed_inputs_exit_2(cli: Callable[..., Any], tmp_path: Path, kind: str, fragment: str) -> None:
    good = np.tile(np.arange(4), (2, 3, 1))
    clusters, method = "8", "greedy"
    if kind == "shape":
        path = _bad(tmp_path, "t.npz", topk=good[0], num_experts=32, top_k=4)
    elif kind == "range":
        path = _bad(tmp_path, "t.npz", topk=good + 37, num_experts=32, top_k=4)
    elif kind == "k":
        path = _bad(tmp_path, "t.npz", topk=good[:, :, :3], num_experts=32, top_k=4)
    elif kind == "empty":
        path = _bad(tmp_path, "t.npz", topk=good[:, :0], num_experts=32, top_k=4)
    elif kind == "notnpz":
        path = tmp_path / "t.npz"
        path.write_text("layer,token\n")
    elif kind == "aggregate":
        path = _bad(tmp_path, "t.npz", counts=np.ones((3, 32)), kind=np.array("aggregate"))
    else:
        path = _bad(tmp_path, "t.npz", topk=good, num_experts=32, top_k=4)
        clusters, method = ("40", "greedy") if kind == "clusters" else ("8", "nope")
    out = tmp_path / "out.json"
    for argv in (("cluster", "--trace", path, "--clusters", clusters, "--method", method, "-o", out),
                 ("traces", "stats", path)):
        if kind in ("clusters", "method") and argv[0] == "traces":
            continue
        r = cli(*argv)
        assert r.code == 2, (kind, r.err)
        assert fragment in r.err and "Traceback" not in r.err
        assert len(r.err.strip().splitlines()) == 1
        assert "t.npz" in r.err or kind in ("clusters", "method")
        assert kind != "clusters" or "--clusters N with 1 <= N <= 32" in r.err
    assert not out.exists()
