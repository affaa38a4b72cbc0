"""Read and validate a target TOML file (or the tables it would hold) into a :class:`TargetSpec`.

All problems in a file are collected and raised together in one :class:`TargetError`: the first
line names the file and key of the first problem, each further problem follows on its own line.
:class:`mozartc.hw.target.Target` resolves a spec into the machine (``Target.from_file``,
``Target.from_dict``, ``Target.named``).
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mozartc.errors import TargetError
from mozartc.hw.schema import TargetSpec, sram_bandwidth_gbps_per_tile
from mozartc.hw.shipped import DEFAULT_TARGET, SHIPPED_DIR, resolve_target, shipped_path

Problem = tuple[str, str]  # (key path, what is wrong and what was expected)

_UNITS = {"_ghz": "GHz", "_gbps": "GB/s", "_gbps_per_tile": "GB/s", "_gbps_per_link": "GB/s",
          "_mb": "MiB", "_mb_per_tile": "MiB", "_ns": "ns", "_um": "um", "_mm2": "mm^2", "_nm": "nm",
          "_pj": "pJ", "_pj_per_bit": "pJ/bit", "_w": "W", "_w_per_tile": "W"}
#: keys that earlier versions accepted, with what replaces them
_REMOVED_KEYS: dict[str, str] = {
    "switch.blocking": "was removed in mozartc 0.2: a switch is a crossbar whose capacity "
                       "switch.bandwidth_gbps is shared max-min fairly by the flows through it "
                       "(docs/executor.md); for a one-transaction bus set bandwidth_gbps to one port's bandwidth",
}
_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def default_target_path() -> Path:
    """The shipped default target, the paper's system (``targets/wafer.toml``)."""
    return shipped_path(DEFAULT_TARGET)


def read_target_spec(path: str | Path) -> tuple[TargetSpec, Path]:
    """The validated spec in the target file at ``path`` (or the shipped target of that name,
    :mod:`mozartc.hw.shipped`) and the file it was read from; TargetError listing every problem."""
    file = resolve_target(path)
    name = str(file) if file.parent == SHIPPED_DIR and str(path) != str(file) else str(path)
    return parse_target_spec(_read_toml(file, name), name), file


def parse_target_spec(raw: dict[str, Any], name: str) -> TargetSpec:
    """Validate the raw TOML table ``raw`` (read from file ``name``) into a TargetSpec."""
    problems = _unknown_keys(raw, TargetSpec, "")
    try:
        spec = TargetSpec.model_validate(raw)
    except ValidationError as err:
        reported = {key for key, _ in problems}
        for error in err.errors():
            key, msg = _describe(error)
            if error["type"] != "extra_forbidden":
                problems.append((key, msg))
            elif key not in reported:  # the walker reports these with a suggestion
                problems.append((key, "unknown key"))
        _raise(name, problems)
        raise AssertionError("a ValidationError always yields a problem") from err
    problems += _cross_checks(spec)
    _raise(name, problems)
    return spec


def _read_toml(path: Path, name: str) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise TargetError(f"cannot read target file ({err.strerror or err})", where=name) from None
    except UnicodeDecodeError as err:
        raise TargetError(f"target file is not UTF-8 text ({err.reason})", where=name) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = str(err)
        pos = _TOML_POS.search(msg)
        where = f"{name}:{pos.group(1)}:{pos.group(2)}" if pos else name
        raise TargetError(f"TOML syntax error: {_TOML_POS.sub('', msg)}", where=where) from None


