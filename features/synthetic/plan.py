"""Calendar options of a synthetic county: which winter break each school keeps, and the
export date (records after it are not in the export; an `export.json` says when it was).

The standard county (no options) is exactly the county generated before these options
existed: every school keeps the standard break, returns are recorded on the first school
day back, and the data runs to the end of the last school year.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from features.export import EXPORT_FILE

from .calendar import WINTER_BREAKS, school_calendar, winter_break


@dataclass(frozen=True)
class CalendarPlan:
    """`school_variant[i]`: index into WINTER_BREAKS of school i (None: all standard)."""

    school_variant: np.ndarray | None = None
    export_date: np.datetime64 | None = None

    @property
    def varied(self) -> bool:
        return self.school_variant is not None

    @property
    def variants(self) -> tuple[int, ...]:
        if self.school_variant is None:
            return (0,)
        return tuple(int(v) for v in np.unique(self.school_variant))

    def calendar(self, year: int):  # -> SchoolCalendar
        """The days any school is open in school year `year`."""
        return school_calendar(year, self.variants)

    def closed(self, year: int, days: np.ndarray) -> np.ndarray:
        """variant x day: True where a school keeping that break is closed on `days`."""
        out = np.zeros((len(WINTER_BREAKS), len(days)), dtype=bool)
        for variant in self.variants:
            first, last = winter_break(year, variant)
            out[variant] = (days >= first) & (days <= last)
        return out


def plan_for(calendar: str, n_schools: int, export_date: np.datetime64 | None) -> CalendarPlan:
    """The plan of `--calendar standard|varied` for a county of `n_schools` schools."""
    variant = None
    if calendar == "varied":
        # Neighbouring schools (same township) keep different breaks.
        variant = np.arange(n_schools) % len(WINTER_BREAKS)
    return CalendarPlan(variant, export_date)


def write_export_file(out_dir: Path, export_date: np.datetime64) -> None:
    payload = {"export_date": str(np.datetime64(export_date, "D"))}
    (Path(out_dir) / EXPORT_FILE).write_text(json.dumps(payload) + "\n", encoding="utf-8")
