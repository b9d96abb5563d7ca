"""The casework API's bodies (they make the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

StateName = Literal["suspected", "confirmed", "persuading", "returned", "closed", "exempt"]


class CaseOut(BaseModel):
    """A case as a list shows it; `name` is shown to case workers in scope, never logged."""

    id: int
    county: str
    student_id: str
    episode: int
    state: str
    state_on: dt.date
    township: str
    school_id: str
    village: str | None
    grade: int | None
    name: str | None
    plan: str | None
    lead: str | None
    next_visit_due: dt.date | None
    opened_on: dt.date
    overdue: bool


class CaseList(BaseModel):
    total: int
    limit: int
    offset: int
    cases: list[CaseOut]


class MemberIO(BaseModel):
    """One of the "N": a name, a role, and a phone shown only to callers in scope."""

    name: str = Field(min_length=1, max_length=200)
    role: Literal["school", "township", "village", "department", "family"]
    phone: str | None = Field(default=None, max_length=32)


class TransitionOut(BaseModel):
    from_state: str | None
    to_state: str
    on_date: dt.date
    reason: str
    plan: str | None
    by: str | None = Field(description="Who moved it; null: `cases sync` from the data.")
    recorded_at: dt.datetime


class CaseVisitOut(BaseModel):
    id: int
    visited_on: dt.date
    visitor: str
    notes: str
    recorded_at: dt.datetime


class CaseDetailOut(BaseModel):
    """The case, its "1 + N" team and its whole history, oldest first."""

    case: CaseOut
    team: list[MemberIO]
    transitions: list[TransitionOut]
    visits: list[CaseVisitOut]


class CaseIn(BaseModel):
    """Open a case by hand for a child in your scope."""

    student_id: str = Field(min_length=1, max_length=64)
    county: str | None = Field(default=None, description="Needed only when ids repeat.")
    state: Literal["suspected", "confirmed"] = "suspected"
    date: dt.date
    reason: str = Field(min_length=1, max_length=2000)


class TransitionIn(BaseModel):
    """Move a case: `exempt` needs a reason, `returned` a plan."""

    to: StateName
    date: dt.date
    reason: str | None = Field(default=None, max_length=2000)
    plan: str | None = None


class TeamIn(BaseModel):
    """The lead mentor (a user's name) and the N responsible persons; replaces the team."""

    lead: str | None = None
    members: list[MemberIO] = Field(default_factory=list, max_length=50)
    next_visit_due: dt.date | None = None


class CaseVisitIn(BaseModel):
    date: dt.date
    visitor: str = Field(min_length=1, max_length=200)
    notes: str = Field(default="", max_length=4000)
    next_visit_due: dt.date | None = None


class ReturneeOut(BaseModel):
    case: CaseOut
    risk: float | None
    tier: str | None


class MonitoringOut(BaseModel):
    """Counts per unit in your scope; `total` is their sum."""

    level: str
    on: dt.date
    period: str
    units: list[dict[str, str | int | None]]
    total: dict[str, int]
