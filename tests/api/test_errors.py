"""Library errors name the parameter, never a command-line flag; the CLI shows its flag instead.

Each case raises one error twice: through the library (the message has no ``--`` and names the
parameter as Python spells it) and through the command line (exit 2, the flag of that command).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mozartc
from mozartc.experiments.tomlw import dumps
from tests.conftest import REPO, CliResult

Cli = Callable[..., CliResult]


def _small_sram(tmp: Path) -> Path:
    """The wafer with one 0.01 MB tile per attention chiplet: no micro-batch's working set fits."""
    tables = mozartc.Target.named("wafer").to_dict()
    tables["chiplet_kinds"]["attention"].update(tiles=1, sram_mb_per_tile=0.01)
    path = tmp / "small-sram.toml"
    path.write_text(dumps(tables))
    return path


def _tokens(tmp: Path, ids: str = "1 2 3 4 5 6 7 8") -> Path:
    path = tmp / "ids.txt"
    path.write_text(ids + "\n")
    return path


def _mzs(tmp: Path) -> Path:
    path = tmp / "t.mzs"
    path.write_text(mozartc.compile("tiny-moe", pipeline="mozart-a").stream_text)
    return path


def _profile(tmp: Path, spec: str, **kwargs: Any) -> object:
    from mozartc.frontend.profiler import profile

    return profile(spec, np.loadtxt(_tokens(tmp, kwargs.pop("ids", "1 2 3 4")), dtype=np.int64), **kwargs)


def _reproduce(**kwargs: Any) -> object:
    from mozartc.experiments.reproduce import ReproduceOptions, plan

    return plan(ReproduceOptions(**kwargs))


def _synth(tokens: int = 100, preset: str = "mixed-text") -> object:
    from mozartc.frontend import trace_shape
    from mozartc.traces import synth_params, synthesize_model

    return synthesize_model(trace_shape("tiny-moe"), tokens, params=synth_params(preset))


def _cluster(method: str) -> object:
    from mozartc.solvers.clustering import cluster_trace

    return cluster_trace(_synth(), 8, method)


def _sweep(tmp: Path, **kwargs: Any) -> object:
    from mozartc.experiments.sweep import run_sweep
    from mozartc.experiments.sweep_spec import load_spec

    return run_sweep(load_spec(REPO / "examples" / "sweeps" / "tiny.toml"), tmp / "out", **kwargs)


@dataclass(frozen=True)
class Case:
    """An error: the library call, the text its message has; the CLI's arguments, the text of its line."""

    id: str
    api: Callable[[Path], object]
    api_text: str
    argv: Callable[[Path], list[Any]] | None = None
    cli_text: str = ""


