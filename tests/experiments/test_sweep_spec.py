"""Sweep specs: parsed into frozen objects; every problem names the file and key (exit 2)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mozartc.errors import MozartError
from mozartc.experiments.sweep_spec import load_spec, pipeline_with_method
from mozartc.experiments.tomlw import dumps

REPO = Path(__file__).resolve().parents[2]
GOOD = """
[sweep]
model = "tiny-moe"
target = "wafer"

[axes]
links.bump_rows = [2, 8]
pipeline = ["mozart-b", "mozart-c"]
"""


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


def test_good_spec_is_frozen_and_sized(tmp_path: Path) -> None:
    spec = load_spec(_spec(tmp_path, GOOD))
    assert spec.size == 4
    assert [a.name for a in spec.axes] == ["links.bump_rows", "pipeline"]
    assert spec.axes[0].is_target_field and not spec.axes[1].is_target_field
    assert spec.fixed_value("seq_len") == 256
    with pytest.raises(AttributeError):
        spec.model = "x"  # type: ignore[misc]


def test_shipped_examples_parse() -> None:
    sizes = {p.stem: load_spec(p).size for p in (REPO / "examples" / "sweeps").glob("*.toml")}
    assert sizes["bump_rows"] == 200
    assert sizes["tiny"] == 8


@pytest.mark.parametrize(("text", "message"), [
    ("[sweep]\nmodel = 'tiny-moe'\npiepline = 'mozart-c'\n",
     r"spec.toml: sweep.piepline: unknown key; did you mean 'pipeline'"),
    ("[sweep]\nmodel = 'tiny-moe'\n[axis]\n", r"spec.toml: axis: unknown key; did you mean 'axes'"),
    ("[sweep]\ntarget = 'wafer'\n", r"spec.toml: sweep.model: missing"),
    ("[sweep]\nmodel = 'tiny-moe'\n[axes]\nlinks.bump_row = [1, 2]\n",
     r"spec.toml: axes.links.bump_row: unknown axis.*did you mean 'links.bump_rows'"),
    ("[sweep]\nmodel = 'tiny-moe'\n[axes]\npipline = ['mozart-c']\n",
     r"axes.pipline: unknown axis.*did you mean 'pipeline'"),
    ("[sweep]\nmodel = 'tiny-moe'\n[axes]\nlinks.bump_rows = [0, 2]\n",
     r"axes.links.bump_rows: value 0 gives an invalid target"),
    ("[sweep]\nmodel = 'tiny-moe'\n[axes]\nseq_len = [128, 'x']\n", r"axes.seq_len\[1\]: expected an integer"),
    ("[sweep]\nmodel = 'tiny-moe'\n[axes]\nseq_len = []\n", r"axes.seq_len: an axis must be a non-empty list"),
    ("[sweep]\nmodel = 'tiny-moe'\nseq_len = 64\n[axes]\nseq_len = [64, 128]\n", r"both fixed in \[sweep\] and swept"),
    ("[sweep]\nmodel = 'tiny-moe'\n[axes]\nclustering = ['greedy', 'kmeans']\n", r"option 'method' must be one of"),
    ("[sweep]\nmodel = 'tiny-moe'\ntarget = 'wafr'\n",
     r"sweep.target: no shipped target named 'wafr'; did you mean 'wafer'"),
    ("[sweep]\nmodel = 'tiny-moe'\npipeline = 'capture'\nclustering = 'greedy'\n", r"has no expert-cluster pass"),
    ("[sweep\n", r"spec.toml: not a valid TOML file"),
])
def test_bad_specs_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(MozartError, match=message):
        load_spec(_spec(tmp_path, text))


def test_cli_bad_spec_exits_2_with_one_line(cli, tmp_path: Path) -> None:
    path = _spec(tmp_path, "[sweep]\nmodel = 'tiny-moe'\n[axes]\nlinks.bump_row = [1]\n")
    result = cli("sweep", path, "--out", tmp_path / "out")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "did you mean 'links.bump_rows'" in result.err
    assert not (tmp_path / "out").exists()


def test_ray_engine_without_ray_says_how_to_install(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    result = cli("sweep", _spec(tmp_path, GOOD), "--out", tmp_path / "out", "--engine", "ray")
    assert result.code == 2
    assert "pip install mozartc[ray]" in result.err


def test_clustering_method_replaces_the_expert_cluster_method() -> None:
    text = pipeline_with_method("mozart-b", "greedy")
    assert text.startswith("expert-cluster{method=greedy},allocate{method=round-robin},a2a-dedup")
    assert pipeline_with_method("mozart-c", None) == "mozart-c"


def test_toml_writer_round_trips_every_shipped_target() -> None:
    for path in sorted((REPO / "targets").glob("*.toml")):
        raw = tomllib.loads(path.read_text())
        assert tomllib.loads(dumps(raw)) == raw, path.name
