"""Sweep specifications: a TOML file parsed at the edge into a frozen :class:`SweepSpec`.

Format (docs/reproduce.md)::

    [sweep]
    model = "olmoe-1b-7b-0924"      # required: a preset, config.json or file.py:factory
    target = "olmoe-1b-7b-0924"     # a shipped target name, or a .toml path relative to this file
    pipeline = "mozart-c"           # fixed values of the run options (each may be an axis instead)
    seq_len = 256

    [axes]                          # the cross product of these lists is run
    links.bump_rows = [1, 2, 4, 8]  # any target field by key path (list items by index: dram.0.kind)
    pipeline = ["mozart-b", "mozart-c"]
    clustering = ["greedy", "cpsat"]  # the method of the pipeline's expert-cluster pass

Every problem is a :class:`~mozartc.errors.MozartError` naming the file and the key; unknown keys
get a "did you mean".
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mozartc.defaults import MICRO_BATCH, MICRO_BATCHES, SEQ_LEN
from mozartc.errors import MozartError

Scalar = str | int | float | bool

#: Run options: fixed in [sweep] or swept in [axes]; name -> (type, default).
RUN_OPTIONS: dict[str, tuple[type, Scalar | None]] = {
    "target": (str, "wafer"),
    "pipeline": (str, "mozart-c"),
    "clustering": (str, None),
    "seq_len": (int, SEQ_LEN),
    "micro_batch": (int, MICRO_BATCH),
    "micro_batches": (int, MICRO_BATCHES),
}
#: Keys of [sweep] that cannot be axes.
FIXED_ONLY: dict[str, tuple[type, Scalar | None]] = {
    "name": (str, None), "model": (str, None), "trace": (str, None), "seed": (int, 0), "capacity": (str, "warn"),
}
TABLES = ("sweep", "axes")


@dataclass(frozen=True)
class Axis:
    """One swept parameter: a run option or a target key path, with its values in file order."""

    name: str
    values: tuple[Scalar, ...]

    @property
    def is_target_field(self) -> bool:
        return self.name not in RUN_OPTIONS


@dataclass(frozen=True)
class SweepSpec:
    """A parsed, validated sweep. ``fixed`` holds every run option not swept (and the [sweep] keys)."""

    source: str
    name: str
    model: str
    trace: str | None
    seed: int
    capacity: str
    fixed: tuple[tuple[str, Scalar | None], ...]
    axes: tuple[Axis, ...]

    def fixed_value(self, key: str) -> Scalar | None:
        return dict(self.fixed)[key]

    @property
    def size(self) -> int:
        """Points in the cross product."""
        n = 1
        for axis in self.axes:
            n *= len(axis.values)
        return n


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate the sweep spec at ``path``."""
    name = str(path)
    try:
        raw = tomllib.loads(Path(path).read_bytes().decode("utf-8"))
    except OSError as err:
        raise MozartError(f"cannot read sweep spec ({err.strerror or err})", where=name) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise MozartError(f"not a valid TOML file: {err}", where=name) from None
    return parse_spec(raw, name, Path(path).resolve().parent)


def parse_spec(raw: dict[str, Any], name: str, base_dir: Path) -> SweepSpec:
    """Validate the raw TOML tables of a spec read from file ``name`` (paths relative to ``base_dir``)."""
    _check_keys(raw, TABLES, name, "")
    sweep = _table(raw, "sweep", name, required=True)
    axes_raw = _table(raw, "axes", name, required=False)
    _check_keys(sweep, (*FIXED_ONLY, *RUN_OPTIONS), name, "sweep.")
    fixed: dict[str, Any] = {}
    for key, (kind, default) in {**FIXED_ONLY, **RUN_OPTIONS}.items():
        fixed[key] = _typed(sweep[key], kind, name, f"sweep.{key}") if key in sweep else default
    if fixed["model"] is None:
        raise MozartError("missing (required key: the model to sweep)", where=f"{name}: sweep.model")
    if fixed["capacity"] not in ("warn", "error"):
        raise MozartError(f"must be 'warn' or 'error', got '{fixed['capacity']}'", where=f"{name}: sweep.capacity")
    if fixed["trace"] is not None:
        fixed["trace"] = _existing(base_dir / str(fixed["trace"]), name, "sweep.trace")
    if "target" in sweep:
        fixed["target"] = resolve_target(str(fixed["target"]), base_dir, name, "sweep.target")
    axes = _axes(axes_raw, sweep, fixed, base_dir, name)
    return SweepSpec(source=name, name=str(fixed["name"] or Path(name).stem), model=str(fixed["model"]),
                     trace=fixed["trace"], seed=int(fixed["seed"]), capacity=str(fixed["capacity"]),
                     fixed=tuple((k, fixed[k]) for k in RUN_OPTIONS), axes=axes)


