"""Small hand-made counties for indicator tests: typed frames built from plain rows.

`tables(...)` takes lists of row tuples or dicts per table and returns a `Tables` whose
columns have exactly the contract's dtypes; tables not given are empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from features.contract import CONTRACT, Tables


def frame(table: str, rows: Sequence[Sequence[Any] | dict[str, Any]] = ()) -> pd.DataFrame:
    """A frame of `table` with contract dtypes; rows are tuples in column order or dicts."""
    spec = CONTRACT[table]
    cols = [c for c in spec.columns if c.required]
    records = [
        dict(r) if isinstance(r, dict) else dict(zip([c.name for c in cols], r, strict=True))
        for r in rows
    ]
    data = {}
    for col in cols:
        values = [rec.get(col.name) for rec in records]
        if col.kind == "date":
            data[col.name] = pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
        else:
            data[col.name] = pd.Series(values, dtype=col.dtype)
    return pd.DataFrame(data, columns=[c.name for c in cols])


def tables(**rows: Sequence[Sequence[Any] | dict[str, Any]]) -> Tables:
    """A Tables from rows per table name; missing tables are empty typed frames."""
    unknown = set(rows) - set(CONTRACT)
    assert not unknown, unknown
    return Tables(**{name: frame(name, rows.get(name, ())) for name in CONTRACT})


def school_days(start: str, end: str) -> list[pd.Timestamp]:
    """Weekdays in [start, end]."""
    return list(pd.bdate_range(start, end, inclusive="both"))


def attendance_rows(
    student: str, days: Sequence[pd.Timestamp], statuses: str | Sequence[str]
) -> list[tuple[str, pd.Timestamp, str]]:
    """Attendance rows for one student; `statuses` is one status for all days or one per day."""
    if isinstance(statuses, str):
        statuses = [statuses] * len(days)
    return [(student, d, s) for d, s in zip(days, statuses, strict=True)]