def _raise(name: str, problems: list[Problem]) -> None:
    if not problems:
        return
    (key, msg), rest = problems[0], problems[1:]
    more = f" (and {len(rest)} more problem{'s' if len(rest) > 1 else ''})" if rest else ""
    lines = [f"{msg}{more}"] + [f"  {name}: {k}: {m}" for k, m in rest]
    raise TargetError("\n".join(lines), where=f"{name}: {key or '(top level)'}")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _model_args(annotation: Any) -> list[Any]:
    """The model classes reachable from a field annotation: Model, dict[str, Model], list[Model], X | None."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _model_args(a)]
    return [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []


def _unknown_keys(raw: Any, model: type[BaseModel], path: str) -> list[Problem]:
    """Keys of ``raw`` that ``model`` does not define (recursively), each with a "did you mean"."""
    if not isinstance(raw, dict):
        return []
    fields = model.model_fields
    problems: list[Problem] = []
    for key, value in raw.items():
        here = _join(path, key)
        if here in _REMOVED_KEYS:
            problems.append((here, _REMOVED_KEYS[here]))
            continue
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append((here, f"unknown key{hint} (allowed: {', '.join(fields)})"))
            continue
        annotation = fields[key].annotation
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is dict and isinstance(value, dict) and _model_args(args[1]):
            for sub, item in value.items():
                problems += _unknown_keys(item, _model_args(args[1])[0], _join(here, sub))
        elif origin is list and isinstance(value, list) and _model_args(args[0]):
            for i, item in enumerate(value):
                problems += _unknown_keys(item, _model_args(args[0])[0], _join(here, i))
        else:
            for sub_model in _model_args(annotation)[:1]:
                problems += _unknown_keys(value, sub_model, here)
    return problems


def _unit_of(key: str) -> str | None:
    for suffix, unit in sorted(_UNITS.items(), key=lambda kv: -len(kv[0])):
        if key.endswith(suffix):
            return unit
    return None


def _describe(error: Any) -> Problem:
    """Turn one pydantic error into (key path, message with what was expected and what was found)."""
    path = ""
    for part in error["loc"]:
        path = _join(path, part)
    key = str(error["loc"][-1]) if error["loc"] else ""
    msg = str(error["msg"]).removeprefix("Value error, ")
    kind = error["type"]
    if kind == "missing":
        return path, "missing (required key)"
    value = error.get("input")
    unit = _unit_of(key)
    if not isinstance(value, dict | list):
        msg += f", got {value!r}"
    if unit and isinstance(value, str):
        msg += f" (the unit is in the key name: write a bare number of {unit})"
    elif unit and kind.startswith(("greater", "less")):
        msg += f" ({key} is in {unit})"
    return path, msg


def _suggest(value: str, choices: Iterable[str]) -> str:
    options = sorted(choices)
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"{hint} (expected one of: {', '.join(options)})"


def _cross_checks(spec: TargetSpec) -> list[Problem]:
    """Rules that involve more than one field."""
    problems: list[Problem] = []
    topo = spec.topology
    if topo.attention_chiplets != 1:
        problems.append(("topology.attention_chiplets",
                         f"the NoP tree has exactly one root attention chiplet, got {topo.attention_chiplets}"))
    if topo.expert_chiplets % topo.groups:
        problems.append(("topology.groups", f"{topo.groups} groups do not divide "
                         f"topology.expert_chiplets = {topo.expert_chiplets} evenly"))
    for field in ("attention_kind", "expert_kind"):
        kind = getattr(topo, field)
        if kind not in spec.chiplet_kinds:
            problems.append((f"topology.{field}",
                             f"no chiplet kind '{kind}'{_suggest(kind, spec.chiplet_kinds)}"))
    chiplets = [f"attention{i}" for i in range(topo.attention_chiplets)]
    chiplets += [f"expert{i}" for i in range(topo.expert_chiplets)]
    seen: set[str] = set()
    for i, ov in enumerate(spec.chiplet_overrides):
        if ov.chiplet not in chiplets:
            problems.append((f"chiplet_overrides[{i}].chiplet",
                             f"no chiplet '{ov.chiplet}' (expected attention0 or expert0..expert"
                             f"{topo.expert_chiplets - 1})"))
        elif ov.chiplet in seen:
            problems.append((f"chiplet_overrides[{i}].chiplet", f"'{ov.chiplet}' is overridden twice"))
        seen.add(ov.chiplet)
        if ov.kind not in spec.chiplet_kinds:
            problems.append((f"chiplet_overrides[{i}].kind",
                             f"no chiplet kind '{ov.kind}'{_suggest(ov.kind, spec.chiplet_kinds)}"))
    for name, kind in spec.chiplet_kinds.items():
        if kind.sram_bandwidth_gbps_per_tile is not None and kind.f2f_links_h is not None:
            derived = sram_bandwidth_gbps_per_tile(kind.model_copy(update={"sram_bandwidth_gbps_per_tile": None}),
                                                   spec.links)
            if abs(derived - kind.sram_bandwidth_gbps_per_tile) > 1e-6 * derived:
                problems.append((f"chiplet_kinds.{name}.sram_bandwidth_gbps_per_tile",
                                 f"{kind.sram_bandwidth_gbps_per_tile} GB/s disagrees with f2f_links_h x "
                                 f"f2f_links_v x links.bandwidth_gbps_per_link = {derived:g} GB/s"))
    nodes = ["attention0"] + [f"switch{g}" for g in range(topo.groups)]
    for i, dram in enumerate(spec.dram):
        if dram.kind not in spec.dram_kinds:
            problems.append((f"dram[{i}].kind", f"no DRAM kind '{dram.kind}'{_suggest(dram.kind, spec.dram_kinds)}"))
        if dram.attached_to not in nodes:
            hint = _suggest(dram.attached_to, nodes)
            problems.append((f"dram[{i}].attached_to", f"'{dram.attached_to}' is not a node DRAM can attach to{hint}"))
    return problems + _energy_checks(spec)


def _energy_checks(spec: TargetSpec) -> list[Problem]:
    """``[energy]`` must price every DRAM kind in use, and only kinds that exist."""
    energy = spec.energy
    if energy is None:
        return []
    problems: list[Problem] = []
    used_dram = sorted({d.kind for d in spec.dram if d.kind in spec.dram_kinds})
    for kind in used_dram:
        if kind not in energy.dram:
            problems.append((f"energy.dram.{kind}", "missing: every DRAM kind in [[dram]] needs its "
                             "pj_per_bit and static_w (docs/energy.md)"))
    for kind in sorted(set(energy.dram) - set(spec.dram_kinds)):
        problems.append((f"energy.dram.{kind}", f"no DRAM kind '{kind}'{_suggest(kind, spec.dram_kinds)}"))
    return problems
