"""Which partition every row goes to, so that a partition holds whole schools.

Schools are cut, county by county, into groups of consecutive schools (by school_id) of
about `group_students` students each; a partition is a (county, group). Rows then follow:

- a row naming a school (schools, enrollments) goes to that school's partition;
- a yearly row of a student (attendance by the school year of its date, grades by its
  school_year) goes to the partition of the school the student was enrolled in that year,
  so a partition of a school year holds the whole of its schools' records for that year;
- any other row of a student (students, dropouts) goes to the student's home: the
  partition of their latest enrollment; a household goes to the home of its first student;
- a row that cannot be placed (a student never enrolled) goes to the partition
  `UNASSIGNED`, never dropped.

Tables other than the seven (added to the contract later) follow the same rules by the
columns they hold, so every table `Tables` carries is placed without a list to update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import Tables
from features.indicators.keys import positions

GROUP_STUDENTS = 25_000
UNASSIGNED = "_unassigned"
# Tables partitioned by school year too, and the column that gives the year.
YEAR_FROM = {"attendance": "date", "grades": "school_year"}


@dataclass(frozen=True)
class Placement:
    """Partitions (row i = part i; the last is UNASSIGNED) and the part of each key."""

    parts: pd.DataFrame  # p_county, p_group
    school_ids: pd.Series
    school_part: np.ndarray
    student_ids: pd.Series
    student_part: np.ndarray  # home: the part of the latest enrollment
    first_year: int
    year_part: np.ndarray  # (student, school_year - first_year) -> part, -1 when not enrolled
    household_ids: pd.Series
    household_part: np.ndarray

    @property
    def unassigned(self) -> int:
        return len(self.parts) - 1


def school_groups(tables: Tables, group_students: int) -> pd.DataFrame:
    """school_id, county, group: consecutive schools of about `group_students` students."""
    schools = tables.schools.drop_duplicates("school_id").sort_values(["county", "school_id"])
    enr = tables.enrollments
    sizes = enr.drop_duplicates(["school_id", "student_id"]).groupby("school_id").size()
    size = schools["school_id"].map(sizes).fillna(0).to_numpy(np.int64)
    before = pd.Series(size).groupby(schools["county"].to_numpy()).cumsum().to_numpy() - size
    return pd.DataFrame(
        {
            "school_id": schools["school_id"].to_numpy(),
            "county": schools["county"].to_numpy(),
            "group": (before // max(group_students, 1)).astype(np.int32),
        }
    )


def place(tables: Tables, group_students: int = GROUP_STUDENTS) -> Placement:
    """The partition of every school, student (per year and home) and household."""
    groups = school_groups(tables, group_students)
    parts = groups[["county", "group"]].drop_duplicates().reset_index(drop=True)
    parts.loc[len(parts)] = [UNASSIGNED, 0]
    parts = parts.rename(columns={"county": "p_county", "group": "p_group"})
    unassigned = len(parts) - 1
    part_index = pd.MultiIndex.from_frame(parts)
    school_part = part_index.get_indexer(pd.MultiIndex.from_frame(groups[["county", "group"]]))

    enr = tables.enrollments.sort_values("school_year", kind="stable")
    student_ids = pd.Series(enr["student_id"].unique())
    who = positions(enr["student_id"], student_ids)
    at = positions(enr["school_id"], groups["school_id"])
    enr_part = np.where(at >= 0, school_part[np.maximum(at, 0)], unassigned)
    first_year = int(enr["school_year"].min()) if len(enr) else 0
    n_years = int(enr["school_year"].max()) - first_year + 1 if len(enr) else 0
    year_part = np.full((len(student_ids), n_years), -1, dtype=np.int32)
    year_part[who, enr["school_year"].to_numpy(np.int64) - first_year] = enr_part
    student_part = np.full(len(student_ids), unassigned, dtype=np.int32)
    student_part[who] = enr_part  # sorted by year: the latest enrollment is written last

    homes = tables.students[["student_id", "household_id"]].sort_values("student_id")
    at = positions(homes["student_id"], student_ids)
    homes = homes.assign(part=np.where(at >= 0, student_part[np.maximum(at, 0)], unassigned))
    homes = homes.loc[at >= 0].drop_duplicates("household_id")
    return Placement(
        parts=parts,
        school_ids=groups["school_id"],
        school_part=school_part.astype(np.int32),
        student_ids=student_ids,
        student_part=student_part,
        first_year=first_year,
        year_part=year_part,
        household_ids=homes["household_id"].reset_index(drop=True),
        household_part=homes["part"].to_numpy(np.int32),
    )


def school_year_of_dates(dates: pd.Series) -> np.ndarray:
    """The school year of each date (September to August), vectorised."""
    months = dates.to_numpy("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    year, month = 1970 + months // 12, months % 12 + 1
    return (year - (month < 9)).astype(np.int32)


def _lookup(ids: pd.Series, keys: pd.Series, part: np.ndarray, fallback: int) -> np.ndarray:
    at = positions(ids, keys)
    return np.where(at >= 0, part[np.maximum(at, 0)], fallback).astype(np.int32)


def row_years(name: str, frame: pd.DataFrame) -> np.ndarray | None:
    """The school year of each row of a yearly table, None for other tables."""
    column = YEAR_FROM.get(name)
    if column is None or column not in frame.columns:
        return None
    if column == "school_year":
        return frame[column].to_numpy(np.int32)
    return school_year_of_dates(frame[column])


def row_parts(name: str, frame: pd.DataFrame, placement: Placement) -> np.ndarray:
    """The part of each row of table `name`, by the rules in this module's docstring."""
    fallback = placement.unassigned
    if "school_id" in frame.columns:
        return _lookup(frame["school_id"], placement.school_ids, placement.school_part, fallback)
    if "student_id" in frame.columns:
        home = _lookup(frame["student_id"], placement.student_ids, placement.student_part, fallback)
        years = row_years(name, frame)
        if years is None or placement.year_part.size == 0:
            return home
        who = positions(frame["student_id"], placement.student_ids)
        offset = years.astype(np.int64) - placement.first_year
        ok = (who >= 0) & (offset >= 0) & (offset < placement.year_part.shape[1])
        that_year = np.full(len(frame), -1, dtype=np.int32)
        that_year[ok] = placement.year_part[who[ok], offset[ok]]
        return np.where(that_year >= 0, that_year, home)
    if "household_id" in frame.columns:
        return _lookup(
            frame["household_id"], placement.household_ids, placement.household_part, fallback
        )
    return np.full(len(frame), fallback, dtype=np.int32)
