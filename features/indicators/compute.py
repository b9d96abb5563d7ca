"""All per-school indicators for one group of whole schools: the unit both engines run.

The local engine and the Dask engine cut the county into `SchoolPart`s differently, but
both call `compute_part` on them, so the indicator code is the same on a laptop and on a
cluster. Indicators that cross schools (siblings) are joined afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.catalogue import typed_column
from features.contract import school_year_of
from features.indicators.attendance import AttendanceCodes, attendance_indicators, lookback_start
from features.indicators.demographics import demographic_indicators
from features.indicators.enrollment import enrollment_indicators
from features.indicators.grades import grade_indicators
from features.indicators.household import household_indicators
from features.indicators.keys import positions, take_rows
from features.indicators.population import school_year_start

# Every indicator except those computed across schools.
CROSS_SCHOOL = ("sibling_left", "left_before")


@dataclass(frozen=True)
class SchoolPart:
    """The records of a group of whole schools as of one date.

    `roster` is everyone enrolled at these schools in the school year containing the date,
    sorted by school_id then student_id; a student's position in it is their code, which
    `attendance.code` uses. The other frames hold only these students' (or their households')
    rows and may hold rows dated on or after the as-of date: the indicators filter them.
    """

    roster: pd.DataFrame
    schools: pd.DataFrame
    students: pd.DataFrame
    enrollments: pd.DataFrame
    households: pd.DataFrame
    grades: pd.DataFrame
    attendance: AttendanceCodes


def window(as_of: pd.Timestamp) -> tuple[int, pd.Timestamp, pd.Timestamp]:
    """The school year of `as_of`, its first day, and the first day of attendance read."""
    year = school_year_of(as_of)
    start = school_year_start(year)
    return year, start, lookback_start(as_of, start)


def compute_part(part: SchoolPart, as_of: pd.Timestamp) -> pd.DataFrame:
    """Indicators (all but the cross-school ones) for the population rows of one part."""
    roster = part.roster
    year, year_start, start = window(as_of)
    school_codes, _ = pd.factorize(roster["school_id"], sort=True)
    students = part.students.drop_duplicates("student_id")
    people = take_rows(students, positions(roster["student_id"], students["student_id"]))

    values: dict[str, object] = {}
    values.update(household_indicators(part.households, people["household_id"], as_of))
    values.update(
        attendance_indicators(
            part.attendance, school_codes.astype(np.int32), start, year_start, as_of
        )
    )
    values.update(grade_indicators(part.grades, roster, as_of))
    values.update(
        enrollment_indicators(
            roster,
            part.enrollments,
            part.schools,
            people["birth_date"],
            year,
            year_start,
        )
    )
    values.update(demographic_indicators(people, as_of))
    frame = pd.DataFrame({name: typed_column(name, v) for name, v in values.items()})
    frame.insert(0, "school_id", roster["school_id"].array)
    frame.insert(0, "student_id", roster["student_id"].array)
    return frame.loc[roster["in_population"].to_numpy()].reset_index(drop=True)
