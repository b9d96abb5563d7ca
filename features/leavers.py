"""Every recorded departure with the leaver's grade, school, township and demographics:
the table the notebooks start from when they ask who leaves, when and where."""

from __future__ import annotations

import pandas as pd

from features.contract import Tables, school_year_of


def leavers(tables: Tables) -> pd.DataFrame:
    """Every recorded departure with the leaver's grade, school, township and demographics.

    The grade and school are those of the enrollment in the school year of `left_on`.
    """
    data = tables
    out = data.dropouts.copy()
    out["school_year"] = [school_year_of(pd.Timestamp(t)) for t in out["left_on"]]
    enrol = data.enrollments[["student_id", "school_year", "school_id", "grade"]]
    enrol = enrol.astype({"student_id": "string", "school_id": "string"})
    out["student_id"] = out["student_id"].astype("string")
    out = out.merge(enrol, on=["student_id", "school_year"], how="left")
    schools = data.schools[["school_id", "township", "rural"]].astype({"school_id": "string"})
    out = out.merge(schools, on="school_id", how="left")
    people = data.students[["student_id", "gender", "ethnic_minority", "disability"]]
    out = out.merge(people.astype({"student_id": "string"}), on="student_id", how="left")
    out["month"] = pd.to_datetime(out["left_on"]).dt.month
    out["returned"] = out["returned_on"].notna()
    return out
