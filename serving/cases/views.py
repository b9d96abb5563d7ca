"""Reads of the ledger: case rows, a case's whole history, in the caller's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import aliased

from serving.auth import Principal
from serving.cases.models import Case, CaseMember, CaseTransition, CaseVisit
from serving.cases.rules import OPEN_STATES
from serving.cases.scope import case_scope
from serving.models import User

_Lead = aliased(User)
CASE_COLUMNS = (
    Case.id,
    Case.county,
    Case.student_id,
    Case.episode,
    Case.state,
    Case.state_on,
    Case.township,
    Case.school_id,
    Case.village,
    Case.grade,
    Case.name,
    Case.plan,
    _Lead.name.label("lead"),
    Case.next_visit_due,
    Case.opened_on,
)


@dataclass(frozen=True)
class CaseRow:
    """A case as a list shows it."""

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
    overdue: bool = False


@dataclass(frozen=True)
class CaseDetail:
    """A case with its team and its whole history, oldest first."""

    case: CaseRow
    team: list[dict[str, Any]] = field(default_factory=list)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)


def overdue_clause(today: dt.date):  # -> SQL boolean
    return and_(Case.state.in_(OPEN_STATES), Case.next_visit_due < today)


def case_query(who: Principal):  # -> Select
    query = select(*CASE_COLUMNS).outerjoin(_Lead, _Lead.id == Case.lead_user_id)
    clause = case_scope(who.scope)
    return query if clause is None else query.where(clause)


def to_row(mapping: Any, today: dt.date) -> CaseRow:
    """A case row (a query result's `_mapping`) with its overdue flag as of `today`."""
    values = dict(mapping)
    due = values["next_visit_due"]
    late = due is not None and due < today and values["state"] in OPEN_STATES
    return CaseRow(**values, overdue=late)


def list_cases(
    conn: Connection,
    who: Principal,
    filters: dict[str, Any],
    today: dt.date,
    limit: int,
    offset: int,
) -> tuple[list[CaseRow], int]:
    """Cases in scope matching the filters (state, school_id, township, county, overdue,
    student_id), most recently moved first; and their total."""
    query = case_query(who)
    for key in ("state", "school_id", "township", "county", "student_id"):
        if filters.get(key) is not None:
            query = query.where(getattr(Case, key) == filters[key])
    if filters.get("overdue") is not None:
        late = overdue_clause(today)
        query = query.where(late if filters["overdue"] else ~late)
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(
        query.order_by(Case.state_on.desc(), Case.id.desc()).limit(limit).offset(offset)
    ).all()
    return [to_row(r._mapping, today) for r in rows], int(total)


def case_detail(
    conn: Connection, who: Principal, case_id: int, today: dt.date
) -> CaseDetail | None:
    """The case with its team and history, or None when missing or out of scope."""
    row = conn.execute(case_query(who).where(Case.id == case_id)).first()
    if row is None:
        return None
    team = conn.execute(
        select(CaseMember.name, CaseMember.role, CaseMember.phone, CaseMember.since)
        .where(CaseMember.case_id == case_id, CaseMember.until.is_(None))
        .order_by(CaseMember.id)
    ).all()
    moves = conn.execute(
        select(
            CaseTransition.from_state,
            CaseTransition.to_state,
            CaseTransition.on_date,
            CaseTransition.reason,
            CaseTransition.plan,
            User.name.label("by"),
            CaseTransition.recorded_at,
        )
        .outerjoin(User, User.id == CaseTransition.by_user_id)
        .where(CaseTransition.case_id == case_id)
        .order_by(CaseTransition.id)
    ).all()
    visits = conn.execute(
        select(
            CaseVisit.id,
            CaseVisit.visited_on,
            CaseVisit.visitor,
            CaseVisit.notes,
            CaseVisit.recorded_at,
        )
        .where(CaseVisit.case_id == case_id)
        .order_by(CaseVisit.visited_on, CaseVisit.id)
    ).all()
    return CaseDetail(
        case=to_row(row._mapping, today),
        team=[dict(m._mapping) for m in team],
        transitions=[dict(m._mapping) for m in moves],
        visits=[dict(v._mapping) for v in visits],
    )
