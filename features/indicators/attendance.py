"""Attendance indicators, computed on integer codes with numpy for a group of whole schools.

School days are per school: the days on which any student enrolled there this school year
has an attendance record. Windows ("last 30 school days") count back from the last school
day before the as-of date along that school's calendar, so a window may reach back into the
previous school year. Rates are absences over recorded days inside the window; a student
with no record in a window has no rate (missing, not zero). "Absent" is any of the three
absence statuses; late counts as present.

Attendance is read from the start of the school year or `LOOKBACK_DAYS` before the as-of
date, whichever is earlier. "School days since last present" counts within that span; a
student never present in it gets the number of school days in it. "This school year" (the
year-to-date rates and the longest run) starts on 1 September.
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


def _arrow_chunks(series: pd.Series) -> list[pa.Array] | None:
    """The Arrow chunks behind an Arrow-backed column, or None for a numpy-backed one."""
    array = series.array
    if isinstance(series.dtype, pd.CategoricalDtype) or not hasattr(array, "__arrow_array__"):
        return None
    return list(pa.chunked_array(array.__arrow_array__()).chunks)


def _lookup(values: pa.Array, value_set: pa.Array) -> np.ndarray:
    """Position of each value in `value_set`, -1 when absent (hashed in Arrow)."""
    found = pc.index_in(values, value_set=value_set)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)


def _codes_in(series: pd.Series, value_set: pa.Array) -> np.ndarray:
    """Each value's position in `value_set` (-1 when absent or missing), without a Python loop
    per row: categorical and Arrow dictionary columns look up only their distinct values."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = pa.array(series.cat.categories.astype(str))
        lookup = np.append(_lookup(cats, value_set), np.int32(-1))
        return lookup[series.cat.codes.to_numpy()]
    chunks = _arrow_chunks(series)
    if chunks is None:
        return _lookup(pa.array(series.astype("string[pyarrow]")), value_set)
    parts = []
    seen: tuple[pa.Array, np.ndarray] | None = None  # Parquet batches share a dictionary
    for chunk in chunks:
        if pa.types.is_dictionary(chunk.type):
            if seen is None or not (
                seen[0] is chunk.dictionary or seen[0].equals(chunk.dictionary)
            ):
                lookup = np.append(_lookup(chunk.dictionary.cast(pa.string()), value_set), -1)
                seen = (chunk.dictionary, lookup)
            indices = pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False)
            parts.append(seen[1][indices].astype(np.int32, copy=False))
        else:
            parts.append(_lookup(chunk.cast(pa.string()), value_set))
    return np.concatenate(parts) if parts else np.zeros(0, np.int32)


def _day_numbers(series: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 as int32, from numpy datetimes or Arrow dates/timestamps."""
    chunks = _arrow_chunks(series)
    if chunks is None:
        values = series.to_numpy()
        if not np.issubdtype(values.dtype, np.datetime64):
            values = pd.to_datetime(series).to_numpy()
        return values.astype("datetime64[D]").view(np.int64).astype(np.int32)
    parts = []
    for chunk in chunks:
        if not pa.types.is_date32(chunk.type):
            chunk = chunk.cast(pa.date32())
        parts.append(chunk.view(pa.int32()).to_numpy(zero_copy_only=False))
    return np.concatenate(parts).astype(np.int32, copy=False) if parts else np.zeros(0, np.int32)


def encode_attendance(
    attendance: pd.DataFrame, roster_ids: pd.Series, start: pd.Timestamp, as_of: pd.Timestamp
) -> AttendanceCodes:
    """Keep the rows of roster students dated in [start, as_of) and turn them into codes.

    Works on the contract's dtypes and on Arrow-backed columns (dictionary-encoded ids and
    statuses straight from Parquet), so the big table is never turned into Python strings.
    """
    roster_set = pa.array(roster_ids.astype("string[pyarrow]"))
    day = _day_numbers(attendance["date"])
    keep = (day >= day_number(start)) & (day < day_number(as_of))
    code = _codes_in(attendance["student_id"], roster_set)
    status = _codes_in(attendance["status"], pa.array(list(ATTENDANCE_STATUSES))).astype(np.int8)
    keep &= (code >= 0) & (status >= 0)
    if keep.all():
        return AttendanceCodes(code, day, status)
    return AttendanceCodes(code[keep], day[keep], status[keep])


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
    n_schools = int(school_of.max()) + 1 if n else 1
    ys = day_number(year_start) - day_number(start)
    # A row's (school, day) as one index into small per-school-day tables.
    flat = school_of[att.code] * np.int32(n_days) + (att.day - np.int32(day_number(start)))

    # Each school's calendar: a day is a school day when any of its students has a record.
    calendar = np.zeros(n_schools * n_days, dtype=bool)
    calendar[flat] = True
    calendar = calendar.reshape(n_schools, n_days)
    rank = np.cumsum(calendar, axis=1, dtype=np.int32)  # 1-based position of a school day
    total = rank[:, -1]
    back_of_day = total[:, None] - rank + 1  # 1 = the last school day before as_of
    # Per school day: window band of "school days back" (<=14, <=30, <=60, <=90, more) and
    # whether it is in this school year; rows then need a single lookup.
    band = (back_of_day > 14).astype(np.int8)
    band += back_of_day > 30
    band += back_of_day > 60
    band += back_of_day > 90
    cell_of_day = (band * 2 + (np.arange(n_days) >= ys)[None, :]).astype(np.int8).ravel()

    klass = (att.status >= _ABSENT_FROM).astype(np.int8)  # 0 present, 1 absent, 2 unexcused
    klass += att.status == _UNEXCUSED
    cell = cell_of_day[flat] * np.int8(3) + klass
    counts = np.bincount(att.code * np.int64(30) + cell, minlength=n * 30)
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

    absent = np.flatnonzero(klass > 0)  # few rows: filter them before anything else
    absent_ytd = absent[(cell[absent] // 3) % 2 == 1]
    out["longest_absence_run"] = _longest_runs(
        att.code[absent_ytd], rank.ravel()[flat[absent_ytd]], n, n_days
    )
    out["longest_absence_run"][ytd.sum(axis=1) == 0] = np.nan

    # School days since the last day present (late counts as present), within the lookback.
    present = klass == 0
    nearest = np.full(n, np.iinfo(np.int32).max, dtype=np.int32)
    np.minimum.at(nearest, att.code[present], back_of_day.ravel()[flat[present]])
    recorded = counts.sum(axis=(1, 2, 3)) > 0
    since = np.where(nearest < np.iinfo(np.int32).max, nearest - 1, total[school_of])
    out["days_since_present"] = np.where(recorded, since, np.nan)
    return out


def _longest_runs(code: np.ndarray, rank: np.ndarray, n: int, n_days: int) -> np.ndarray:
    """Longest run of consecutive school days absent, per roster code, from the absent rows'
    codes and school-day ranks."""
    longest = np.zeros(n, dtype=np.float64)
    if not len(code):
        return longest
    # Consecutive school days of one student have keys one apart; students never touch.
    key = np.sort(code.astype(np.int64) * (n_days + 2) + rank)
    starts = np.flatnonzero(np.r_[True, np.diff(key) != 1])
    lengths = np.diff(np.r_[starts, len(key)])
    run_code = key[starts] // (n_days + 2)
    first = np.flatnonzero(np.r_[True, np.diff(run_code) != 0])
    longest[run_code[first]] = np.maximum.reduceat(lengths, first)
    return longest
