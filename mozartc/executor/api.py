"""``mozartc run`` as a library call: parse a ``.mzs`` file, verify it against a target, time it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mozartc.executor.engine import Timeline, execute
from mozartc.executor.report import make_report
from mozartc.executor.workload import ExecOptions
from mozartc.hw import Target, default_target_path, load_target
from mozartc.hw.topology import Topology
from mozartc.isa.mzs import parse_stream_file
from mozartc.isa.signatures import StreamSignatures
from mozartc.isa.verify import verify_stream


@dataclass(frozen=True)
class RunResult:
    """A timed stream file: the timeline, its report and warnings for the user."""

    timeline: Timeline
    report: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def run_stream_file(path: str | Path, target: Target | str | Path | None = None,
                    options: ExecOptions | None = None) -> RunResult:
    """Parse, verify (errors name ``file:line:col``) and time the stream in ``path`` on ``target``.

    ``target`` is a loaded target, a TOML path or a shipped name; None is the shipped ``wafer``. A
    stream emitted for a target of another name is timed anyway, with a note.
    """
    parsed = parse_stream_file(path)
    machine = target if isinstance(target, Target) else load_target(target or default_target_path())
    topology = Topology.of(machine)
    # read once for the verifier, the executor and the report; the readers make every size an int
    signatures = StreamSignatures.of(parsed.stream, ints_known=True)
    verify_stream(parsed.stream, machine, parsed.source, topology=topology, signatures=signatures)
    notes: list[str] = []
    emitted_for = parsed.stream.attrs.get("target")
    if isinstance(emitted_for, str) and emitted_for != machine.name:
        notes.append(f"{path}: stream was emitted for target '{emitted_for}', timing it on '{machine.name}'")
    timeline = execute(parsed.stream, machine, options, check=False, topology=topology, signatures=signatures)
    return RunResult(timeline, make_report(timeline, signatures=signatures), notes)
