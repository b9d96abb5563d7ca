"""The export date of a data folder: the day its records were exported, defined once.

DESIGN.md, "Input data contract": from `export.json` (`{"export_date": "YYYY-MM-DD"}`) when
the folder holds one, else the latest date in any table, never later than today. Every
record dated on or before it is valid, whatever the school calendar (households are
updated and children come back during holidays, when there is no attendance at all), and a
snapshot may be taken on any day up to the day after it.

The validator and `Tables.export_date()` both call `export_date` here, so "the data's last
day" cannot mean two things.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.errors import DataError

EXPORT_FILE = "export.json"
# Dates before this are typing mistakes, not school records; they never set the export date.
EARLIEST_DATE = pd.Timestamp("1990-01-01")


@dataclass(frozen=True)
class ExportDate:
    """The export date and where it came from (shown in the report)."""

    date: pd.Timestamp
    source: str
    """`export.json`, `latest date in <table>.<column>`, or `today (no dates in the data)`."""

    @property
    def last_snapshot(self) -> pd.Timestamp:
        """The latest day a snapshot may be taken: the day after the export date."""
        return self.date + pd.Timedelta(days=1)


def today() -> pd.Timestamp:
    return pd.Timestamp.today().normalize()


def read_export_file(data_dir: Path) -> pd.Timestamp | None:
    """The date in `data_dir/export.json`, None when there is no such file.

    Raises DataError naming the file when it cannot be read, holds no `export_date`, the
    date is not YYYY-MM-DD, or it is before 1990 or after today.
    """
    path = Path(data_dir) / EXPORT_FILE
    if not path.exists():
        return None
    try:
        content = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not a readable JSON file ({type(exc).__name__})") from exc
    value = content.get("export_date") if isinstance(content, dict) else None
    if not isinstance(value, str):
        raise DataError(f'{path}: expected {{"export_date": "YYYY-MM-DD"}}')
    try:
        date = pd.Timestamp(value.strip())
    except (ValueError, TypeError) as exc:
        raise DataError(f"{path}: export_date {value!r} is not a date (YYYY-MM-DD)") from exc
    if pd.isna(date) or date != date.normalize():
        raise DataError(f"{path}: export_date {value!r} is not a date (YYYY-MM-DD)")
    if not EARLIEST_DATE <= date <= today():
        raise DataError(
            f"{path}: export_date {date:%Y-%m-%d} is not between "
            f"{EARLIEST_DATE:%Y-%m-%d} and today ({today():%Y-%m-%d})"
        )
    return date


def latest_date(columns: Iterable[tuple[str, pd.Series]]) -> tuple[pd.Timestamp, str] | None:
    """The latest plausible date (1990-01-01 .. today) among named date columns, and its name."""
    low, high = EARLIEST_DATE.to_datetime64(), today().to_datetime64()
    best: tuple[np.datetime64, str] | None = None
    for name, dates in columns:
        stamps = dates.to_numpy(dtype="datetime64[ns]")
        known = stamps[~np.isnat(stamps)] if dates.hasnans else stamps
        if not len(known):
            continue
        top = known.max()
        if top > high or known.min() < low:  # rare: only then pay for a filtered copy
            plausible = known[(known >= low) & (known <= high)]
            if not len(plausible):
                continue
            top = plausible.max()
        if best is None or top > best[0]:
            best = (top, name)
    return None if best is None else (pd.Timestamp(best[0]), best[1])


def export_date(
    declared: pd.Timestamp | None, columns: Iterable[tuple[str, pd.Series]]
) -> ExportDate:
    """The export date: `declared` (from export.json) when given, else the latest date."""
    if declared is not None:
        return ExportDate(pd.Timestamp(declared).normalize(), EXPORT_FILE)
    found = latest_date(columns)
    if found is None:
        return ExportDate(today(), "today (no dates in the data)")
    return ExportDate(found[0].normalize(), f"latest date in {found[1]}")
