"""Target loading: shipped targets load; every malformed file gives exit 2 naming file and key."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mozartc.errors import TargetError
from mozartc.hw import default_target_path, load_target
from tests.conftest import CliResult

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MALFORMED = HERE / "malformed"
EXPECTED: dict[str, str] = json.loads((MALFORMED / "expected.json").read_text())
SHIPPED = sorted((REPO / "mozartc" / "hw" / "targets").glob("*.toml"))


def test_default_target_is_shipped_wafer() -> None:
    path = default_target_path()
    assert path.name == "wafer.toml" and path.is_file()
    assert (REPO / "targets" / "wafer.toml").resolve() == path


def test_every_model_has_hbm_and_ssd_target() -> None:
    names = {p.stem for p in SHIPPED}
    for model in ("wafer", "qwen3-30b-a3b", "olmoe-1b-7b-0924", "deepseek-moe-16b-base"):
        assert model in names and f"{model}-ssd" in names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_targets_load(path: Path) -> None:
    target = load_target(path)
    if path.stem == "wafer-64":  # the paper's system scaled up: 16 groups of 4, one stack each + 2
        assert len(target.expert_chiplets) == 64 and target.groups == 16 and len(target.dram) == 18
        assert target.uplink_links() == 4616 * 4 // 16
    else:
        assert len(target.expert_chiplets) == 16 and target.groups == 4
        assert len(target.dram) == 6
    ssd = path.stem.endswith("-ssd")
    assert {d.bandwidth_gbps for d in target.dram} == ({15.8} if ssd else {256.0})
    kind = target.expert_chiplets[0].kind
    assert 36 <= kind.tiles <= 100 and kind.arrays_per_tile == 16 and 16 <= kind.array_rows <= 24


def test_per_model_sizing_follows_paper_area() -> None:
    # area per chiplet = paper area / 17; tiles scale with it (24x24 arrays kept)
    tiles = {m: load_target(REPO / "targets" / f"{m}.toml").expert_chiplets[0].kind.tiles
             for m in ("qwen3-30b-a3b", "olmoe-1b-7b-0924", "deepseek-moe-16b-base")}
    assert tiles == {"qwen3-30b-a3b": 100, "olmoe-1b-7b-0924": 72, "deepseek-moe-16b-base": 80}


def test_malformed_corpus_is_large_enough() -> None:
    assert len(EXPECTED) >= 15
    assert set(EXPECTED) == {p.name for p in MALFORMED.glob("*.toml")}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_target_exits_2(name: str, cli: Callable[..., CliResult]) -> None:
    path = MALFORMED / name
    res = cli("target", "show", path)
    assert res.code == 2
    err = res.err
    assert "Traceback" not in err
    lines = err.rstrip("\n").split("\n")
    assert lines[0].startswith(f"mozartc: error: {path}")
    assert EXPECTED[name] in lines[0]
    assert all(line.startswith(f"  {path}: ") for line in lines[1:])
    assert res.out == ""


def test_all_problems_reported_together(tmp_path: Path) -> None:
    text = default_target_path().read_text()
    text = text.replace("clock_ghz = 1.0 ", "clock_ghz = -1.0 ").replace("pitch_um = 50.0", "pitch_um = 0.0")
    text = text.replace("bump_rows = 8 ", "bump_rowz = 8 ")
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    with pytest.raises(TargetError) as info:
        load_target(bad)
    msg = str(info.value)
    assert msg.startswith(f"{bad}: ")
    for key in ("system.clock_ghz", "links.pitch_um", "links.bump_rowz", "did you mean 'bump_rows'"):
        assert key in msg


def test_unknown_key_suggestion_in_message() -> None:
    with pytest.raises(TargetError, match=r"switch\.latncy_ns: unknown key; did you mean 'latency_ns'"):
        load_target(MALFORMED / "unknown_key_typo.toml")


def test_missing_file_is_target_error(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="cannot read target file"):
        load_target(tmp_path / "nope.toml")


def test_syntax_error_has_line_and_column() -> None:
    with pytest.raises(TargetError) as info:
        load_target(MALFORMED / "syntax_error.toml")
    assert info.value.where == f"{MALFORMED / 'syntax_error.toml'}:10:13"


def test_heterogeneous_override(tmp_path: Path) -> None:
    text = default_target_path().read_text() + """
[chiplet_kinds.big_expert]
tiles = 100
arrays_per_tile = 16
array_rows = 32
array_cols = 32
dataflow = "ws"
sram_mb_per_tile = 4.0
sram_bandwidth_gbps_per_tile = 64.0
d2d_links_per_edge = 8000

[[chiplet_overrides]]
chiplet = "expert5"
kind = "big_expert"
"""
    path = tmp_path / "hetero.toml"
    path.write_text(text)
    target = load_target(path)
    big = target.chiplet("expert5")
    assert big.kind_name == "big_expert" and big.group == 1 and big.kind.array_rows == 32
    assert target.chiplet("expert4").kind.array_rows == 24
    assert target.links_per_edge(big) == 8000
    # 16 + 1 chiplets; one has 100*16*32*32 PEs, the rest 100*16*24*24
    assert target.peak_flops_total() == pytest.approx((16 * 921_600 + 1_638_400) * 2e9)


def test_target_is_frozen() -> None:
    target = load_target(default_target_path())
    with pytest.raises(AttributeError):
        target.groups = 5  # type: ignore[misc]
    with pytest.raises(ValueError):
        target.links.pitch_um = 1.0  # type: ignore[misc]
    assert hash(target) == hash(load_target(default_target_path()))  # usable as a cache key


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_targets_price_energy(path: Path) -> None:
    target = load_target(path)
    energy = target.spec.energy
    assert energy is not None and set(energy.dram) == {d.kind_name for d in target.dram}


def test_target_without_energy_table_loads(tmp_path: Path) -> None:
    text = default_target_path().read_text()
    bare = tmp_path / "bare.toml"
    bare.write_text(text[:text.index("\n[energy]")] + "\n")
    target = load_target(bare)
    assert target.spec.energy is None and target.name == load_target(default_target_path()).name
