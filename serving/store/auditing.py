"""The audit trail: who touched which student's record, when, and through which endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from serving.audit import AuditWriter
from serving.auth import Principal
from serving.models import AuditEntry, User
from serving.store.rows import MAX_ID, MAX_PLACE, now

StudentKey = tuple[str | None, str]
"""(county, student_id); the county is None for a missing id given without one."""


class AuditTrail:
    """Writes audit rows in the caller's transaction, or through the server's writer."""

    engine: Engine
    _audit_writer: AuditWriter | None

    def _audit(
        self,
        conn: Connection,
        who: Principal,
        keys: Sequence[StudentKey],
        endpoint: str,
        action: str,
        with_write: bool = False,
    ) -> None:
        """Record who touched which students' records: through the writer (returns once
        committed), or in `conn`'s own transaction when it writes too (`with_write`: the
        row and what it records commit together, and SQLite's one writer is not waited on
        by itself)."""
        if not keys:
            return
        at = now()
        rows = [
            {
                "at": at,
                "user_id": who.user_id,
                "county": county if county is None or len(county) <= MAX_PLACE else None,
                "student_id": sid[:MAX_ID],
                "endpoint": endpoint[:128],
                "action": action,
            }
            for county, sid in keys
        ]
        if self._audit_writer is not None and not with_write:
            self._audit_writer.write(rows)  # returns once committed
        else:
            conn.execute(insert(AuditEntry), rows)

    def audit_log(
        self, student_id: str | None = None, county: str | None = None
    ) -> list[dict[str, Any]]:
        """Audit rows, oldest first, with the user's name (optionally for one student)."""
        query = (
            select(
                AuditEntry.at,
                User.name.label("user"),
                AuditEntry.county,
                AuditEntry.student_id,
                AuditEntry.endpoint,
                AuditEntry.action,
            )
            .join(User, User.id == AuditEntry.user_id)
            .order_by(AuditEntry.id)
        )
        if student_id is not None:
            query = query.where(AuditEntry.student_id == student_id)
        if county is not None:
            query = query.where(AuditEntry.county == county)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]
