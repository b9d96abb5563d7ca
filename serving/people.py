"""Whom to contact and where: school names and each child's guardian, village, address, phone.

Written from the data folder at each scoring (a county's rows replaced by its new export)
and read only through scoped routes for case workers. Contact details are never logged and
never written into the audit log's text: the audit records only which student was read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Engine,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    tuple_,
)

metadata = MetaData()
schools = Table(
    "schools",
    metadata,
    Column("county", String(200), primary_key=True),
    Column("school_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("township", String(200), nullable=False),
)
contacts = Table(
    "contacts",
    metadata,
    Column("county", String(200), primary_key=True),
    Column("student_id", String(64), primary_key=True),
    Column("guardian", String(16)),
    Column("father_migrant", Boolean),
    Column("mother_migrant", Boolean),
    Column("village", String(200)),
    Column("address", String(500)),
    Column("guardian_name", String(200)),
    Column("guardian_phone", String(40)),
    Column("as_of", Date, nullable=False),
)
CONTACT_COLUMNS = ("village", "address", "guardian_name", "guardian_phone")
_CHUNK = 2_000


@dataclass(frozen=True)
class Contact:
    """Whom to see about a child and where (as the household record stood at `as_of`)."""

    county: str
    student_id: str
    guardian: str | None
    father_migrant: bool | None
    mother_migrant: bool | None
    village: str | None
    address: str | None
    guardian_name: str | None
    guardian_phone: str | None
    as_of: dt.date


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def contact_rows(tables, features: pd.DataFrame) -> pd.DataFrame:  # tables: features.Tables
    """One row per scored child: the household's latest record on or before the as-of date."""
    as_of = pd.Timestamp(features["as_of"].iloc[0])
    kids = features[["county", "student_id"]].astype(str)
    students = tables.students[["student_id", "household_id"]].astype({"student_id": str})
    hh = tables.households[tables.households["recorded_on"] <= as_of]
    hh = hh.sort_values(["household_id", "recorded_on"]).groupby("household_id").tail(1)
    wanted = ["guardian", "father_migrant", "mother_migrant"]
    wanted += [c for c in CONTACT_COLUMNS if c in hh.columns]
    rows = kids.merge(students, on="student_id", how="left").merge(
        hh[["household_id", *wanted]], on="household_id", how="left"
    )
    for column in CONTACT_COLUMNS:
        if column not in rows.columns:
            rows[column] = None
    rows["as_of"] = as_of.date()
    return rows.drop(columns=["household_id"])


def record_people(engine: Engine, tables, features: pd.DataFrame) -> int:
    """Replace the scored counties' school names and contacts; returns contacts written."""
    counties = sorted(features["county"].astype(str).unique())
    school_rows = [
        {"county": str(r.county), "school_id": str(r.school_id), "name": str(r.name),
         "township": str(r.township)}
        for r in tables.schools.itertuples(index=False)
        if str(r.county) in counties
    ]  # fmt: skip
    frame = contact_rows(tables, features)
    people = [
        {
            "county": r["county"],
            "student_id": r["student_id"],
            "guardian": _text(r["guardian"]),
            "father_migrant": None if pd.isna(r["father_migrant"]) else bool(r["father_migrant"]),
            "mother_migrant": None if pd.isna(r["mother_migrant"]) else bool(r["mother_migrant"]),
            **{c: _text(r[c]) for c in CONTACT_COLUMNS},
            "as_of": r["as_of"],
        }
        for r in frame.to_dict("records")
    ]
    write_people(engine, counties, school_rows, people)
    return len(people)


def write_people(
    engine: Engine, counties: list[str], school_rows: list[dict], people: list[dict]
) -> None:
    """Replace the given counties' school names and contacts in one transaction."""
    with engine.begin() as conn:
        conn.execute(delete(schools).where(schools.c.county.in_(counties)))
        conn.execute(delete(contacts).where(contacts.c.county.in_(counties)))
        if school_rows:
            conn.execute(insert(schools), school_rows)
        for start in range(0, len(people), _CHUNK):
            conn.execute(insert(contacts), people[start : start + _CHUNK])


def find_contacts(
    engine: Engine, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Contact]:
    """Contacts of the given (county, student_id) pairs; the caller has checked the scope."""
    keys = list(keys)
    out: dict[tuple[str, str], Contact] = {}
    with engine.connect() as conn:
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            query = select(contacts).where(
                tuple_(contacts.c.county, contacts.c.student_id).in_(chunk)
            )
            for row in conn.execute(query):
                out[(row.county, row.student_id)] = Contact(**row._mapping)
    return out


def school_names(engine: Engine) -> dict[tuple[str, str], str]:
    """(county, school_id) -> the school's name."""
    with engine.connect() as conn:
        rows = conn.execute(select(schools.c.county, schools.c.school_id, schools.c.name))
        return {(r.county, r.school_id): r.name for r in rows}
