"""The page model of the HTML report: sections of facts, tables and figures, already formatted.

The template (``templates/report.html.j2``) only lays these out; every number is rounded and given
its unit here (:mod:`mozartc.units`), and ``values`` keeps the raw numbers a section shows
so tests can compare them with the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup


@dataclass(frozen=True)
class Table:
    """A table: ``headers``, rows of cell text, which columns hold numbers (right-aligned) and, per
    cell, an optional shade in [0, 1] (the template tints the cell; None: no tint)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()
    shade: tuple[tuple[float | None, ...], ...] = ()
    caption: str = ""

    def column(self, header: str) -> list[str]:
        """The cells under ``header``."""
        k = self.headers.index(header)
        return [row[k] for row in self.rows]


@dataclass(frozen=True)
class Section:
    """One section of the page: ``id`` is its HTML id; ``lead`` says what it shows; ``available``
    False means the inputs did not have what it needs and ``notes`` say why."""

    id: str
    title: str
    lead: str
    facts: tuple[tuple[str, str], ...] = ()
    figure: Markup | None = None
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()
    available: bool = True
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """The whole report page."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    generator: str

    def section(self, section_id: str) -> Section:
        """The section with HTML id ``section_id`` (KeyError when absent)."""
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)


def unavailable(section_id: str, title: str, lead: str, why: str) -> Section:
    """A section whose inputs are missing: it says plainly that it is not available, and why."""
    return Section(section_id, title, lead, notes=(f"Not available: {why}",), available=False)
