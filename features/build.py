"""Build the indicators of every student in school at a date: `build_features(tables, as_of)`.

Only what was known before the date is used (DESIGN.md, "As-of correctness"). The result
has one row per student of the population, the columns `ID_COLUMNS` then every catalogue
indicator in catalogue order with the catalogue's dtypes, sorted by student_id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from features.catalogue import CATALOGUE, ID_COLUMNS, conform
from features.contract import Tables, school_year_of
from features.errors import UserError
from features.indicators.household import left_before, sibling_left
from features.indicators.keys import positions, take_rows
from features.indicators.population import roster as build_roster
from features.indicators.population import school_year_start

Engine = Literal["local", "dask"]
Progress = Callable[[int, int], None]


def as_timestamp(value: object) -> pd.Timestamp:
    """A date from a string, date or Timestamp, at midnight; UserError when it is not a date."""
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise UserError(f"{value!r} is not a date; write it as YYYY-MM-DD.") from exc
    if pd.isna(ts):
        raise UserError(f"{value!r} is not a date; write it as YYYY-MM-DD.")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def data_range(tables: Tables) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The dates a snapshot may be taken at: from the first school year's start to the day
    after the export date (DESIGN.md), whether or not there was school since."""
    years = tables.enrollments["school_year"]
    if years.empty:
        raise UserError("The enrollments table is empty: there is nobody to build indicators for.")
    first = school_year_start(int(years.min()))
    return first, tables.export_date().last_snapshot


def check_as_of(tables: Tables, as_of: pd.Timestamp) -> None:
    """Stop with a clear message when `as_of` is outside the data."""
    first, last = data_range(tables)
    if not first <= as_of <= last:
        export = tables.export_date()
        raise UserError(
            f"as-of date {as_of:%Y-%m-%d} is outside the data: a snapshot may be taken from "
            f"{first:%Y-%m-%d} to {last:%Y-%m-%d}, the day after the export date "
            f"{export.date:%Y-%m-%d} ({export.source})."
        )
    year = school_year_of(as_of)
    if not (tables.enrollments["school_year"] == year).any():
        raise UserError(
            f"Nobody is enrolled in school year {year}/{year + 1}, which contains {as_of:%Y-%m-%d}."
        )


def assemble(frame: pd.DataFrame, schools: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Add township, county (from `schools`) and as_of; order, type and sort the columns as
    the catalogue says."""
    places = schools.drop_duplicates("school_id")
    where = take_rows(places, positions(frame["school_id"], places["school_id"]))
    frame = frame.copy()
    frame["township"] = where["township"].astype("string[pyarrow]").array
    frame["county"] = where["county"].astype("string[pyarrow]").array
    frame["student_id"] = frame["student_id"].astype("string[pyarrow]")
    frame["school_id"] = frame["school_id"].astype("string[pyarrow]")
    frame["as_of"] = np.full(len(frame), as_of.to_datetime64(), dtype="datetime64[ns]")
    frame = frame.sort_values("student_id", kind="stable").reset_index(drop=True)
    out = conform(frame)
    assert list(out.columns) == [*ID_COLUMNS, *CATALOGUE]
    return out


def build_features(
    tables: Tables,
    as_of: object,
    *,
    engine: Engine = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
    chunk_students: int | None = None,
) -> pd.DataFrame:
    """Indicators of every student in school at `as_of`, from what was known before it.

    `engine="dask"` runs the same indicator code on a Dask cluster (`scheduler` address, or
    a local cluster of two worker processes). `progress(done, total)` is called per chunk.
    """
    when = as_timestamp(as_of)
    check_as_of(tables, when)
    roster = build_roster(tables, when)
    if engine == "local":
        from features.engines.local import DEFAULT_CHUNK_STUDENTS, run_local

        frame = run_local(
            tables, roster, when, chunk_students or DEFAULT_CHUNK_STUDENTS, progress=progress
        )
        frame["sibling_left"] = sibling_left(
            tables.students, tables.dropouts, frame["student_id"], when
        )
        frame["left_before"] = left_before(tables.dropouts, frame["student_id"], when)
    elif engine == "dask":
        from features.engines.dask import run_dask

        frame = run_dask(tables, roster, when, scheduler=scheduler, progress=progress)
    else:
        raise UserError(f"Unknown engine {engine!r}; use 'local' or 'dask'.")
    return assemble(frame, tables.schools, when)
