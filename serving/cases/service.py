"""The ledger as the API uses it: every read and write scoped to the caller, and audited.

Out of scope answers exactly like missing (None), so case ids cannot be probed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from serving.auth import Principal
from serving.cases import ledger
from serving.cases.ledger import Member, Place
from serving.cases.models import Case
from serving.cases.returnees import Returnee, returnees
from serving.cases.rules import TransitionRefused, check_not_future
from serving.cases.scope import case_scope, may_move
from serving.cases.views import CaseDetail, CaseRow, case_detail, list_cases
from serving.models import Score, User
from serving.store import ScoreStore
from serving.store.scope import latest_published, scope_clause


class NotAllowed(Exception):
    """The caller sees the case but may not do this to it (403)."""


class CaseService:
    """Scoped, audited access to the ledger."""

    def __init__(self, store: ScoreStore) -> None:
        self.store = store

    def _audit(
        self,
        conn: Connection,
        who: Principal,
        keys: Sequence[tuple[str | None, str]],
        ep: str,
        act: str,
    ) -> None:
        """Audit (county, student_id) pairs; a write commits its row in its own transaction."""
        self.store._audit(conn, who, list(keys), ep, act, with_write=act == "write")

    def list(
        self,
        who: Principal,
        filters: dict[str, Any],
        today: dt.date,
        limit: int,
        offset: int,
        endpoint: str,
    ) -> tuple[list[CaseRow], int]:
        with self.store.engine.begin() as conn:
            rows, total = list_cases(conn, who, filters, today, limit, offset)
            self._audit(conn, who, [(r.county, r.student_id) for r in rows], endpoint, "list")
        return rows, total

    def returnees(
        self, who: Principal, today: dt.date, limit: int, endpoint: str
    ) -> list[Returnee]:
        with self.store.engine.begin() as conn:
            rows = returnees(conn, who, today, limit)
            self._audit(
                conn, who, [(r.case.county, r.case.student_id) for r in rows], endpoint, "list"
            )
        return rows

    def get(self, who: Principal, case_id: int, today: dt.date, endpoint: str) -> CaseDetail | None:
        with self.store.engine.begin() as conn:
            detail = case_detail(conn, who, case_id, today)
            if detail is not None:
                self._audit(
                    conn, who, [(detail.case.county, detail.case.student_id)], endpoint, "read"
                )
        return detail

    def _visible(self, conn: Connection, who: Principal, case_id: int) -> Any:
        query = select(Case.id, Case.county, Case.student_id).where(Case.id == case_id)
        clause = case_scope(who.scope)
        return conn.execute(query if clause is None else query.where(clause)).first()

    def _writable(self, conn: Connection, who: Principal, case_id: int, mover: bool) -> Any:
        row = self._visible(conn, who, case_id)
        if row is not None and mover and not may_move(who):
            raise NotAllowed("only county and township case workers move cases and assign teams")
        return row

    def _write(
        self,
        who: Principal,
        case_id: int,
        mover: bool,
        today: dt.date,
        endpoint: str,
        change: Callable[[Connection], None],
    ) -> CaseDetail | None:
        """Apply `change` to a case in scope and audit it; None when the case is not visible."""
        with self.store.engine.begin() as conn:
            row = self._writable(conn, who, case_id, mover)
            if row is None:
                return None
            change(conn)
            self._audit(conn, who, [(row.county, row.student_id)], endpoint, "write")
        return self.get(who, case_id, today, endpoint)

    def move(
        self,
        who: Principal,
        case_id: int,
        to: str,
        on: dt.date,
        reason: str | None,
        plan: str | None,
        today: dt.date,
        endpoint: str,
    ) -> CaseDetail | None:
        def change(conn: Connection) -> None:
            check_not_future(on, today)
            ledger.move_case(conn, case_id, to, on, reason, plan, who.user_id)

        return self._write(who, case_id, True, today, endpoint, change)

    def set_team(
        self,
        who: Principal,
        case_id: int,
        lead: str | None,
        members: Sequence[Member],
        due: dt.date | None,
        today: dt.date,
        endpoint: str,
    ) -> CaseDetail | None:
        def change(conn: Connection) -> None:
            lead_id = None
            if lead:
                lead_id = conn.execute(select(User.id).where(User.name == lead)).scalar()
                if lead_id is None:
                    raise TransitionRefused(f"no user named {lead!r} to lead the case", 422)
            ledger.set_team(conn, case_id, lead_id, members, due, who.user_id)

        return self._write(who, case_id, True, today, endpoint, change)

    def add_visit(
        self,
        who: Principal,
        case_id: int,
        visited_on: dt.date,
        visitor: str,
        notes: str,
        due: dt.date | None,
        today: dt.date,
        endpoint: str,
    ) -> CaseDetail | None:
        def change(conn: Connection) -> None:
            check_not_future(visited_on, today)
            ledger.add_visit(conn, case_id, visited_on, visitor, notes, due, who.user_id)

        return self._write(who, case_id, False, today, endpoint, change)

    def open(
        self,
        who: Principal,
        student_id: str,
        county: str | None,
        state: str,
        on: dt.date,
        reason: str,
        today: dt.date,
        endpoint: str,
    ) -> CaseDetail | None:
        """Open a case by hand for a child in scope (in the latest batch, or with a case)."""
        with self.store.engine.begin() as conn:
            place = self._place(conn, who, student_id, county)
            if place is None:
                self._audit(conn, who, [(county, student_id)], endpoint, "not_found")
                return None
            if not may_move(who):
                raise NotAllowed("only county and township case workers open cases")
            check_not_future(on, today)
            case_id = ledger.open_case(conn, student_id, place, state, on, reason, who.user_id)
            self._audit(conn, who, [(place.county, student_id)], endpoint, "write")
        return self.get(who, case_id, today, endpoint)

    def _place(
        self, conn: Connection, who: Principal, student_id: str, county: str | None
    ) -> Place | None:
        # The score store's own scope rule: a scope without its county sees nothing.
        query = select(
            Score.county, Score.township, Score.school_id, Score.grade, Score.name
        ).where(Score.batch_id == latest_published(), Score.student_id == student_id)
        scope = who.scope
        if (clause := scope_clause(scope)) is not None:
            query = query.where(clause)
        if county is not None:
            query = query.where(Score.county == county)
        found = conn.execute(query).all()
        if len(found) == 1:
            r = found[0]
            return Place(r.county, r.township, r.school_id, None, r.grade, r.name)
        if found:
            raise TransitionRefused(f"student {student_id} is in several counties: add county", 422)
        last = conn.execute(
            select(Case.county, Case.township, Case.school_id, Case.village, Case.grade, Case.name)
            .where(Case.student_id == student_id, *([Case.county == county] if county else []))
            .where(*([c] if (c := case_scope(scope)) is not None else []))
            .order_by(Case.id.desc())
            .limit(1)
        ).first()
        return None if last is None else Place(*last)
