"""The plan of a sweep: the points of a :class:`SweepSpec`'s cross product, each with a stable id
(a hash of what determines its result: the model, the final target TOML, the trace file's digest,
the effective pipeline and the run options) and the job that computes it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mozartc.experiments.runner import Job
from mozartc.experiments.sweep_spec import (
    RUN_OPTIONS,
    Scalar,
    SweepSpec,
    file_digest,
    pipeline_with_method,
    read_target_raw,
    with_override,
)
from mozartc.experiments.tomlw import dumps


@dataclass(frozen=True)
class Point:
    """One point of the sweep: the axis values (in axis order), its id and the job that computes it."""

    id: str
    values: tuple[tuple[str, Scalar], ...]
    job: Job


def plan_points(spec: SweepSpec) -> list[Point]:
    """Every point of the cross product, in plan order (first axis slowest)."""
    trace_digest = file_digest(spec.trace) if spec.trace else "synthetic"
    raws: dict[str, dict[str, Any]] = {}
    points: list[Point] = []
    names = [a.name for a in spec.axes]
    for combo in itertools.product(*(a.values for a in spec.axes)):
        values = dict(zip(names, combo, strict=True))
        options: dict[str, Any] = {k: values.get(k, spec.fixed_value(k)) for k in RUN_OPTIONS}
        target = str(options["target"])
        if target not in raws:
            raws[target] = read_target_raw(target)
        raw = raws[target]
        for axis in spec.axes:
            if axis.is_target_field:
                raw = with_override(raw, axis.name, values[axis.name])
        toml = dumps(raw)
        method = options["clustering"]
        pipeline = pipeline_with_method(str(options["pipeline"]), None if method is None else str(method))
        identity = {"model": spec.model, "target_sha256": hashlib.sha256(toml.encode()).hexdigest(),
                    "trace": trace_digest, "pipeline": pipeline, "seq_len": options["seq_len"],
                    "micro_batch": options["micro_batch"], "micro_batches": options["micro_batches"],
                    "seed": spec.seed, "capacity": spec.capacity}
        point_id = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
        job = Job(key=point_id, model=spec.model, pipeline=pipeline, target_toml=toml, trace=spec.trace,
                  seq_len=int(options["seq_len"]), micro_batch=int(options["micro_batch"]),
                  micro_batches=int(options["micro_batches"]), seed=spec.seed,
                  capacity=spec.capacity)
        points.append(Point(point_id, tuple(values.items()), job))
    return points


def point_params(spec: SweepSpec, point: Point) -> dict[str, Scalar | None]:
    """Every parameter of a point: the model, the run options (fixed or swept), the target overrides."""
    values = dict(point.values)
    params: dict[str, Scalar | None] = {"model": spec.model}
    for key in RUN_OPTIONS:
        value = values.get(key, spec.fixed_value(key))
        params[key] = Path(str(value)).stem if key == "target" and value is not None else value
    params.update({a.name: values[a.name] for a in spec.axes if a.is_target_field})
    return params
