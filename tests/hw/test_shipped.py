"""Named targets: ``--target wafer`` from any folder, ``mozartc target list``, and the errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from mozartc.errors import TargetError
from mozartc.hw import load_target
from mozartc.hw.shipped import DEFAULT_TARGET, list_shipped, resolve_target, shipped_names, shipped_path
from tests.conftest import REPO, CliResult

SHIPPED = sorted(p.stem for p in (REPO / "mozartc" / "hw" / "targets").glob("*.toml"))


def test_every_shipped_file_has_a_name() -> None:
    assert shipped_names() == SHIPPED and DEFAULT_TARGET in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_name_and_path_load_the_same_target(name: str) -> None:
    by_name = load_target(name)
    by_path = load_target(REPO / "targets" / f"{name}.toml")  # targets/ is a link to the package's folder
    assert by_name.source.resolve() == by_path.source.resolve()
    assert replace(by_name, source=by_path.source) == by_path


def test_name_resolves_from_another_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_target("wafer-64") == shipped_path("wafer-64")
    assert len(load_target("wafer-64").expert_chiplets) == 64


def test_an_existing_file_wins_over_a_shipped_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wafer").write_text((REPO / "targets" / "wafer-64.toml").read_text())
    assert resolve_target("wafer") == Path("wafer")
    assert len(load_target("wafer").expert_chiplets) == 64


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(TargetError, match=r"no shipped target named 'wafr'; did you mean 'wafer'\?"):
        load_target("wafr")


def test_a_missing_toml_path_is_a_missing_file_not_a_name(tmp_path: Path) -> None:
    with pytest.raises(TargetError) as err:
        load_target(tmp_path / "nope.toml")
    assert "nope.toml" in str(err.value) and "shipped target" not in str(err.value)


def test_target_list_text_and_json(cli: Callable[..., CliResult]) -> None:
    text = cli("target", "list")
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert len(lines) == len(SHIPPED) + 1
    assert [line.split()[0].rstrip("*") for line in lines[:-1]] == SHIPPED
    assert any(line.startswith(f"{DEFAULT_TARGET}*") for line in lines)
    rows = json.loads(cli("target", "list", "--json").out)
    assert [r["name"] for r in rows] == SHIPPED
    assert [r["name"] for r in rows if r["default"]] == [DEFAULT_TARGET]
    assert all(r["description"] for r in rows), "every shipped target describes itself in [system]"
    assert [t.name for t in list_shipped()] == SHIPPED


def test_show_by_name_equals_show_by_path(cli: Callable[..., CliResult]) -> None:
    by_name = cli("target", "show", "wafer", "--json")
    by_path = cli("target", "show", REPO / "targets" / "wafer.toml", "--json")
    assert by_name.code == 0
    named, pathed = json.loads(by_name.out), json.loads(by_path.out)
    assert {k: v for k, v in named.items() if k != "source"} == {k: v for k, v in pathed.items() if k != "source"}


def test_compile_with_unknown_target_name_exits_2(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "t.mzs"
    res = cli("compile", "tiny-moe", "--target", "wafr", "-o", out)
    assert res.code == 2 and "did you mean 'wafer'" in res.err and "Traceback" not in res.err
    assert not out.exists()
