"""Who is counted at a date, and who left within the horizon after it.

The population at `T` is every student enrolled in the school year containing `T`
who had not left school before `T`, or had returned before `T` (DESIGN.md,
"As-of correctness"). The label is "left school on a day in `[T, T + horizon)`".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.contract import Tables, school_year_of
from features.indicators.keys import member

ROSTER_COLUMNS = ("student_id", "school_id", "grade", "boarding", "distance_km", "in_population")


def school_year_start(year: int) -> pd.Timestamp:
    """The first day of school year `year` (1 September)."""
    return pd.Timestamp(year=year, month=9, day=1)


def gone_before(dropouts: pd.DataFrame, as_of: pd.Timestamp) -> pd.Index:
    """Students whose latest departure before `as_of` had not ended in a return before `as_of`."""
    known = dropouts.loc[dropouts["left_on"] < as_of, ["student_id", "left_on", "returned_on"]]
    if known.empty:
        return pd.Index([], dtype=dropouts["student_id"].dtype)
    latest = known.sort_values(["student_id", "left_on"]).drop_duplicates("student_id", keep="last")
    back = latest["returned_on"].notna() & (latest["returned_on"] < as_of)
    return pd.Index(latest.loc[~back, "student_id"].unique())


def roster(tables: Tables, as_of: pd.Timestamp) -> pd.DataFrame:
    """Everyone enrolled in the school year containing `as_of`, with `in_population` marking
    those still in school at `as_of`; sorted by school_id then student_id.

    Students who already left stay on the roster because their attendance still tells which
    days were school days at their school.
    """
    return roster_of(tables.enrollments, tables.dropouts, as_of)


def roster_of(enr: pd.DataFrame, dropouts: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """`roster` from the enrollments and the dropouts alone (a Dask worker builds its
    partition's roster with it: a partition holds whole schools, and ingest keeps one
    enrollment per (student_id, school_year), so the partitions' rosters are the roster)."""
    year = school_year_of(as_of)
    rows = enr.loc[enr["school_year"] == year, list(ROSTER_COLUMNS[:-1])]
    rows = rows.drop_duplicates("student_id", keep="last")
    gone = gone_before(dropouts, as_of)
    rows = rows.assign(in_population=~member(rows["student_id"], gone))
    return rows.sort_values(["school_id", "student_id"]).reset_index(drop=True)


def left_within(
    dropouts: pd.DataFrame, student_ids: pd.Series, as_of: pd.Timestamp, horizon_days: int
) -> np.ndarray:
    """1 where the student left school on a day in [as_of, as_of + horizon), else 0 (int8)."""
    end = as_of + pd.Timedelta(days=horizon_days)
    window = dropouts.loc[(dropouts["left_on"] >= as_of) & (dropouts["left_on"] < end)]
    return member(student_ids, window["student_id"]).astype(np.int8)
