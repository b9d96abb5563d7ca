"""The local engine: encode attendance once, then compute schools in chunks.

Student ids become integer codes once (positions in the roster, which is sorted by school),
so a chunk of whole schools is a contiguous range of codes and its attendance rows are
found with one integer comparison per row instead of string comparisons. Only one chunk's
working arrays exist at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from features.contract import Tables
from features.indicators.attendance import AttendanceCodes, encode_attendance
from features.indicators.compute import SchoolPart, compute_part, window
from features.indicators.keys import member, positions, take_rows

# About 10M attendance rows a chunk: a few hundred MB of working arrays.
DEFAULT_CHUNK_STUDENTS = 50_000
Progress = Callable[[int, int], None]


def school_chunks(roster: pd.DataFrame, chunk_students: int) -> list[tuple[int, int]]:
    """Row ranges [lo, hi) of the roster holding whole schools, about `chunk_students` each."""
    if roster.empty:
        return []
    school = roster["school_id"].to_numpy()
    firsts = np.flatnonzero(np.r_[True, school[1:] != school[:-1]])
    bounds = [0]
    for first in firsts[1:]:
        if first - bounds[-1] >= chunk_students:
            bounds.append(int(first))
    bounds.append(len(roster))
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _rows_by_chunk(codes: np.ndarray, edges: np.ndarray) -> Iterator[np.ndarray]:
    """For each chunk [edges[i], edges[i+1]), the row positions whose code falls in it.

    One comparison pass per chunk is cheaper than sorting 20M rows by chunk.
    """
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        yield np.flatnonzero((codes >= lo) & (codes < hi))


def run_local(
    tables: Tables,
    roster: pd.DataFrame,
    as_of: pd.Timestamp,
    chunk_students: int = DEFAULT_CHUNK_STUDENTS,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Per-school indicators of the population at `as_of`, computed chunk by chunk."""
    year, _, start = window(as_of)
    chunks = school_chunks(roster, chunk_students)
    edges = np.array([lo for lo, _ in chunks] + [len(roster)], dtype=np.int64)
    ids = roster["student_id"]

    att = encode_attendance(tables.attendance, ids, start, as_of)
    att_rows = _rows_by_chunk(att.code, edges)  # lazily: one chunk's row list at a time
    grades = tables.grades.loc[tables.grades["exam_date"] < as_of]
    grade_rows = list(_rows_by_chunk(positions(grades["student_id"], ids), edges))
    history = tables.enrollments.loc[tables.enrollments["school_year"] <= year]
    history_rows = list(_rows_by_chunk(positions(history["student_id"], ids), edges))
    students = tables.students.drop_duplicates("student_id").reset_index(drop=True)
    student_rows = positions(ids, students["student_id"])
    households = tables.households.loc[tables.households["recorded_on"] < as_of]
    schools = tables.schools

    frames = []
    for i, (lo, hi) in enumerate(chunks):
        part_roster = roster.iloc[lo:hi].reset_index(drop=True)
        people = take_rows(students, student_rows[lo:hi])
        part = SchoolPart(
            roster=part_roster,
            schools=schools.loc[member(schools["school_id"], part_roster["school_id"])],
            students=people,
            enrollments=history.iloc[history_rows[i]],
            households=households.loc[member(households["household_id"], people["household_id"])],
            grades=grades.iloc[grade_rows[i]],
            attendance=att.take(next(att_rows), offset=lo),
        )
        frames.append(compute_part(part, as_of))
        if progress is not None:
            progress(i + 1, len(chunks))
    if not frames:
        return compute_part(_empty_part(tables, roster), as_of)
    return pd.concat(frames, ignore_index=True)


def _empty_part(tables: Tables, roster: pd.DataFrame) -> SchoolPart:
    empty = np.zeros(0, dtype=np.int32)
    return SchoolPart(
        roster=roster,
        schools=tables.schools.iloc[:0],
        students=tables.students.iloc[:0],
        enrollments=tables.enrollments.iloc[:0],
        households=tables.households.iloc[:0],
        grades=tables.grades.iloc[:0],
        attendance=AttendanceCodes(empty, empty, empty.astype(np.int8)),
    )


def attendance_only(
    attendance: pd.DataFrame,
    roster: pd.DataFrame,
    as_of: pd.Timestamp,
    chunk_students: int = DEFAULT_CHUNK_STUDENTS,
) -> pd.DataFrame:
    """The attendance indicators alone for every roster student (benchmarks, cross-checks)."""
    from features.indicators.attendance import attendance_indicators

    _, year_start, start = window(as_of)
    chunks = school_chunks(roster, chunk_students)
    edges = np.array([lo for lo, _ in chunks] + [len(roster)], dtype=np.int64)
    att = encode_attendance(attendance, roster["student_id"], start, as_of)
    columns: dict[str, list[np.ndarray]] = {}
    for (lo, hi), rows in zip(chunks, _rows_by_chunk(att.code, edges), strict=True):
        schools, _ = pd.factorize(roster["school_id"].iloc[lo:hi], sort=True)
        values = attendance_indicators(
            att.take(rows, offset=lo), schools.astype(np.int32), start, year_start, as_of
        )
        for name, value in values.items():
            columns.setdefault(name, []).append(value)
    out = pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()})
    out.insert(0, "student_id", roster["student_id"].array)
    return out
