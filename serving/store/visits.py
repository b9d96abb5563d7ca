"""Home visits: recorded and listed for students in the caller's scope only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from features.errors import UserError
from serving.auth import Principal
from serving.models import Score, Visit
from serving.outcomes import OUTCOMES
from serving.store.reads import Reads
from serving.store.rows import VisitRow, as_date, now


class Visits(Reads):
    """A student's visit log, keyed by (county, student_id)."""

    def add_visit(
        self,
        who: Principal,
        student_id: str,
        visited_on: dt.date,
        visitor: str,
        outcome: str,
        notes: str,
        endpoint: str,
        county: str | None = None,
    ) -> VisitRow | None:
        """Record a visit to a student in scope; None (nothing written) when out of scope."""
        if outcome not in OUTCOMES:
            raise UserError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
        with self.engine.begin() as conn:
            found = self.locate(conn, who, student_id, county)
            if found is None:
                self._not_found(conn, who, (county, student_id), endpoint)
                return None
            since = conn.execute(
                select(Score.enrolled_since)
                .where(Score.county == found, Score.student_id == student_id)
                .order_by(Score.batch_id.desc())
                .limit(1)
            ).scalar()
            if since is not None and as_date(visited_on) < as_date(since):
                raise UserError(
                    f"the visit date is before the student's first enrollment ({as_date(since)})"
                )
            at = now()
            result = conn.execute(
                insert(Visit).values(
                    county=found,
                    student_id=student_id,
                    visited_on=visited_on,
                    visitor=visitor,
                    outcome=outcome,
                    notes=notes,
                    recorded_by=who.user_id,
                    recorded_at=at,
                )
            )
            self._audit(conn, who, [(found, student_id)], endpoint, "write", with_write=True)
            visit_id = int(result.inserted_primary_key[0])
        return VisitRow(
            visit_id, student_id, as_date(visited_on), visitor, outcome, notes, at, found
        )

    def visits(
        self, who: Principal, student_id: str, endpoint: str, county: str | None = None
    ) -> list[VisitRow] | None:
        """A student's visits, oldest first, if in scope; None when out of scope or missing."""
        with self.engine.begin() as conn:
            found = self.locate(conn, who, student_id, county)
            if found is None:
                self._not_found(conn, who, (county, student_id), endpoint)
                return None
            rows = conn.execute(
                select(
                    Visit.id,
                    Visit.student_id,
                    Visit.visited_on,
                    Visit.visitor,
                    Visit.outcome,
                    Visit.notes,
                    Visit.recorded_at,
                    Visit.county,
                )
                .where(Visit.county == found, Visit.student_id == student_id)
                .order_by(Visit.visited_on, Visit.id)
            ).all()
            self._audit(conn, who, [(found, student_id)], endpoint, "read")
        return [VisitRow(*r) for r in rows]