def _axes(raw: dict[str, Any], sweep: dict[str, Any], fixed: dict[str, Any], base_dir: Path,
          name: str) -> tuple[Axis, ...]:
    base_targets = [str(fixed["target"] if "target" in sweep else resolve_target("wafer", base_dir, name, ""))]
    flat = _flatten(raw)
    if "target" in flat:
        base_targets = []
    axes: list[Axis] = []
    for key, values in flat.items():
        where = f"{name}: axes.{key}"
        if not isinstance(values, list) or not values:
            raise MozartError("an axis must be a non-empty list of values", where=where)
        if len(set(map(repr, values))) != len(values):
            raise MozartError("an axis lists a value twice", where=where)
        if key in sweep:
            raise MozartError(f"'{key}' is both fixed in [sweep] and swept in [axes]; keep one", where=where)
        if key in FIXED_ONLY:
            raise MozartError(f"'{key}' cannot be swept (set it in [sweep])", where=where)
        if key in RUN_OPTIONS:
            kind = RUN_OPTIONS[key][0]
            typed = [_typed(v, kind, name, f"axes.{key}[{i}]") for i, v in enumerate(values)]
            if key == "target":
                typed = [resolve_target(str(v), base_dir, name, f"axes.target[{i}]") for i, v in enumerate(typed)]
                base_targets = [str(v) for v in typed]
            axes.append(Axis(key, tuple(typed)))
        else:
            axes.append(Axis(key, tuple(_scalar(v, name, f"axes.{key}[{i}]") for i, v in enumerate(values))))
    for axis in axes:
        if axis.is_target_field:
            for target in base_targets:
                _check_target_axis(axis, target, name)
    _check_pipelines(axes, fixed, name)
    return tuple(axes)


