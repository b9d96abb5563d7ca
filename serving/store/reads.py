"""Scoped reads, each audited: one student, the watchlist, the trend, the latest visits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select, tuple_

from serving.auth import Principal
from serving.models import Batch, Score, Visit
from serving.store.auditing import AuditTrail
from serving.store.rows import (
    AmbiguousStudent,
    HistoryPoint,
    ScopeSummary,
    ScoreRow,
    as_date,
    key_fits,
)
from serving.store.scope import (
    SCORE_SELECT,
    latest_published,
    left_query,
    locate_query,
    query_for,
    scope_clause,
    scope_counties,
    student_params,
    student_query,
)


def _two_counties(rows: Sequence[Any]) -> bool:
    """Whether the newest batch that held a (departed) id held it in two counties."""
    return len(rows) > 1 and rows[0].county != rows[1].county and rows[0].as_of == rows[1].as_of


def _score_row(row: Any, left: bool = False) -> ScoreRow:
    return ScoreRow(**row._mapping, left=left)


class Reads(AuditTrail):
    """Reads of students in the caller's scope; out of scope answers exactly like missing."""

    engine: Engine

    def locate(
        self, conn: Connection, who: Principal, student_id: str, county: str | None
    ) -> str | None:
        """The county of the one in-scope student with this id (and county, when given);
        None when there is none; `AmbiguousStudent` when several counties have one."""
        if not key_fits(student_id, county):
            return None
        params = student_params(who.scope, student_id, county)
        found = conn.execute(query_for(who.scope, county, locate_query), params).scalars().all()
        if not found:  # left school: their last batch, judged by their last school
            rows = conn.execute(query_for(who.scope, county, left_query), params).all()
            if len(rows) > 1 and (rows[0].as_of, rows[0].county != rows[1].county) == (
                rows[1].as_of,
                True,
            ):
                raise AmbiguousStudent(student_id)
            found = [r.county for r in rows[:1]]
        if len(found) > 1:
            raise AmbiguousStudent(student_id)
        return found[0] if found else None

    def student(
        self, who: Principal, student_id: str, endpoint: str, county: str | None = None
    ) -> ScoreRow | None:
        """A student's latest score if in the caller's scope; None exactly as for a missing one."""
        if not key_fits(student_id, county):
            return None
        params = student_params(who.scope, student_id, county)
        with self.engine.begin() as conn:
            rows = conn.execute(query_for(who.scope, county, student_query), params).all()
            left = not rows
            if left:  # a child who left stays readable by their last school's jurisdiction
                rows = conn.execute(query_for(who.scope, county, left_query), params).all()
                if len(rows) > 1 and (rows[0].as_of, rows[0].county != rows[1].county) == (
                    rows[1].as_of,
                    True,
                ):
                    raise AmbiguousStudent(student_id)
                rows = rows[:1]
            if len(rows) > 1:
                raise AmbiguousStudent(student_id)
            key = (rows[0].county if rows else county, student_id)
            self._audit(conn, who, [key], endpoint, "read" if rows else "not_found")
        return _score_row(rows[0], left) if rows else None

    def _not_found(
        self, conn: Connection, who: Principal, key: tuple[str | None, str], endpoint: str
    ) -> None:
        if key_fits(key[1], key[0]):
            self._audit(conn, who, [key], endpoint, "not_found")

    def watchlist(
        self,
        who: Principal,
        endpoint: str,
        filters: Mapping[str, str | None],
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[ScoreRow], int]:
        """Students in scope and matching the filters, highest risk first; and the total."""
        where = [Score.batch_id == latest_published()]
        clause = scope_clause(who.scope)
        if clause is not None:
            where.append(clause)
        for key in ("school_id", "township", "county", "tier"):
            if filters.get(key) is not None:
                where.append(getattr(Score, key) == filters[key])
        if filters.get("tier") is None:  # past compulsory-school age: listed apart, unranked
            where.append(Score.tier != "past_age")
        with self.engine.begin() as conn:
            total = conn.execute(select(func.count()).select_from(Score).where(*where)).scalar_one()
            rows = conn.execute(
                select(*SCORE_SELECT)
                .join(Batch, Batch.id == Score.batch_id)
                .where(and_(*where))
                # Equal risks: the one tie rule, as ranked by batch scoring (training.metrics).
                .order_by(Score.risk.desc(), Score.rank_county, Score.student_id, Score.county)
                .limit(limit)
                .offset(offset)
            ).all()
            self._audit(conn, who, [(r.county, r.student_id) for r in rows], endpoint, "list")
        return [_score_row(r) for r in rows], int(total)

    def history(
        self, who: Principal, student_id: str, endpoint: str, county: str | None = None
    ) -> list[HistoryPoint] | None:
        """The student's score in every stored published batch, oldest first, if in scope now."""
        with self.engine.begin() as conn:
            found = self.locate(conn, who, student_id, county)
            if found is None:
                self._not_found(conn, who, (county, student_id), endpoint)
                return None
            rows = conn.execute(
                select(Batch.as_of, Score.risk, Score.tier, Batch.model_version)
                .join(Batch, Batch.id == Score.batch_id)
                .where(
                    Score.county == found,
                    Score.student_id == student_id,
                    Batch.published_at.is_not(None),
                )
                .order_by(Batch.as_of, Batch.published_at, Batch.id)
            ).all()
            self._audit(conn, who, [(found, student_id)], endpoint, "read")
        return [HistoryPoint(as_date(r[0]), float(r[1]), r[2], r[3]) for r in rows]

    def last_visits(
        self,
        who: Principal,
        student_ids: Sequence[str],
        endpoint: str,
        county: str | None = None,
    ) -> dict[str, dt.date]:
        """The latest visit date of each given student in scope who has one, by id. An id
        that names students of two counties in scope is left out unless `county` says which."""
        ids = [s for s in dict.fromkeys(student_ids) if key_fits(s, county)]
        if not ids:
            return {}
        where = [Score.batch_id == latest_published(), Score.student_id.in_(ids)]
        clause = scope_clause(who.scope)
        if clause is not None:
            where.append(clause)
        if county is not None:
            where.append(Score.county == county)
        with self.engine.begin() as conn:
            keys = conn.execute(select(Score.county, Score.student_id).where(*where)).all()
            counts: dict[str, int] = {}
            for _, sid in keys:
                counts[sid] = counts.get(sid, 0) + 1
            unique = [(c, s) for c, s in keys if counts[s] == 1]
            if not unique:
                return {}
            rows = conn.execute(
                select(Visit.county, Visit.student_id, func.max(Visit.visited_on))
                .where(tuple_(Visit.county, Visit.student_id).in_(unique))
                .group_by(Visit.county, Visit.student_id)
            ).all()
            self._audit(conn, who, [(r[0], r[1]) for r in rows], endpoint, "list")
        return {r[1]: as_date(r[2]) for r in rows}

    def scope_summary(self, who: Principal) -> ScopeSummary:
        """Tier counts in the caller's scope and in the county (or counties) it lies in."""
        latest = Score.batch_id == latest_published()
        clause, counties = scope_clause(who.scope), scope_counties(who.scope)
        scoped = [latest] if clause is None else [latest, clause]
        around = [latest] if counties is None else [latest, counties]
        with self.engine.connect() as conn:
            in_scope = conn.execute(
                select(Score.tier, func.count()).where(*scoped).group_by(Score.tier)
            ).all()
            in_batch = conn.execute(
                select(Score.tier, func.count()).where(*around).group_by(Score.tier)
            ).all()
            schools = conn.execute(
                select(Score.school_id).where(*scoped).distinct().order_by(Score.school_id)
            ).scalars()
            townships = conn.execute(
                select(Score.township).where(*scoped).distinct().order_by(Score.township)
            ).scalars()
            counties = conn.execute(
                select(Score.county).where(*scoped).distinct().order_by(Score.county)
            ).scalars()
            schools, townships, counties = list(schools), list(townships), list(counties)
            as_of = conn.execute(select(Batch.as_of).where(Batch.id == latest_published())).first()
        return ScopeSummary(
            as_of=as_date(as_of[0]) if as_of else None,
            tiers_in_scope={t: int(n) for t, n in in_scope},
            tiers_in_batch={t: int(n) for t, n in in_batch},
            schools=schools,
            townships=townships,
            counties=counties,
        )
