"""The input data contract: the seven tables, the optional ones, their columns and types.

This module is the single source of truth that the loader, the validator, the
synthetic county and the indicators all read. DESIGN.md's "Input data contract"
section is written out here as data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Literal

import pandas as pd

from features.export import ExportDate, export_date

ColumnKind = Literal["id", "text", "date", "bool", "int", "float", "code"]

LEVELS = ("primary", "junior", "nine_year")
GENDERS = ("F", "M")
DISABILITIES = ("none", "physical", "visual", "hearing", "intellectual", "multiple", "other")
GUARDIANS = ("parents", "father", "mother", "grandparents", "relatives", "other", "none")
ATTENDANCE_STATUSES = ("present", "late", "absent_excused", "absent_sick", "absent_unexcused")
DROPOUT_REASONS = (
    "child_labor",
    "learning_difficulty",
    "early_marriage",
    "religious",
    "disability",
    "family_poverty",
    "illness",
    "migration",
    "other",
    "unknown",
)

# Ids are strings backed by Arrow: "007" keeps its zeros, and 20M attendance rows
# cost bytes per id rather than a Python object each.
ID_DTYPE = pd.StringDtype("pyarrow")
TEXT_DTYPE = pd.StringDtype("pyarrow")
DATE_DTYPE = "datetime64[ns]"


@dataclass(frozen=True)
class Column:
    """One column of a table: its kind, allowed codes or range, and whether it may be empty."""

    name: str
    kind: ColumnKind
    nullable: bool = False
    codes: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    required: bool = True
    earliest: str | None = None
    """Dates only: the earliest plausible date when it is not 1990-01-01 (people's births)."""

    @property
    def dtype(self) -> object:
        """The pandas dtype the loader gives this column."""
        if self.kind in ("id",):
            return ID_DTYPE
        if self.kind == "text":
            return TEXT_DTYPE
        if self.kind == "date":
            return DATE_DTYPE
        if self.kind == "bool":
            return "boolean" if self.nullable else "bool"
        if self.kind == "int":
            return "Int16" if self.nullable else "int16"
        if self.kind == "float":
            return "float64"
        return pd.CategoricalDtype(list(self.codes or ()), ordered=False)


@dataclass(frozen=True)
class Table:
    """One table of the contract: its columns and the columns that identify a row."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


SCHOOLS = Table(
    "schools",
    (
        Column("school_id", "id"),
        Column("name", "text"),
        Column("county", "text"),
        Column("township", "text"),
        Column("level", "code", codes=LEVELS),
        Column("rural", "bool"),
        Column("boarding", "bool"),
    ),
    key=("school_id",),
)
STUDENTS = Table(
    "students",
    (
        Column("student_id", "id"),
        Column("household_id", "id"),
        Column("gender", "code", codes=GENDERS),
        Column("birth_date", "date"),
        Column("ethnic_minority", "bool"),
        Column("disability", "code", codes=DISABILITIES),
        # Shown to case workers in scope; never an indicator, never logged.
        Column("name", "text", nullable=True, required=False),
        # The resident identity number the school register holds (GB 11643), for
        # reconciliation only: never an indicator, never logged, never in a report.
        Column("person_id", "text", nullable=True, required=False),
    ),
    key=("student_id",),
)
ENROLLMENTS = Table(
    "enrollments",
    (
        Column("student_id", "id"),
        Column("school_year", "int", min=1990, max=2100),
        Column("school_id", "id"),
        Column("grade", "int", min=1, max=9),
        Column("boarding", "bool"),
        Column("distance_km", "float", nullable=True, min=0, max=500),
    ),
    key=("student_id", "school_year"),
)
HOUSEHOLDS = Table(
    "households",
    (
        Column("household_id", "id"),
        Column("recorded_on", "date"),
        Column("registered_poor", "bool"),
        Column("low_income_allowance", "bool"),
        Column("father_migrant", "bool"),
        Column("mother_migrant", "bool"),
        Column("guardian", "code", codes=GUARDIANS),
        # Contact details: shown only to case workers in scope; never indicators, never logged.
        Column("village", "text", nullable=True, required=False),
        Column("address", "text", nullable=True, required=False),
        Column("guardian_name", "text", nullable=True, required=False),
        Column("guardian_phone", "text", nullable=True, required=False),
    ),
    key=("household_id", "recorded_on"),
)
ATTENDANCE = Table(
    "attendance",
    (
        Column("student_id", "id"),
        Column("date", "date"),
        Column("status", "code", codes=ATTENDANCE_STATUSES),
    ),
    key=("student_id", "date"),
)
GRADES = Table(
    "grades",
    (
        Column("student_id", "id"),
        Column("school_year", "int", min=1990, max=2100),
        Column("term", "int", min=1, max=2),
        Column("subject", "text"),
        Column("score", "float", min=0, max=100),
        Column("exam_date", "date"),
    ),
    key=("student_id", "school_year", "term", "subject"),
)
DROPOUTS = Table(
    "dropouts",
    (
        Column("student_id", "id"),
        Column("left_on", "date"),
        Column("reason", "code", codes=DROPOUT_REASONS),
        Column("returned_on", "date", nullable=True),
    ),
    key=("student_id", "left_on"),
)

RESIDENT_STATUSES = ("resident", "moved_out", "deceased")
# The household register (户籍) export: one row per person, the latest record.
RESIDENTS = Table(
    "residents",
    (
        Column("person_id", "text", nullable=True),
        Column("name", "text"),
        Column("gender", "code", codes=GENDERS),
        Column("birth_date", "date", earliest="1900-01-01"),
        Column("county", "text"),
        Column("township", "text"),
        Column("village", "text", nullable=True),
        Column("status", "code", codes=RESIDENT_STATUSES),
        Column("recorded_on", "date"),
    ),
    key=("person_id",),
)

# The outcomes a visit may record, as the API takes them.
VISIT_OUTCOMES = (
    "stays_in_school",
    "agreed_to_return",
    "returned_to_class",
    "new_class",
    "vocational_school",
    "not_home",
    "parent_refused",
    "child_working_away",
    "moved_away",
    "left",
)
VISITS = Table(
    "visits",
    (
        Column("student_id", "id"),
        Column("visited_on", "date"),
        Column("visitor", "text"),
        Column("outcome", "code", nullable=True, codes=VISIT_OUTCOMES),
    ),
    key=("student_id", "visited_on", "visitor"),
)

CONTRACT: dict[str, Table] = {
    t.name: t for t in (SCHOOLS, STUDENTS, ENROLLMENTS, HOUSEHOLDS, ATTENDANCE, GRADES, DROPOUTS)
}
TABLE_NAMES: tuple[str, ...] = tuple(CONTRACT)
# Tables a folder may hold or not; when present they are checked like the others.
OPTIONAL: dict[str, Table] = {t.name: t for t in (RESIDENTS, VISITS)}
ALL_TABLES: dict[str, Table] = {**CONTRACT, **OPTIONAL}


@dataclass(frozen=True)
class Tables:
    """The validated tables of one data folder, typed as the contract says.

    `exported_on` is the folder's export date as the validator found it (export.json, or the
    latest date in the raw files); tables built in code leave it None and `export_date()`
    reads it from the tables themselves.
    """

    schools: pd.DataFrame
    students: pd.DataFrame
    enrollments: pd.DataFrame
    households: pd.DataFrame
    attendance: pd.DataFrame
    grades: pd.DataFrame
    dropouts: pd.DataFrame
    residents: pd.DataFrame | None = field(default=None, kw_only=True)
    """The household register, when the folder holds one (reconciliation)."""
    exported_on: pd.Timestamp | None = field(default=None, kw_only=True)
    visits: pd.DataFrame | None = field(default=None, kw_only=True)
    """Home visits kept outside the service (optional table; None when the folder has none)."""

    def items(self) -> list[tuple[str, pd.DataFrame]]:
        """(name, frame) of every table present, in the contract's order, optional ones last."""
        present = [(f.name, getattr(self, f.name)) for f in fields(self) if f.name in ALL_TABLES]
        return [(name, frame) for name, frame in present if frame is not None]

    def export_date(self) -> ExportDate:
        """The export date (DESIGN.md): every record dated on or before it is valid."""
        return export_date(self.exported_on, date_columns(self.items()))


def date_columns(frames: Iterable[tuple[str, pd.DataFrame]]) -> Iterator[tuple[str, pd.Series]]:
    """("table.column", dates) for every date column of the contract present in `frames`."""
    for name, frame in frames:
        for column in ALL_TABLES[name].columns:
            if column.kind == "date" and column.name in frame.columns:
                yield f"{name}.{column.name}", frame[column.name]


def school_year_of(date: pd.Timestamp) -> int:
    """The school year containing a date: year Y runs from September Y to August Y+1."""
    return date.year if date.month >= 9 else date.year - 1
