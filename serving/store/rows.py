"""What the store hands back: plain frozen rows, no ORM objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

SCORE_COLUMNS = (
    "student_id",
    "name",
    "school_id",
    "township",
    "county",
    "grade",
    "risk",
    "tier",
    "rank_school",
    "rank_county",
    "enrolled_since",
    "factors",
)
MAX_ID = 64
"""Longest student id the store holds (scores.student_id)."""
MAX_PLACE = 200
"""Longest county, township or visitor name the store holds."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def key_fits(student_id: str, county: str | None) -> bool:
    """Whether an id (and county) can name a stored student at all: checked before any
    query, so an over-long id is answered as missing instead of failing in the database."""
    return 0 < len(student_id) <= MAX_ID and (county is None or 0 < len(county) <= MAX_PLACE)


class AmbiguousStudent(Exception):
    """The id names students of several counties in the caller's scope: `?county=` says which."""


@dataclass(frozen=True)
class BatchInfo:
    """A scoring batch as the store knows it."""

    id: int
    as_of: dt.date
    model_version: str
    n_students: int
    published_at: dt.datetime | None


@dataclass(frozen=True)
class ScoreRow:
    """One student's latest score, with the batch it comes from."""

    student_id: str
    name: str | None
    school_id: str
    township: str
    county: str
    grade: int
    risk: float
    tier: str
    rank_school: int
    rank_county: int
    enrolled_since: dt.date | None
    factors: list[dict[str, Any]]
    as_of: dt.date
    model_version: str
    left: bool = False
    """Not in the latest batch (left school or moved on): this is their last stored score."""


@dataclass(frozen=True)
class VisitRow:
    """A recorded home visit."""

    id: int
    student_id: str
    visited_on: dt.date
    visitor: str
    outcome: str
    notes: str
    recorded_at: dt.datetime
    county: str = ""


@dataclass(frozen=True)
class HistoryPoint:
    """A student's score in one published batch (for the trend on the case workers' page)."""

    as_of: dt.date
    risk: float
    tier: str
    model_version: str


@dataclass(frozen=True)
class ScopeSummary:
    """What a caller's scope holds in the latest batch: tier counts, schools and townships."""

    as_of: dt.date | None
    tiers_in_scope: dict[str, int]
    tiers_in_batch: dict[str, int]
    schools: list[str]
    townships: list[str]
    counties: list[str]
