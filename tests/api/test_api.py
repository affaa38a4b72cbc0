"""The public API: ``import mozartc`` is cheap, targets from names, files and tables, compile and
run give the report the command line writes, and the typed Report round-trips every key."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

import mozartc
from mozartc.hw.shipped import shipped_path
from tests.conftest import REPO, CliResult

Cli = Callable[..., CliResult]


def test_import_is_cheap_and_exposes_the_api() -> None:
    heavy = ("torch", "ortools", "matplotlib", "networkx", "pydantic", "lark")
    code = (f"import sys, mozartc; print(sorted(m for m in {heavy!r} if m in sys.modules)); "
            "print(sorted(n for n in dir(mozartc) if not n.startswith('_')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO), "PATH": ""}).stdout.splitlines()
    assert out[0] == "[]"
    for name in ("compile", "run", "Target", "Report", "Compiled", "MozartError", "CapacityError", "TargetError"):
        assert name in out[1]
    with pytest.raises(AttributeError, match="no attribute 'compiel'"):
        _ = mozartc.compiel  # type: ignore[attr-defined]  # the misspelling is the point


def test_targets_from_a_name_a_file_and_tables(tmp_path: Path) -> None:
    wafer = mozartc.Target.named("wafer")
    assert wafer.name == "mozart-wafer" and wafer.source == shipped_path("wafer")
    assert mozartc.Target.from_file("wafer") == wafer == mozartc.Target.from_file(shipped_path("wafer"))
    tables = wafer.to_dict()
    again = mozartc.Target.from_dict(tables, name="copy")
    assert again.spec == wafer.spec and again.chiplets == wafer.chiplets and again.source is None
    # to_dict is fresh: changing it changes the next target, not this one
    tables["dram_kinds"]["hbm2"]["bandwidth_gbps"] = 512.0
    faster = mozartc.Target.from_dict(tables)
    assert {d.bandwidth_gbps for d in faster.dram} == {512.0} and {d.bandwidth_gbps for d in wafer.dram} == {256.0}
    # a file in the working folder wins over a shipped name for from_file, never for named
    (tmp_path / "wafer").write_text("not toml [")
    with pytest.raises(mozartc.TargetError, match="no shipped target named 'wafr'; did you mean 'wafer'"):
        mozartc.Target.named("wafr")
    tables["links"]["bump_rows"] = 0
    with pytest.raises(mozartc.TargetError, match=r"^mine: links.bump_rows"):
        mozartc.Target.from_dict(tables, name="mine")


def test_a_capture_compiles_without_lowering(cli: Cli) -> None:
    captured = mozartc.compile("tiny-moe", pipeline="capture")
    assert captured.ir_text == cli("compile", "tiny-moe", "--pipeline", "capture").out
    with pytest.raises(mozartc.BackendError, match="the module has no schedule"):
        _ = captured.stream


@pytest.fixture(scope="module")
def tiny_cli() -> tuple[str, str, str]:
    """(stdout, stderr, ``--report`` file) of ``mozartc compile tiny-moe ... --run --json --report F``."""
    from mozartc.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.json"
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["compile", "tiny-moe", "--target", "wafer", "--pipeline", "mozart-c", "--run", "--json",
                         "--report", str(path)])
        assert code == 0, stderr.getvalue()
        return stdout.getvalue(), stderr.getvalue(), path.read_text()


@pytest.fixture(scope="module")
def tiny() -> mozartc.Compiled:
    return mozartc.compile("tiny-moe", target="wafer")


def test_compile_run_json_prints_the_report_and_nothing_else(tiny_cli: tuple[str, str, str]) -> None:
    stdout, stderr, written = tiny_cli
    assert stdout == written  # the report JSON, byte for byte, and nothing else on stdout
    assert json.loads(stdout)["model"] == "tiny-moe"
    assert "step time" not in stderr and "breakdown" not in stderr  # no human summary with --json


def test_compile_json_needs_run(cli: Cli) -> None:
    r = cli("compile", "tiny-moe", "--json")
    assert r.code == 2 and r.out == "" and "--json: needs --run" in r.err


def test_compile_and_run_give_the_cli_report(tiny: mozartc.Compiled, tiny_cli: tuple[str, str, str],
                                             tmp_path: Path) -> None:
    stdout, _, _ = tiny_cli
    assert tiny.target == mozartc.Target.named("wafer") and tiny.pipeline.startswith("expert-cluster{method=cpsat")
    assert tiny.module.attrs["model"] == "tiny-moe" and tiny.stream is not None
    report = tiny.run()
    assert isinstance(report, mozartc.Report) and report.to_json() == stdout
    # the same stream timed again, as an object and as a .mzs file, gives the same report
    assert mozartc.run(tiny.stream).to_json() == stdout
    mzs = tmp_path / "t.mzs"
    mzs.write_text(tiny.stream_text)
    assert mozartc.run(mzs, mozartc.Target.named("wafer")).to_json() == stdout
    # the executor's options reach it
    other = tiny.run(compute_efficiency=0.25, gemm_sram_bound=True)
    assert other.executor["compute_efficiency"] == 0.25 and other.executor["gemm_sram_bound"] is True
    # a stream is verified against the target it is timed on
    with pytest.raises(mozartc.VerifyError, match="unknown resource 'dram16'"):
        mozartc.run(mozartc.compile("tiny-moe", target="wafer-64").stream, "wafer")


def test_every_report_key_is_a_typed_field_and_round_trips(tiny_cli: tuple[str, str, str]) -> None:
    stdout, _, _ = tiny_cli
    data = json.loads(stdout)
    fields = {f.name: f for f in dataclasses.fields(mozartc.Report)}
    assert set(data) <= set(fields) and set(fields) - set(data) == {"capacity_warning"}
    report = mozartc.Report.from_json(stdout)
    for key, value in data.items():
        assert getattr(report, key) == value, key
    assert report.to_dict() == data and report.to_json() == stdout
    assert mozartc.Report.from_dict(report.to_dict()) == report
    assert report.summary().startswith("tiny_moe on mozart-wafer: ")


def test_reports_without_energy_and_with_a_capacity_warning_round_trip(tiny_cli: tuple[str, str, str]) -> None:
    data = json.loads(tiny_cli[0])
    for key in ("energy_j", "energy_per_token_j", "average_power_w", "tokens_per_step"):
        del data[key]  # a target without an [energy] table
    data["capacity_warning"] = "training state does not fit"
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    report = mozartc.Report.from_json(text)
    assert report.energy_j is None and report.average_power_w is None and report.to_json() == text


def test_a_capacity_warning_reaches_the_report() -> None:
    tables = mozartc.Target.named("wafer").to_dict()
    # 6 stacks of 0.25 MiB: 1.57 MB, less than tiny-moe's 1.51 MB of weights and as much of gradients
    tables["dram_kinds"]["hbm2"]["capacity_mb"] = 0.25
    small = mozartc.Target.from_dict(tables, name="small-dram")
    with pytest.raises(mozartc.CapacityError, match=r"^mozart-wafer: .*\(use `capacity='warn'` to continue\)$"):
        mozartc.compile("tiny-moe", small)
    with pytest.warns(mozartc.MozartWarning):
        compiled = mozartc.compile("tiny-moe", small, capacity="warn")
    report = compiled.run()
    assert report.capacity_warning is not None and "does not fit" in report.capacity_warning
    assert any("does not fit" in note for note in compiled.notes)
    assert json.loads(report.to_json())["capacity_warning"] == report.capacity_warning


@pytest.mark.parametrize(("text", "message"), [
    ("[1, 2]", "<report>: a report is a JSON object, got list"),
    ("{\"step_tim_s\": 1}", "<report>: step_tim_s: unknown report key; did you mean 'step_time_s'?"),
    ("{", "<report>:1:2: not JSON"),
])
def test_bad_reports_are_named(text: str, message: str) -> None:
    with pytest.raises(mozartc.MozartError) as err:
        mozartc.Report.from_json(text)
    assert str(err.value).startswith(message)


def test_bad_report_values_name_the_key(tiny_cli: tuple[str, str, str], tmp_path: Path) -> None:
    data = json.loads(tiny_cli[0])
    data["breakdown_s"]["compute"] = "fast"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(mozartc.MozartError, match=r"r.json: breakdown_s.compute: Input should be a valid number"):
        mozartc.Report.from_file(path)
    del data["step_time_s"]
    with pytest.raises(mozartc.MozartError, match=r"<report>: step_time_s: Field required"):
        mozartc.Report.from_dict(data)
