"""What one snapshot reads of an ingested dataset: attendance only in its window.

Attendance is nearly all of a county's rows, and a snapshot reads only the days from
`lookback_start` to the day before the as-of date (as-of correctness: nothing later). The
filter names the school-year partitions first, so whole years are never opened, then the
dates, which Parquet row-group statistics skip. Every other table is read whole (each is a
few rows per student), so the tables satisfy everything `build_features` checks.
"""

from __future__ import annotations

import pandas as pd
import pyarrow.dataset as ds

from features.contract import school_year_of
from features.indicators.compute import window


def attendance_window(as_of: pd.Timestamp) -> ds.Expression:
    """Rows of attendance a snapshot at `as_of` can read, as a dataset filter."""
    _, _, start = window(as_of)
    years = list(range(school_year_of(start), school_year_of(as_of) + 1))
    return (
        ds.field("p_year").isin(years)
        & (ds.field("date") >= start.to_datetime64())
        & (ds.field("date") < as_of.to_datetime64())
    )
