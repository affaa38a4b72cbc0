"""The foundation's command line: compile / opt / inspect, instrumentation, and bad input (exit 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mozartc.frontend.presets import preset_names
from mozartc.ir import parse_module, print_module
from mozartc.version import __version__
from tests.conftest import REPO, CliResult

Cli = Callable[..., CliResult]


def test_version_and_help(cli: Cli) -> None:
    assert cli("--version").out.strip() == f"mozartc {__version__}"
    for command in ("compile", "opt", "inspect"):
        result = cli(command, "--help")
        assert result.code == 0 and "usage: mozartc " + command in result.out


@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_compiles_and_round_trips_through_opt(cli: Cli, tmp_path: Path, preset: str) -> None:
    mir = tmp_path / "m.mir"
    # a plain capture involves no target, so no capacity check (qwen3 does not fit the paper's DRAM)
    assert cli("compile", preset, "--emit", "ir", "-o", mir).code == 0
    again = cli("opt", mir)
    assert again.code == 0
    assert again.out == mir.read_text()


def test_inspect_json_of_olmoe(cli: Cli, tmp_path: Path) -> None:
    mir = tmp_path / "o.mir"
    assert cli("compile", "olmoe-1b-7b-0924", "-o", mir).code == 0
    facts = json.loads(cli("inspect", mir, "--json").out)
    assert {k: facts[k] for k in ("model", "layers", "moe_layers", "experts", "shared_experts", "top_k", "hidden")} == {
        "model": "olmoe-1b-7b-0924", "layers": 16, "moe_layers": 16, "experts": 64, "shared_experts": 0,
        "top_k": 8, "hidden": 2048,
    }
    assert abs(facts["params_total"] - 6.92e9) / 6.92e9 < 0.01
    assert abs(facts["params_active"] - 1.3e9) / 1.3e9 < 0.05


def test_print_after_all_and_dump_dir_with_a_trivial_pipeline(cli: Cli, tmp_path: Path) -> None:
    dump = tmp_path / "dump"
    result = cli("compile", "tiny-moe", "--pipeline", "verify,summarize", "--print-after-all",
                 "--dump-dir", dump, "--time-passes", "-o", tmp_path / "t.mir")
    assert result.code == 0
    assert result.err.count("// ----- IR after") == 3
    assert "pass execution timing report" in result.err
    files = sorted(p.name for p in dump.iterdir())
    assert files == ["00-input.mir", "01-verify.mir", "02-summarize.mir"]
    for path in dump.iterdir():
        text = path.read_text()
        assert print_module(parse_module(text, str(path))) == text
        assert cli("opt", path).out == text
    # the compiled IR also records the pipeline that made it
    final = (tmp_path / "t.mir").read_text()
    assert 'pipeline = "verify,summarize"' in final.splitlines()[0]


def test_print_pipeline_spells_out_presets(cli: Cli) -> None:
    result = cli("compile", "tiny-moe", "--pipeline", "capture,summarize", "--print-pipeline")
    assert result.code == 0 and result.out.strip() == "verify,summarize"


def test_opt_reads_stdin(cli: Cli, small_mir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(small_mir.read_text()))
    assert cli("opt", "-").out == small_mir.read_text()


def test_capacity_check_fails_qwen_and_records_the_warning(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "q.mir"
    failed = cli("compile", "qwen3-30b-a3b", "--target", REPO / "targets" / "wafer.toml", "-o", out)
    assert failed.code == 2 and not out.exists()
    assert "needs 122.1 GB" in failed.err and "51.5 GB of DRAM" in failed.err
    warned = cli("compile", "qwen3-30b-a3b", "--target", REPO / "targets" / "wafer.toml", "--capacity", "warn",
                 "-o", out)
    assert warned.code == 0 and "mozartc: warning: training state" in warned.err
    assert 'capacity_warning = "training state of 30.53B parameters' in out.read_text().splitlines()[0]


# ---- bad input: exit 2, one line naming the place, no traceback, no output file ----------------

SMALL = (REPO / "tests" / "ir" / "data" / "small.mir").read_text()


def _mir(tmp: Path, old: str, new: str) -> Path:
    assert old in SMALL
    path = tmp / "bad.mir"
    path.write_text(SMALL.replace(old, new, 1))
    return path


def _bad_config(tmp: Path, text: str) -> Path:
    path = tmp / "config.json"
    path.write_text(text)
    return path


OLMOE_CONFIG = (REPO / "examples" / "configs" / "olmoe-1b-7b-0924" / "config.json")

BAD_INPUTS: list[tuple[str, Callable[[Path], list[object]], str]] = [
    ("ir syntax", lambda t: ["opt", _mir(t, "%l0.h = add(%h0, %l0.attn)", "%l0.h = add(%h0 %l0.attn)")],
     "bad.mir:7:"),
    ("unknown op", lambda t: ["opt", _mir(t, "= mlp(", "= mlpp(")], "bad.mir:9:5: unknown op 'mlpp'"),
    ("wrong attribute type", lambda t: ["opt", _mir(t, "{dim = 8, ffn_dim = 16,", '{dim = 8, ffn_dim = "16",')],
     "bad.mir:9:5: 'mlp' op (%l0.mlp): attribute 'ffn_dim' must be a positive integer"),
    ("use before def", lambda t: ["opt", _mir(t, "add(%h0, %l0.attn)", "add(%h0, %l0.mlp)")],
     "bad.mir:7:5: 'add' op (%l0.h): operand %l0.mlp is used before it is defined"),
    ("top_k > experts", lambda t: ["opt", _mir(t, "experts = 4, top_k = 2, dim = 8, params = 32",
                                              "experts = 4, top_k = 6, dim = 8, params = 32")],
     "top_k (6) exceeds experts (4)"),
    ("inspect bad ir", lambda t: ["inspect", _mir(t, "layer 1 attributes", "layer 0 attributes"), "--json"],
     "bad.mir:12:3:"),
    ("missing ir file", lambda t: ["opt", t / "nope.mir"], "nope.mir: cannot read IR file"),
    ("bad config.json syntax", lambda t: ["compile", _bad_config(t, "{not json")], "config.json"),
    ("config.json top_k > experts", lambda t: ["compile", _bad_config(
        t, OLMOE_CONFIG.read_text().replace('"num_experts_per_tok": 8', '"num_experts_per_tok": 80'))],
     "config.json"),
    ("config.json missing field", lambda t: ["compile", _bad_config(
        t, OLMOE_CONFIG.read_text().replace('"hidden_size"', '"hidden_sise"'))], "hidden_size"),
    ("unknown preset", lambda t: ["compile", "mixtral-9000"], "unknown model preset 'mixtral-9000'"),
    ("unknown pass", lambda t: ["compile", "tiny-moe", "--pipeline", "verify,fold-everything"],
     "unknown pass 'fold-everything'"),
    ("bad pass option", lambda t: ["opt", REPO / "tests" / "ir" / "data" / "small.mir", "--passes", "verify{level=3}"],
     "pass 'verify' has no option 'level'"),
    ("bad pipeline syntax", lambda t: ["compile", "tiny-moe", "--pipeline", "verify{"], "bad pipeline at column 8"),
    ("non-positive seq-len", lambda t: ["compile", "tiny-moe", "--seq-len", "0"], "--seq-len: must be a positive"),
    ("factory file missing", lambda t: ["compile", f"{t / 'nothere.py'}:build"], "nothere.py"),
]


@pytest.mark.parametrize(("case", "make_args", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_exits_2_with_one_clear_line(cli: Cli, tmp_path: Path, case: str,
                                               make_args: Callable[[Path], list[object]], message: str) -> None:
    out = tmp_path / "out.mir"
    result = cli(*make_args(tmp_path), "-o", out) if case != "inspect bad ir" else cli(*make_args(tmp_path))
    assert result.code == 2, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("mozartc: error: ")
    assert message in lines[0]
    assert "Traceback" not in result.err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.mir")]


def test_passes_lists_every_pass_with_options(cli: Cli) -> None:
    result = cli("passes")
    assert result.code == 0
    assert "expert-cluster: " in result.out and "    method=<" in result.out
    info = json.loads(cli("passes", "--json").out)
    assert {"verify", "summarize", "expert-cluster"} <= set(info["passes"])
    assert info["presets"]["capture"] == "verify"


def test_inspect_text_leaves_out_facts_an_unmapped_module_lacks(cli: Cli, tmp_path: Path) -> None:
    mir = tmp_path / "t.mir"
    assert cli("compile", "tiny-moe", "-o", mir).code == 0
    text = cli("inspect", mir).out
    keys = [line.split()[0] for line in text.splitlines()]
    # tiny-moe has no multi-token-prediction modules: no mtp_layers line (deepseek-v3 shows 1)
    assert "params_total" in keys and not {"C_T", "group_load", "sram", "mtp_layers"} & set(keys)
    assert "None" not in text and "[]" not in text and "{}" not in text
    # JSON keeps every key (null or empty), so scripts see one schema
    facts = json.loads(cli("inspect", mir, "--json").out)
    assert facts["C_T"] is None and facts["group_load"] == [] and facts["mtp_layers"] == 0
