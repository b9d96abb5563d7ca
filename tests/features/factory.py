"""Small hand-made counties for indicator tests: typed frames built from plain rows.

`tables(...)` takes lists of row tuples or dicts per table and returns a `Tables` whose
columns have exactly the contract's dtypes; tables not given are empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
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


def write_csv_folder(tables_: Tables, folder: Path) -> Path:
    """Write typed tables as the seven CSV files of a data folder, dates as YYYY-MM-DD."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in tables_.items():
        data.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    return folder


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


def random_county(
    seed: int = 0,
    students: int = 60,
    schools: int = 3,
    first_year: int = 2022,
    years: int = 2,
    breaks: Sequence[tuple[str, str]] | None = None,
) -> Tables:
    """A small random county: a few schools, households with siblings, a few school years of
    attendance on weekdays, two terms of exams a year, household updates and dropouts.

    `breaks` gives each school its own winter break ("MM-DD" first and last day off, in the
    January and February of each school year); without it every school is off 1-19 February.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    school_ids = [f"S{i:02d}" for i in range(schools)]
    school_rows = [
        (s, f"School {s}", "C1", f"T{i % 2}", "nine_year", bool(i % 2), bool(i % 3 == 0))
        for i, s in enumerate(school_ids)
    ]
    ids = [f"P{i:04d}" for i in range(students)]
    homes = [f"H{i // 2:04d}" if i % 3 else f"H{i:04d}x" for i in range(students)]
    student_rows = [
        (
            sid,
            homes[i],
            "F" if rng.random() < 0.5 else "M",
            pd.Timestamp(first_year - 7 - int(rng.integers(0, 8)), int(rng.integers(1, 13)), 15),
            bool(rng.random() < 0.2),
            "none" if rng.random() < 0.9 else "physical",
        )
        for i, sid in enumerate(ids)
    ]
    enrollment_rows = []
    attendance = []
    grade_rows = []
    dropout_rows = []
    start_grade = rng.integers(1, 8, size=students)
    home_school = rng.integers(0, schools, size=students)
    for y in range(first_year, first_year + years):
        days = pd.bdate_range(f"{y}-09-01", f"{y + 1}-07-10")
        days = days[~((days.month == 2) & (days.day < 20))]  # a winter break
        own = None
        if breaks is not None:
            every = pd.bdate_range(f"{y}-09-01", f"{y + 1}-07-10")
            own = {
                s: every[(every < f"{y + 1}-{first}") | (every > f"{y + 1}-{last}")]
                for s, (first, last) in zip(school_ids, breaks, strict=True)
            }
        for i, sid in enumerate(ids):
            grade = min(9, int(start_grade[i]) + (y - first_year))
            school = school_ids[(home_school[i] + (rng.random() < 0.1)) % schools]
            if own is not None:
                days = own[school]
            dist = None if rng.random() < 0.1 else round(float(rng.gamma(2.0, 2.0)), 1)
            enrollment_rows.append((sid, y, school, grade, bool(rng.random() < 0.3), dist))
            p_absent = float(rng.beta(1, 12))
            statuses = rng.choice(
                ["present", "late", "absent_excused", "absent_sick", "absent_unexcused"],
                size=len(days),
                p=[
                    0.9 * (1 - p_absent),
                    0.1 * (1 - p_absent),
                    p_absent / 4,
                    p_absent / 4,
                    p_absent / 2,
                ],
            )
            keep = rng.random(len(days)) > 0.02
            attendance += [(sid, d, s) for d, s, k in zip(days, statuses, keep, strict=True) if k]
            for term, exam in ((1, f"{y + 1}-01-15"), (2, f"{y + 1}-07-05")):
                for subject in ("math", "chinese", "english"):
                    score = float(np.clip(rng.normal(72, 15), 0, 100)).__round__(1)
                    grade_rows.append((sid, y, term, subject, score, exam))
        leavers = rng.choice(students, size=max(1, students // 15), replace=False)
        for j in leavers:
            left = pd.Timestamp(f"{y}-09-01") + pd.Timedelta(days=int(rng.integers(5, 300)))
            back = (
                left + pd.Timedelta(days=int(rng.integers(10, 90))) if rng.random() < 0.3 else None
            )
            dropout_rows.append((ids[j], left, "child_labor", back))
    household_rows = []
    for h in sorted(set(homes)):
        for k in range(int(rng.integers(1, 4))):
            household_rows.append(
                (
                    h,
                    pd.Timestamp(f"{first_year - 1}-06-01")
                    + pd.Timedelta(days=200 * k + int(rng.integers(0, 150))),
                    bool(rng.random() < 0.3),
                    bool(rng.random() < 0.2),
                    bool(rng.random() < 0.4),
                    bool(rng.random() < 0.3),
                    str(rng.choice(["parents", "grandparents", "mother", "father"])),
                )
            )
    dropout_rows = list({(r[0], r[1]): r for r in dropout_rows}.values())
    return tables(
        schools=school_rows,
        students=student_rows,
        enrollments=enrollment_rows,
        households=household_rows,
        attendance=attendance,
        grades=grade_rows,
        dropouts=dropout_rows,
    )