def _check_target_axis(axis: Axis, target: str, name: str) -> None:
    """Every value of a target-field axis must give a valid target on its own (loader messages)."""
    from mozartc.hw.loader import parse_target_spec

    raw = read_target_raw(target)
    if not has_path(raw, axis.name):
        known = sorted(leaf_paths(raw)) + list(RUN_OPTIONS)
        close = difflib.get_close_matches(axis.name, known, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise MozartError(f"unknown axis: not a run option ({', '.join(RUN_OPTIONS)}) nor a field of target "
                          f"{Path(target).name}{hint}", where=f"{name}: axes.{axis.name}")
    for value in axis.values:
        try:
            parse_target_spec(with_override(raw, axis.name, value), f"{Path(target).name} with {axis.name}={value!r}")
        except MozartError as err:
            raise MozartError(f"value {value!r} gives an invalid target: {err}",
                              where=f"{name}: axes.{axis.name}") from None


def _check_pipelines(axes: list[Axis], fixed: dict[str, Any], name: str) -> None:
    """Build every pipeline (with every clustering method) once so bad ones fail before any run."""
    pipelines = next((a.values for a in axes if a.name == "pipeline"), (fixed["pipeline"],))
    methods = next((a.values for a in axes if a.name == "clustering"), (fixed["clustering"],))
    for pipeline in pipelines:
        for method in methods:
            where = f"{name}: {'axes' if len(methods) > 1 or len(pipelines) > 1 else 'sweep'}.pipeline"
            try:
                pipeline_with_method(str(pipeline), None if method is None else str(method))
            except MozartError as err:
                raise MozartError(str(err), where=where) from None


def pipeline_with_method(pipeline: str, method: str | None) -> str:
    """``pipeline`` (presets expanded) with its ``expert-cluster`` pass set to clustering ``method``.

    None leaves the pipeline as written. Raises PassError for a bad pipeline or method.
    """
    from mozartc.option_syntax import format_component, parse_pipeline
    from mozartc.passes.presets import expand_presets
    from mozartc.passes.registry import build_pipeline

    build_pipeline(pipeline)
    if method is None:
        return pipeline
    elements = parse_pipeline(expand_presets(pipeline))
    if not any(e.name == "expert-cluster" for e in elements):
        raise MozartError(f"a clustering method is set but pipeline '{pipeline}' has no expert-cluster pass")
    parts: list[str] = []
    for e in elements:
        options = {**e.options, "method": method} if e.name == "expert-cluster" else dict(e.options)
        parts.append(format_component(e.name, options))
    text = ",".join(parts)
    build_pipeline(text)
    return text


def resolve_target(value: str, base_dir: Path, name: str, key: str) -> str:
    """A shipped target name (``wafer``, ``olmoe-1b-7b-0924-ssd``) or a path relative to the spec."""
    from mozartc.errors import TargetError
    from mozartc.hw.shipped import shipped_path

    if "/" not in value and not value.endswith(".toml"):
        try:
            return str(shipped_path(value))
        except TargetError as err:
            raise MozartError(err.message, where=f"{name}: {key}") from None
    return _existing(base_dir / value, name, key)


def read_target_raw(path: str) -> dict[str, Any]:
    """The raw tables of a target file (validated later by the loader)."""
    from mozartc.hw.loader import parse_target_spec

    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise MozartError(f"cannot read target ({err})", where=path) from None
    parse_target_spec(raw, path)
    return raw


def file_digest(path: str) -> str:
    """sha256 of a file's bytes (part of a point's identity)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def leaf_paths(raw: Any, prefix: str = "") -> list[str]:
    """Dotted key paths of every scalar (or scalar list) in a TOML table; list items by index."""
    if isinstance(raw, dict):
        return [p for k, v in raw.items() for p in leaf_paths(v, f"{prefix}{k}.")]
    if isinstance(raw, list) and raw and all(isinstance(v, dict) for v in raw):
        return [p for i, v in enumerate(raw) for p in leaf_paths(v, f"{prefix}{i}.")]
    return [prefix.rstrip(".")]


def has_path(raw: Any, path: str) -> bool:
    """Whether the dotted ``path`` names an existing value of ``raw``."""
    node = raw
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def with_override(raw: dict[str, Any], path: str, value: Scalar) -> dict[str, Any]:
    """A deep copy of ``raw`` with the value at the dotted ``path`` replaced by ``value``."""
    out = copy.deepcopy(raw)
    node: Any = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def _flatten(raw: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _table(raw: dict[str, Any], key: str, name: str, required: bool) -> dict[str, Any]:
    if key not in raw:
        if required:
            raise MozartError(f"missing table [{key}]", where=name)
        return {}
    if not isinstance(raw[key], dict):
        raise MozartError("must be a table", where=f"{name}: {key}")
    return dict(raw[key])


def _check_keys(raw: dict[str, Any], allowed: tuple[str, ...], name: str, prefix: str) -> None:
    for key in raw:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise MozartError(f"unknown key{hint} (allowed: {', '.join(allowed)})", where=f"{name}: {prefix}{key}")


def _typed(value: Any, kind: type, name: str, key: str) -> Any:
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise MozartError(f"expected an integer, got {value!r}", where=f"{name}: {key}")
    if kind is int and value <= 0 and not key.startswith("sweep.seed"):
        raise MozartError(f"expected a positive integer, got {value}", where=f"{name}: {key}")
    if kind is str and not isinstance(value, str):
        raise MozartError(f"expected a string, got {value!r}", where=f"{name}: {key}")
    return value


def _scalar(value: Any, name: str, key: str) -> Scalar:
    if not isinstance(value, str | int | float | bool):
        raise MozartError(f"expected a number, string or boolean, got {value!r}", where=f"{name}: {key}")
    return value


def _existing(path: Path, name: str, key: str) -> str:
    if not path.exists():
        raise MozartError(f"file not found: {path}", where=f"{name}: {key}")
    return str(path)
