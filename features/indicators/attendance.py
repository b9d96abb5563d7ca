"""Attendance indicators, computed on integer codes with numpy for a group of whole schools.

School days are per school: the days on which any student enrolled there this school year
has an attendance record. Windows ("last 30 school days") count back from the last school
day before the as-of date along that school's calendar, so a window may reach back into the
previous school year. Rates are absences over recorded days inside the window; a student
with no record in a window has no rate (missing, not zero).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.contract import ATTENDANCE_STATUSES

NS_PER_DAY = 86_400_000_000_000
# How far back attendance is read: the school year so far, and at least this many days so that
# a 90-school-day window still fits after the summer break at the start of a year.
LOOKBACK_DAYS = 240
# Bands of "school days back": <=14, 15-30, 31-60, 61-90, >90; a window is a sum of bands.
_WINDOW_BANDS = {14: 0, 30: 1, 90: 3}
_ABSENT_FROM = ATTENDANCE_STATUSES.index("absent_excused")  # present, late < absences
_UNEXCUSED = ATTENDANCE_STATUSES.index("absent_unexcused")


def day_number(ts: pd.Timestamp) -> int:
    """Days since 1970-01-01."""
    return int(pd.Timestamp(ts).value // NS_PER_DAY)


def lookback_start(as_of: pd.Timestamp, year_start: pd.Timestamp) -> pd.Timestamp:
    """The first day of attendance a snapshot at `as_of` reads."""
    return min(year_start, as_of - pd.Timedelta(days=LOOKBACK_DAYS))


@dataclass(frozen=True)
class AttendanceCodes:
    """Attendance rows as integer arrays: roster code, day number, status index in the contract."""

    code: np.ndarray  # int32, row position in the roster
    day: np.ndarray  # int32, days since 1970-01-01
    status: np.ndarray  # int8, index into ATTENDANCE_STATUSES

    def __len__(self) -> int:
        return len(self.code)

    def take(self, index: np.ndarray | slice, offset: int = 0) -> AttendanceCodes:
        """A subset of rows, with `offset` subtracted from the codes."""
        return AttendanceCodes(self.code[index] - offset, self.day[index], self.status[index])


def _status_index(status: pd.Series) -> np.ndarray:
    """Status as an index into ATTENDANCE_STATUSES, whatever category order the frame has."""
    if not isinstance(status.dtype, pd.CategoricalDtype):
        status = status.astype(pd.CategoricalDtype(list(ATTENDANCE_STATUSES)))
    cats = [str(c) for c in status.cat.categories]
    lookup = np.array([ATTENDANCE_STATUSES.index(c) for c in cats] + [-1], dtype=np.int8)
    return lookup[status.cat.codes.to_numpy()]


def _id_codes(ids: pd.Series, roster_ids: pd.Series) -> np.ndarray:
    """Position of each id in `roster_ids`, -1 when absent; hashed in Arrow, no Python loop."""
    values = pa.array(roster_ids.astype("string[pyarrow]"))
    arr = ids.array
    data = arr.__arrow_array__() if hasattr(arr, "__arrow_array__") else pa.array(ids.astype(str))
    found = pc.index_in(data, value_set=values)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)


def encode_attendance(
    attendance: pd.DataFrame, roster_ids: pd.Series, start: pd.Timestamp, as_of: pd.Timestamp
) -> AttendanceCodes:
    """Keep the rows of roster students dated in [start, as_of) and turn them into codes."""
    ns = attendance["date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    keep = (ns >= pd.Timestamp(start).value) & (ns < pd.Timestamp(as_of).value)
    if not keep.all():
        attendance = attendance.loc[keep]
        ns = ns[keep]
    code = _id_codes(attendance["student_id"], roster_ids)
    status = _status_index(attendance["status"])
    known = (code >= 0) & (status >= 0)
    day = (ns // NS_PER_DAY).astype(np.int32)
    if not known.all():
        return AttendanceCodes(code[known], day[known], status[known])
    return AttendanceCodes(code, day, status)


def _rate(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def attendance_indicators(
    att: AttendanceCodes,
    school_of: np.ndarray,
    start: pd.Timestamp,
    year_start: pd.Timestamp,
    as_of: pd.Timestamp,
) -> dict[str, np.ndarray]:
    """Attendance indicators for every roster student (one value per roster code).

    `school_of[code]` is the roster student's school as a small integer; `att` holds only rows
    dated in [start, as_of) of those students.
    """
    n = len(school_of)
    n_days = day_number(as_of) - day_number(start)
    n_schools = int(school_of.max()) + 1 if n else 0
    sch = school_of[att.code]
    dd = att.day - day_number(start)

    # Each school's calendar: a day is a school day when any of its students has a record.
    calendar = np.zeros((max(n_schools, 1), n_days), dtype=bool)
    calendar[sch, dd] = True
    rank = np.cumsum(calendar, axis=1, dtype=np.int32)  # 1-based position of a school day
    total = rank[:, -1] if n_days else np.zeros(len(calendar), np.int32)
    ys = day_number(year_start) - day_number(start)

    row_rank = rank[sch, dd]
    back = (total[sch] - row_rank + 1).astype(np.int32)  # 1 = the last school day before as_of
    in_ytd = dd >= ys

    # One pass: every row falls in one (window band, this-year, status class) cell per student.
    band = (back > 14).astype(np.int8)
    band += back > 30
    band += back > 60
    band += back > 90
    klass = (att.status >= _ABSENT_FROM).astype(np.int8) + (att.status == _UNEXCUSED)
    cell = (band * 2 + in_ytd) * 3 + klass
    counts = np.bincount(att.code.astype(np.int64) * 30 + cell, minlength=n * 30)
    counts = counts.reshape(n, 5, 2, 3).astype(np.float64)
    by_band = counts.sum(axis=2)  # n x band x class
    cum = np.cumsum(by_band, axis=1)  # band b holds "back <= edge b"
    ytd = counts[:, :, 1, :].sum(axis=1)

    def rates(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        recorded = cells.sum(axis=-1)
        absent = cells[..., 1] + cells[..., 2]
        return _rate(absent, recorded), _rate(cells[..., 2], recorded)

    out: dict[str, np.ndarray] = {}
    for k, band_index in _WINDOW_BANDS.items():
        out[f"absence_rate_{k}d"], out[f"unexcused_rate_{k}d"] = rates(cum[:, band_index])
    out["absence_rate_ytd"], out["unexcused_rate_ytd"] = rates(ytd)
    previous_30, _ = rates(by_band[:, 2])  # school days 31-60 back
    out["absence_trend_30d"] = out["absence_rate_30d"] - previous_30

    out["longest_absence_run"] = _longest_runs(att, row_rank, in_ytd, n, n_days)
    out["longest_absence_run"][ytd.sum(axis=1) == 0] = np.nan

    # School days since the last day present (late counts as present), within the lookback.
    present = att.status < _ABSENT_FROM
    nearest = np.full(n, np.iinfo(np.int32).max, dtype=np.int32)
    np.minimum.at(nearest, att.code[present], back[present])
    recorded = counts.sum(axis=(1, 2, 3)) > 0
    school_total = total[school_of] if n else np.zeros(0, np.int32)
    since = np.where(nearest < np.iinfo(np.int32).max, nearest - 1, school_total)
    out["days_since_present"] = np.where(recorded, since, np.nan)
    return out


def _longest_runs(
    att: AttendanceCodes, row_rank: np.ndarray, in_ytd: np.ndarray, n: int, n_days: int
) -> np.ndarray:
    """Longest run of consecutive school days absent this school year, per roster code."""
    longest = np.zeros(n, dtype=np.float64)
    absent = in_ytd & (att.status >= _ABSENT_FROM)
    if not absent.any():
        return longest
    # Consecutive school days of one student have keys one apart; students never touch.
    key = np.sort(att.code[absent].astype(np.int64) * (n_days + 2) + row_rank[absent])
    starts = np.flatnonzero(np.r_[True, np.diff(key) != 1])
    lengths = np.diff(np.r_[starts, len(key)])
    run_code = key[starts] // (n_days + 2)
    first = np.flatnonzero(np.r_[True, np.diff(run_code) != 0])
    longest[run_code[first]] = np.maximum.reduceat(lengths, first)
    return longest
