"""Report JSON files read back: the typed view of what ``mozartc diff`` and ``--baseline`` compare.

A report file is what :func:`mozartc.executor.report.report_json` writes. :func:`load_report` reads
one and checks it: the file exists, holds JSON, is a mozartc step report (the keys below, with
numbers where numbers belong) and carries a ``report_schema`` this mozartc reads. Every failure is
one :class:`~mozartc.errors.MozartError` naming the file (and the field) and what was expected.
Keys the comparison does not read are ignored; energy, memory and totals are optional (reports of
streams that do not record them lack them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mozartc.errors import MozartError
from mozartc.executor.report import REPORT_SCHEMA

#: what a step report has at least; a JSON object with none of these is "not a mozartc report"
CORE_KEYS = ("step_time_s", "breakdown_s", "critical_path_s", "lower_bounds_s", "utilization")
WHAT = "a mozartc step report (the JSON a timed run writes as its report)"


class ReportData(BaseModel):
    """The fields of a report that a comparison reads (strict types: no "0.5" for 0.5)."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True, allow_inf_nan=False)

    report_schema: int
    target: str
    stream: str | None = None
    model: str | None = None
    pipeline: str | None = None
    mozartc_version: str | None = None
    instructions: int = Field(ge=0)
    step_time_s: float = Field(ge=0)
    lower_bound_s: float = Field(ge=0)
    lower_bound_from: str = ""
    C_T: float | None = None
    tokens_per_step: int | None = None
    breakdown_s: dict[str, float]
    critical_path_s: dict[str, float]
    lower_bounds_s: dict[str, float]
    utilization: dict[str, float]
    totals: dict[str, float] = Field(default_factory=dict)
    energy_j: dict[str, float] | None = None
    energy_per_token_j: dict[str, float] | None = None
    average_power_w: float | None = None
    sram_bytes: dict[str, dict[str, float]] = Field(default_factory=dict)
    dram_bytes: dict[str, dict[str, float]] = Field(default_factory=dict)


@dataclass(frozen=True)
class LoadedReport:
    """A checked report and the name it is shown under (its file, or "this run")."""

    label: str
    data: ReportData


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def check_report(raw: Any, label: str) -> LoadedReport:
    """The typed view of the report dict ``raw``; ``label`` names it in errors (a file name)."""
    if not isinstance(raw, dict):
        raise MozartError(f"not {WHAT}: the JSON is a {type(raw).__name__}, expected an object", where=label)
    if not any(k in raw for k in CORE_KEYS):
        raise MozartError(f"not {WHAT}: none of the keys {', '.join(repr(k) for k in CORE_KEYS)}", where=label)
    missing = [k for k in ("report_schema", *CORE_KEYS) if k not in raw]
    if missing == ["report_schema"]:
        raise MozartError(f"no 'report_schema': written by an older mozartc; expected report schema "
                          f"{REPORT_SCHEMA} (write the report again with this mozartc)", where=label)
    if missing:
        raise MozartError(f"not {WHAT}: missing {', '.join(repr(k) for k in missing)}", where=label)
    schema = raw["report_schema"]
    if isinstance(schema, bool) or not isinstance(schema, int) or schema != REPORT_SCHEMA:
        raise MozartError(f"report schema {schema!r}; this mozartc reads report schema {REPORT_SCHEMA} "
                          f"(write the report again with this mozartc)", where=label)
    try:
        data = ReportData.model_validate(raw)
    except ValidationError as err:
        missing = [_field(e["loc"]) for e in err.errors() if e["type"] == "missing"]
        if missing:
            raise MozartError(f"not {WHAT}: missing {', '.join(repr(k) for k in missing)}", where=label) from None
        first = err.errors()[0]
        got = repr(first["input"])
        got = got if len(got) <= 60 else got[:57] + "..."
        raise MozartError(f"field '{_field(first['loc'])}': {first['msg'][:1].lower()}{first['msg'][1:]}, "
                          f"got {got}", where=label) from None
    return LoadedReport(label, data)


def load_report(path: str | Path) -> LoadedReport:
    """Read and check the report file ``path`` (module docstring); its label is ``path`` as given."""
    label = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MozartError(f"no such file; expected {WHAT}", where=label) from None
    except IsADirectoryError:
        raise MozartError(f"is a folder; expected {WHAT}", where=label) from None
    except UnicodeDecodeError:
        raise MozartError(f"not UTF-8 text; expected {WHAT}", where=label) from None
    except OSError as err:
        raise MozartError(f"cannot read: {err.strerror}", where=label) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise MozartError(f"not JSON ({err.msg}); expected {WHAT}", where=f"{label}:{err.lineno}:{err.colno}") from None
    return check_report(raw, label)