CASES = [
    Case("seq_len", lambda t: mozartc.compile("tiny-moe", seq_len=0), "seq_len: must be a positive integer, got 0",
         lambda t: ["compile", "tiny-moe", "--seq-len", "0"], "--seq-len: must be a positive integer, got 0"),
    Case("micro_batches", lambda t: mozartc.compile("tiny-moe", micro_batches=-1), "micro_batches: must be",
         lambda t: ["compile", "tiny-moe", "--micro-batches", "-1"], "--micro-batches: must be"),
    Case("capacity overflow", lambda t: mozartc.compile("qwen3-30b-a3b", "wafer"),
         "(use `capacity='warn'` to continue)",
         lambda t: ["compile", "qwen3-30b-a3b", "--target", "wafer", "-o", t / "q.mir"],
         "(use --capacity warn to continue)"),
    Case("sram too small", lambda t: mozartc.compile("tiny-moe", _small_sram(t)),
         "or lower `micro_batch` or `seq_len`",
         lambda t: ["compile", "tiny-moe", "--target", _small_sram(t), "--pipeline", "mozart-c"],
         "or lower --micro-batch or --seq-len"),
    Case("no schedule", lambda t: mozartc.compile("tiny-moe", pipeline="verify").run(),
         "(e.g. `pipeline='mozart-c'`) before the mozart backend",
         lambda t: ["compile", "tiny-moe", "--pipeline", "verify", "--run"],
         "(e.g. --pipeline mozart-c) before the mozart backend"),
    Case("compute_efficiency", lambda t: mozartc.run(_mzs(t), compute_efficiency=0),
         "compute_efficiency: must be positive, got 0",
         lambda t: ["run", _mzs(t), "--compute-efficiency", "0"], "--compute-efficiency: must be positive, got 0"),
    Case("capacity mode", lambda t: mozartc.compile("tiny-moe", "wafer", capacity="maybe"),
         "capacity: must be 'error' or 'warn', got 'maybe'"),
    Case("optimizer", lambda t: mozartc.compile("tiny-moe", "wafer", optimizer="lion"),
         "optimizer: unknown optimizer 'lion'"),
    Case("clustering method", lambda t: _cluster("spectral"), "method: unknown clustering method 'spectral'",
         lambda t: ["cluster", "--trace", _trace(t), "--method", "spectral"],
         "--method: unknown clustering method 'spectral'"),
    Case("synthetic tokens", lambda t: _synth(tokens=0), "tokens: a synthetic trace needs",
         lambda t: ["traces", "synth", "tiny-moe", "--tokens", "0", "-o", t / "s.npz"],
         "--tokens: a synthetic trace needs"),
    Case("synthetic preset", lambda t: _synth(preset="zipf"), "preset: unknown synthetic preset 'zipf'",
         lambda t: ["traces", "synth", "tiny-moe", "--tokens", "10", "--preset", "zipf", "-o", t / "s.npz"],
         "--preset: unknown synthetic preset 'zipf'"),
    Case("profile seq_len", lambda t: _profile(t, "tiny-moe", seq_len=0), "seq_len: must be positive, got 0",
         lambda t: ["profile", "tiny-moe", "--tokens", _tokens(t), "--seq-len", "0", "-o", t / "p.npz"],
         "--seq-len: must be positive, got 0"),
    Case("profile token ids", lambda t: _profile(t, "tiny-moe", ids="1 99999999"), "tokens: token id 99999999",
         lambda t: ["profile", "tiny-moe", "--tokens", _tokens(t, "1 99999999"), "-o", t / "p.npz"],
         "--tokens: token id 99999999"),
    Case("profile weights", lambda t: _profile(t, f"{REPO}/examples/my_moe.py:build"),
         "a user module needs `weights`",
         lambda t: ["profile", f"{REPO}/examples/my_moe.py:build", "--tokens", _tokens(t), "-o", t / "p.npz"],
         "a user module needs --weights"),
    Case("reproduce drams", lambda t: _reproduce(drams=("hbm3",)), "drams: unknown DRAM kind 'hbm3'",
         lambda t: ["reproduce", "--dram", "hbm3", "--out", t / "r"], "--dram: unknown DRAM kind 'hbm3'"),
    Case("reproduce seq_lens", lambda t: _reproduce(seq_lens=(0,)), "seq_lens: sequence lengths must be positive",
         lambda t: ["reproduce", "--seq-lens", "0", "--out", t / "r"], "--seq-lens: sequence lengths must be"),
    Case("reproduce pipelines", lambda t: _reproduce(pipelines=("mozart-d",)), "pipelines: unknown rung 'mozart-d'",
         lambda t: ["reproduce", "--pipelines", "mozart-d", "--out", t / "r"], "--pipelines: unknown rung 'mozart-d'"),
    Case("reproduce models", lambda t: _reproduce(models=()), "models: needs at least one value"),
    Case("reproduce jobs", lambda t: _run_jobs(0), "jobs: must be a positive integer, got 0",
         lambda t: ["reproduce", "--models", "tiny-moe", "--seq-lens", "64", "--dram", "hbm2", "--jobs", "0",
                    "--out", t / "r"], "--jobs: must be a positive integer, got 0"),
    Case("sweep jobs", lambda t: _sweep(t, jobs=0), "jobs: must be a positive integer, got 0",
         lambda t: ["sweep", REPO / "examples" / "sweeps" / "tiny.toml", "--jobs", "0", "--out", t / "s"],
         "--jobs: must be a positive integer, got 0"),
    Case("sweep engine", lambda t: _sweep(t, engine="dask"), "engine: unknown engine 'dask'"),
]


def _trace(tmp: Path) -> Path:
    from mozartc.traces import save_trace

    path = tmp / "tiny.npz"
    save_trace(_synth(), path)
    return path


def _run_jobs(workers: int) -> object:
    from mozartc.experiments.runner import run_jobs_local

    run_jobs_local([], workers, lambda key, outcome: None)
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_library_errors_name_parameters_and_the_cli_names_flags(case: Case, cli: Cli, tmp_path: Path) -> None:
    with pytest.raises(mozartc.MozartError) as err:
        case.api(tmp_path)
    message = str(err.value)
    assert "--" not in message and case.api_text in message, message
    if case.argv is not None:
        result = cli(*case.argv(tmp_path))
        assert result.code == 2 and "mozartc: error: " in result.err, result.err
        assert case.cli_text in result.err, result.err


def test_the_cli_maps_only_flags_its_command_has(cli: Cli, tmp_path: Path) -> None:
    """``compile`` has no ``--method``: a clustering-method error from a pass keeps the parameter."""
    from mozartc.cli._common import error_line

    err = mozartc.MozartError("unknown clustering method 'x'; use `method='greedy'`", where="method")
    assert error_line(err, {"seq_len": "--seq-len"}) == "method: unknown clustering method 'x'; use `method='greedy'`"
    assert error_line(err, {"method": "--method"}) == "--method: unknown clustering method 'x'; use --method greedy"
    path = mozartc.MozartError("cannot read", where="seq_len.toml")
    assert error_line(path, {"seq_len": "--seq-len"}) == "seq_len.toml: cannot read"
