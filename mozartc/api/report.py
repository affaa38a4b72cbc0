"""The report of one timed training step as a typed, frozen dataclass.

Every key of the report JSON (``--report``, :func:`mozartc.executor.report.make_report`) is a field
of the same name; ``Report.from_dict(d).to_dict() == d`` and :meth:`Report.to_json` gives the bytes
``--report`` writes. The meaning of each field is in :mod:`mozartc.executor.report` (step time,
breakdown, critical path, bounds, utilisation), :mod:`mozartc.executor.memory` (``sram_bytes``,
``dram_bytes``) and :mod:`mozartc.executor.energy` (``energy_j`` and the keys after it).

The four energy keys are present together or not at all (a target without an ``[energy]`` table):
``energy_j`` None means absent. ``capacity_warning`` is present only when the compile recorded one.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, ValidationError
from pydantic.dataclasses import dataclass

from mozartc.errors import MozartError

#: keys written only when ``energy_j`` is (the target has an ``[energy]`` table)
ENERGY_KEYS: tuple[str, ...] = ("energy_j", "energy_per_token_j", "average_power_w", "tokens_per_step")
#: keys left out of the JSON when their value is None
OMITTED_WHEN_NONE: tuple[str, ...] = ("capacity_warning",)


@dataclass(frozen=True, config=ConfigDict(strict=True, extra="forbid"))
class Report:
    """One timed training step (seconds, bytes, joules; shares in [0, 1]); see the module docstring.

    ``sram_bytes`` per chiplet: ``weights, buffers, gradients, activations, peak, capacity`` bytes and
    ``share``; ``dram_bytes`` per stack: ``weights, state, gradients, activations, in_use, capacity,
    spill`` bytes and ``share``. ``lower_bounds_s`` per family (``dram``, ``link``, ``switch``,
    ``compute``, ``dependency_chain``, ...); ``utilization`` per resource (``dram:dram2``).
    """

    report_schema: int
    mozartc_version: str
    stream: str
    target: str
    model: str | None
    pipeline: str | None
    C_T: float | None
    instructions: int
    step_time_s: float
    breakdown_s: dict[str, float]
    critical_path_s: dict[str, float]
    lower_bound_s: float
    lower_bound_from: str
    lower_bounds_s: dict[str, float]
    step_over_bound: float | None
    utilization: dict[str, float]
    sram_bytes: dict[str, dict[str, int | float]]
    dram_bytes: dict[str, dict[str, int | float]]
    totals: dict[str, int]
    executor: dict[str, float | bool | str]
    energy_j: dict[str, float] | None = None
    energy_per_token_j: dict[str, float] | None = None
    average_power_w: float | None = None
    tokens_per_step: int | None = None
    capacity_warning: str | None = None

    @classmethod
    def from_dict(cls, data: Any, name: str = "<report>") -> Report:
        """The report in ``data`` (a parsed report JSON); MozartError naming ``name`` and the key."""
        if not isinstance(data, dict):
            raise MozartError(f"a report is a JSON object, got {type(data).__name__}", where=name)
        known = [f.name for f in dataclasses.fields(cls)]
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise MozartError(f"unknown report key{hint}", where=f"{name}: {key}")
        try:
            return cls(**data)
        except ValidationError as err:
            first = err.errors()[0]
            key = ".".join(str(part) for part in first["loc"])
            more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
            raise MozartError(f"{first['msg']}{more}", where=f"{name}: {key}") from None

    @classmethod
    def from_json(cls, text: str, name: str = "<report>") -> Report:
        """The report in JSON ``text`` (what ``--report`` writes)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise MozartError(f"not JSON: {err.msg}", where=f"{name}:{err.lineno}:{err.colno}") from None
        return cls.from_dict(data, name)

    @classmethod
    def from_file(cls, path: str | Path) -> Report:
        """The report in the JSON file ``path``."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise MozartError(f"cannot read report ({err})", where=str(path)) from None
        return cls.from_json(text, str(path))

    def to_dict(self) -> dict[str, Any]:
        """The report as the plain dict :func:`~mozartc.executor.report.make_report` gives."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if self.energy_j is None:
            for key in ENERGY_KEYS:
                del out[key]
        for key in OMITTED_WHEN_NONE:
            if out[key] is None:
                del out[key]
        return out

    def to_json(self) -> str:
        """The canonical JSON text, byte-identical to what ``--report`` writes for this step."""
        from mozartc.executor.report import report_json

        return report_json(self.to_dict())

    def summary(self) -> str:
        """The human summary ``mozartc run`` prints (step, breakdown, bound, busiest, memory, energy)."""
        from mozartc.executor.report import format_summary

        return format_summary(self.to_dict())
