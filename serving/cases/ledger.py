"""Writes to the ledger: open a case, move it, set its team, record a visit.

Every write checks the rules (serving.cases.rules) and appends; nothing is updated in
place except the case's current state, plan, team lead and due date, whose whole
history stays in `case_transitions` and `case_team`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from serving.cases.models import Case, CaseMember, CaseTransition, CaseVisit
from serving.cases.rules import TEAM_ROLES, TransitionRefused, check_opening, check_transition


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Place:
    """Where a child belongs: the last school, its township and county, the home village."""

    county: str
    township: str
    school_id: str
    village: str | None = None
    grade: int | None = None
    name: str | None = None


@dataclass(frozen=True)
class Member:
    """One of the "N" responsible persons."""

    name: str
    role: str
    phone: str | None = None


def open_case(
    conn: Connection,
    student_id: str,
    place: Place,
    state: str,
    on: dt.date,
    reason: str,
    by_user_id: int | None,
    source_key: str | None = None,
) -> int:
    """Open the child's next episode; refused while an earlier one is still open."""
    check_opening(state, reason)
    last = conn.execute(
        select(Case.episode, Case.state)
        .where(Case.county == place.county, Case.student_id == student_id)
        .order_by(Case.episode.desc())
        .limit(1)
    ).first()
    if last is not None and last.state not in ("closed", "exempt"):
        raise TransitionRefused(
            f"student {student_id} already has an open case ({last.state}); move that one"
        )
    case_id = conn.execute(
        insert(Case).values(
            county=place.county,
            student_id=student_id,
            episode=1 if last is None else last.episode + 1,
            state=state,
            state_on=on,
            township=place.township,
            school_id=place.school_id,
            village=place.village,
            grade=place.grade,
            name=place.name,
            opened_on=on,
            created_at=now(),
        )
    ).inserted_primary_key[0]
    _log(conn, int(case_id), None, state, on, reason, None, by_user_id, source_key)
    return int(case_id)


def move_case(
    conn: Connection,
    case_id: int,
    to: str,
    on: dt.date,
    reason: str | None,
    plan: str | None,
    by_user_id: int | None,
    source_key: str | None = None,
) -> None:
    """Move a case after the rules allow it (raises TransitionRefused otherwise)."""
    row = conn.execute(
        select(Case.state, Case.state_on).where(Case.id == case_id).with_for_update()
    ).one()
    check_transition(row.state, row.state_on, to, on, reason, plan)
    values: dict[str, object] = {"state": to, "state_on": on}
    if to == "returned":
        values["plan"] = plan
    conn.execute(update(Case).where(Case.id == case_id).values(**values))
    _log(conn, case_id, row.state, to, on, reason, plan, by_user_id, source_key)


def _log(
    conn: Connection,
    case_id: int,
    from_state: str | None,
    to: str,
    on: dt.date,
    reason: str | None,
    plan: str | None,
    by_user_id: int | None,
    source_key: str | None,
) -> None:
    conn.execute(
        insert(CaseTransition).values(
            case_id=case_id,
            from_state=from_state,
            to_state=to,
            on_date=on,
            reason=reason or "",
            plan=plan,
            by_user_id=by_user_id,
            source_key=source_key,
            recorded_at=now(),
        )
    )


def set_team(
    conn: Connection,
    case_id: int,
    lead_user_id: int | None,
    members: Sequence[Member],
    next_visit_due: dt.date | None,
    by_user_id: int,
) -> None:
    """Replace the lead mentor and the N persons; replaced persons keep their rows (`until`)."""
    for m in members:
        if m.role not in TEAM_ROLES:
            raise TransitionRefused(f"role {m.role!r} is not one of {', '.join(TEAM_ROLES)}", 422)
        if not m.name.strip():
            raise TransitionRefused("each responsible person needs a name", 422)
    at = now()
    current = conn.execute(
        select(CaseMember.id, CaseMember.name, CaseMember.role, CaseMember.phone).where(
            CaseMember.case_id == case_id, CaseMember.until.is_(None)
        )
    ).all()
    wanted = {(m.name.strip(), m.role, m.phone or None) for m in members}
    gone = [r.id for r in current if (r.name, r.role, r.phone) not in wanted]
    if gone:
        conn.execute(update(CaseMember).where(CaseMember.id.in_(gone)).values(until=at))
    kept = {(r.name, r.role, r.phone) for r in current}
    new = [
        {
            "case_id": case_id,
            "name": n,
            "role": r,
            "phone": p,
            "since": at,
            "by_user_id": by_user_id,
        }
        for n, r, p in sorted(wanted - kept, key=str)
    ]
    if new:
        conn.execute(insert(CaseMember), new)
    conn.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(lead_user_id=lead_user_id, next_visit_due=next_visit_due)
    )


def add_visit(
    conn: Connection,
    case_id: int,
    visited_on: dt.date,
    visitor: str,
    notes: str,
    next_visit_due: dt.date | None,
    by_user_id: int,
) -> int:
    """Record a team visit; a given next due date replaces the case's."""
    visit_id = conn.execute(
        insert(CaseVisit).values(
            case_id=case_id,
            visited_on=visited_on,
            visitor=visitor,
            notes=notes,
            recorded_by=by_user_id,
            recorded_at=now(),
        )
    ).inserted_primary_key[0]
    if next_visit_due is not None:
        conn.execute(update(Case).where(Case.id == case_id).values(next_visit_due=next_visit_due))
    return int(visit_id)
