"""The two sides of the linkage, as Splink reads them: one row per student, per resident.

Both frames carry the same columns (person_id, name and its pinyin, birth date, gender,
township, village) and a `unique_id` given in a canonical order (by content, not by file
order), so that the linkage cannot depend on how the rows happened to be sorted.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features.contract import Tables, school_year_of

from .names import pinyin_columns

COLUMNS = [
    "unique_id", "person_id", "name", "name_py", "surname_py", "given_py", "birth_date",
    "birth_year", "gender", "township", "village",
]  # fmt: skip


@dataclass(frozen=True)
class Sides:
    """Students and candidate residents, ready to link, plus the school year reconciled."""

    students: pd.DataFrame
    residents: pd.DataFrame
    school_year: int


def compulsory_age(birth_date: pd.Series, school_year: int) -> pd.Series:
    """6 on the 31 August before the school year begins, and not yet 16 on that day."""
    age = age_on(birth_date, pd.Timestamp(f"{school_year}-08-31"))
    return ((age >= 6) & (age < 16)).fillna(False).astype(bool)


def age_on(birth_date: pd.Series, day: pd.Timestamp) -> pd.Series:
    """Whole years of age on `day`."""
    born = pd.to_datetime(birth_date)
    before = (born.dt.month > day.month) | ((born.dt.month == day.month) & (born.dt.day > day.day))
    return (day.year - born.dt.year - before.astype(int)).astype("Int64")


def _text(values: pd.Series) -> pd.Series:
    out = values.astype(object).where(values.notna(), None)
    return out.map(lambda v: None if v is None else str(v).strip() or None)


def _side(frame: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    names = pinyin_columns(frame["name"])
    out = pd.DataFrame(
        {
            "person_id": _text(frame["person_id"]),
            **{c: names[c] for c in ("name", "name_py", "surname_py", "given_py")},
            "birth_date": pd.to_datetime(frame["birth_date"]).dt.date,
            "birth_year": pd.to_datetime(frame["birth_date"]).dt.year.astype("Int64"),
            "gender": _text(frame["gender"]),
            "township": _text(frame["township"]),
            "village": _text(frame["village"]),
        },
        index=frame.index,
    )
    for column in order:
        if column not in out:
            out[column] = frame[column].to_numpy()
    out["key"] = frame.index
    out = out.sort_values(order, kind="stable", na_position="first")
    out.insert(0, "unique_id", range(len(out)))
    return out.reset_index(drop=True)


def student_places(tables: Tables, school_year: int) -> pd.DataFrame:
    """Each student's township (of the latest school attended up to `school_year`) and village."""
    enrolled = tables.enrollments.loc[tables.enrollments["school_year"] <= school_year]
    latest = enrolled.sort_values("school_year").drop_duplicates("student_id", keep="last")
    towns = latest.merge(tables.schools[["school_id", "township"]], on="school_id", how="left")
    places = tables.students[["student_id", "household_id"]].merge(
        towns[["student_id", "township"]], on="student_id", how="left"
    )
    households = tables.households
    if "village" in households.columns:
        last = households.sort_values("recorded_on").drop_duplicates("household_id", keep="last")
        places = places.merge(last[["household_id", "village"]], on="household_id", how="left")
    else:
        places["village"] = None
    return places.set_index("student_id")[["township", "village"]]


def prepare(tables: Tables, as_of: pd.Timestamp) -> Sides:
    """The students and the residents who could be one of them (born in the students' years)."""
    if tables.residents is None:
        raise ValueError("the data folder holds no residents table")
    year = school_year_of(as_of)
    students = tables.students.copy()
    if "person_id" not in students.columns:
        students["person_id"] = None
    if "name" not in students.columns:
        students["name"] = None
    places = student_places(tables, year).reindex(students["student_id"].astype(object))
    students["township"] = places["township"].to_numpy()
    students["village"] = places["village"].to_numpy()
    students = students.set_index(pd.RangeIndex(len(students)))
    left = _side(students, ["student_id"])
    residents = tables.residents
    born = pd.to_datetime(residents["birth_date"])
    first = pd.to_datetime(tables.students["birth_date"]).min() - pd.DateOffset(years=1)
    last = pd.to_datetime(tables.students["birth_date"]).max() + pd.DateOffset(years=1)
    candidates = residents.loc[(born >= first) & (born <= last)]
    order = ["person_id", "name", "birth_date", "gender", "township", "village"]
    right = _side(candidates, order)
    return Sides(left, right, year)
