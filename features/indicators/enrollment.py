"""Enrollment indicators: grade, over-age, repeated grades, school changes, boarding, distance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.indicators.keys import positions

# A child enters grade 1 in the school year they turn 6 by 31 August, so on 1 September a
# student in grade g is normally g + 5 years old.
ENTRY_AGE_OFFSET = 5
JUNIOR_FIRST_GRADE = 7


def age_on(birth: pd.Series, day: pd.Timestamp) -> np.ndarray:
    """Whole years of age on `day` (float array, NaN where the birth date is missing)."""
    years = day.year - birth.dt.year
    not_yet = (birth.dt.month > day.month) | (
        (birth.dt.month == day.month) & (birth.dt.day > day.day)
    )
    return (years - not_yet.astype("Int64")).to_numpy(np.float64, na_value=np.nan)


def enrollment_indicators(
    roster: pd.DataFrame,
    history: pd.DataFrame,
    schools: pd.DataFrame,
    birth_date: pd.Series,
    year: int,
    year_start: pd.Timestamp,
) -> dict[str, np.ndarray]:
    """Enrollment indicators per roster row.

    `history` holds the roster students' enrollments up to and including `year`; `birth_date`
    is aligned with the roster rows.
    """
    n = len(roster)
    grade = roster["grade"].to_numpy(np.float64)
    at = positions(roster["school_id"], schools["school_id"])
    rural = np.where(at >= 0, schools["rural"].to_numpy(dtype=object)[np.maximum(at, 0)], None)
    over = age_on(birth_date, year_start) - (grade + ENTRY_AGE_OFFSET)

    past = history.loc[history["school_year"] <= year]
    code = positions(past["student_id"], roster["student_id"])
    frame = pd.DataFrame(
        {
            "code": code,
            "year": past["school_year"].to_numpy(np.int32),
            "grade": past["grade"].to_numpy(np.int32),
            "school": past["school_id"].to_numpy(),
        }
    )
    frame = frame.loc[frame["code"] >= 0].sort_values(["code", "year"], kind="stable")
    same = frame["code"].to_numpy()[1:] == frame["code"].to_numpy()[:-1]
    g = frame["grade"].to_numpy()
    s = frame["school"].to_numpy()
    repeated = same & (g[1:] <= g[:-1])
    # Moving from primary (grade 6) to junior school (grade 7) is not a change of school.
    moved = same & (s[1:] != s[:-1]) & ~((g[:-1] == 6) & (g[1:] == JUNIOR_FIRST_GRADE))
    later = frame["code"].to_numpy()[1:]
    return {
        "grade": grade,
        "over_age": np.where(np.isnan(over), np.nan, np.clip(over, 0, None)),
        "repeated_grades": np.bincount(later[repeated], minlength=n).astype(np.float64),
        "school_changes": np.bincount(later[moved], minlength=n).astype(np.float64),
        "boarding": roster["boarding"].to_numpy(),
        "distance_km": roster["distance_km"].to_numpy(np.float64, na_value=np.nan),
        "rural_school": rural,
        "junior_first_year": grade == JUNIOR_FIRST_GRADE,
    }
