"""The score store: batches published atomically, scoped reads, users, visits, audit log.

Readers always read the latest *published* batch. A batch's rows are written under
its own id first; one short transaction then stamps `published_at`, so readers see
the old batch or the new one, never half of one, and a crash mid-run leaves the old
batch in service.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from features.errors import UserError
from serving.audit import AuditWriter
from serving.auth import Principal, Role, Scope, hash_token, new_token
from serving.db import make_engine, upgrade
from serving.models import AuditEntry, Batch, Score, User, Visit

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
    "factors",
)
OUTCOMES = ("stays_in_school", "returned_to_class", "new_class", "vocational_school", "left")
_CHUNK = 5_000
# Published batches kept: enough for the risk trend on the case workers' page.
KEEP_BATCHES = 12
_AUTH_TTL_S = 30.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    factors: list[dict[str, Any]]
    as_of: dt.date
    model_version: str


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


_SCORE_SELECT = [getattr(Score, c) for c in SCORE_COLUMNS] + [Batch.as_of, Batch.model_version]


def _latest_published():  # -> scalar subquery
    """The id of the batch published most recently."""
    return (
        select(Batch.id)
        .where(Batch.published_at.is_not(None))
        .order_by(Batch.published_at.desc(), Batch.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _one_student_where(scope_column: str | None, pinned_county: bool) -> list:
    """Latest published batch, one student (`:student_id`), and the scope (`:scope_value`,
    and `:scope_county` for a township pinned to its county)."""
    where = [Score.batch_id == _latest_published(), Score.student_id == bindparam("student_id")]
    if scope_column is not None:
        where.append(getattr(Score, scope_column) == bindparam("scope_value"))
    if pinned_county:
        where.append(Score.county == bindparam("scope_county"))
    return where


def _scope_params(scope: Scope, student_id: str) -> dict[str, str | None]:
    return {"student_id": student_id, "scope_value": scope.value, "scope_county": scope.county}


# The hot-path statements are built once per scope kind: building a select() costs more
# than running it on SQLite.
@functools.cache
def _student_query(scope_column: str | None, pinned_county: bool) -> Select:
    where = _one_student_where(scope_column, pinned_county)
    return select(*_SCORE_SELECT).join(Batch, Batch.id == Score.batch_id).where(*where)


@functools.cache
def _in_scope_query(scope_column: str | None, pinned_county: bool) -> Select:
    return select(Score.student_id).where(*_one_student_where(scope_column, pinned_county))


def _scope_clause(scope: Scope):  # -> SQL boolean or None
    column = scope.column
    if column is None:
        return None
    clause = getattr(Score, column) == scope.value
    return clause if scope.county is None else and_(clause, Score.county == scope.county)


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


class ScoreStore:
    """All reads and writes of the score store go through here."""

    def __init__(self, engine: Engine, buffered_audit: bool = False) -> None:
        self.engine = engine
        self._auth_cache: dict[str, tuple[float, Principal | None]] = {}
        # The server buffers audit rows (see serving.audit); commands write them at once.
        self._audit_writer = AuditWriter(engine) if buffered_audit else None

    @classmethod
    def open(cls, url: str, migrate: bool = True, buffered_audit: bool = False) -> ScoreStore:
        """Open (and by default upgrade) the store at `url`."""
        if migrate:
            upgrade(url)
        return cls(make_engine(url), buffered_audit=buffered_audit)

    def close(self) -> None:
        if self._audit_writer is not None:
            self._audit_writer.close()
        self.engine.dispose()

    # -- batches ------------------------------------------------------------------------------

    def begin_batch(self, as_of: dt.date, model_version: str) -> int:
        """Create an unpublished batch and return its id."""
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(Batch).values(
                    as_of=as_of, model_version=model_version, created_at=_now(), n_students=0
                )
            )
            return int(result.inserted_primary_key[0])

    def add_scores(self, batch_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        """Append score rows to an unpublished batch, in chunks; returns the number written."""
        written = 0
        chunk: list[tuple[Any, ...]] = []
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        for row in rows:
            values = [row.get(c) for c in SCORE_COLUMNS]
            values[-1] = dumps(values[-1] or [])  # factors, last of SCORE_COLUMNS
            chunk.append((batch_id, *values))
            if len(chunk) >= _CHUNK:
                written += self._insert_chunk(chunk)
                chunk = []
        if chunk:
            written += self._insert_chunk(chunk)
        return written

    def _insert_chunk(self, chunk: list[tuple[Any, ...]]) -> int:
        # Plain DB-API executemany with factors already in JSON: SQLAlchemy's per-value bind
        # processing was most of the time of a 100k-row batch.
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        names = ("batch_id", *SCORE_COLUMNS)
        sql = f"INSERT INTO scores ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
        with self.engine.begin() as conn:
            conn.exec_driver_sql(sql, chunk)
        return len(chunk)

    def publish(self, batch_id: int, keep: int = KEEP_BATCHES) -> None:
        """Make a batch the one readers see, in one transaction; prune older batches."""
        with self.engine.begin() as conn:
            count = conn.execute(
                select(func.count()).select_from(Score).where(Score.batch_id == batch_id)
            ).scalar_one()
            updated = conn.execute(
                update(Batch)
                .where(Batch.id == batch_id, Batch.published_at.is_(None))
                .values(published_at=_now(), n_students=count)
            ).rowcount
            if updated != 1:
                raise UserError(f"batch {batch_id} does not exist or is already published")
        self._prune(keep)

    def _prune(self, keep: int) -> None:
        """Drop all but the `keep` newest published batches, and unpublished ones left behind."""
        with self.engine.begin() as conn:
            published = conn.execute(
                select(Batch.id)
                .where(Batch.published_at.is_not(None))
                .order_by(Batch.published_at.desc(), Batch.id.desc())
            ).scalars()
            stale = list(published)[keep:]
            newest = conn.execute(select(_latest_published())).scalar_one()
            abandoned = conn.execute(
                select(Batch.id).where(Batch.published_at.is_(None), Batch.id < newest)
            ).scalars()
            stale += list(abandoned)
            if stale:
                conn.execute(delete(Score).where(Score.batch_id.in_(stale)))
                conn.execute(delete(Batch).where(Batch.id.in_(stale)))

    def discard(self, batch_id: int) -> None:
        """Remove an unpublished batch (a failed run); a published one is left alone."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(Score).where(
                    Score.batch_id == batch_id,
                    Score.batch_id.in_(select(Batch.id).where(Batch.published_at.is_(None))),
                )
            )
            conn.execute(delete(Batch).where(Batch.id == batch_id, Batch.published_at.is_(None)))

    def publish_batch(
        self,
        as_of: dt.date,
        model_version: str,
        rows: Iterable[Mapping[str, Any]],
        progress: Callable[[int], None] | None = None,
        keep: int = KEEP_BATCHES,
    ) -> int:
        """Write a whole batch and publish it; on any error the old batch stays in service."""
        batch_id = self.begin_batch(as_of, model_version)
        try:
            chunk: list[Mapping[str, Any]] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= _CHUNK:
                    self.add_scores(batch_id, chunk)
                    if progress:
                        progress(len(chunk))
                    chunk = []
            if chunk:
                self.add_scores(batch_id, chunk)
                if progress:
                    progress(len(chunk))
            self.publish(batch_id, keep)
        except BaseException:
            self.discard(batch_id)
            raise
        return batch_id

    def latest_batch(self) -> BatchInfo | None:
        """The batch readers see now, or None before the first publish."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    Batch.id, Batch.as_of, Batch.model_version, Batch.n_students, Batch.published_at
                ).where(Batch.id == _latest_published())
            ).first()
        return None if row is None else BatchInfo(*row)

    def batches(self) -> list[BatchInfo]:
        """Every batch still stored, newest first (published or not)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    Batch.id, Batch.as_of, Batch.model_version, Batch.n_students, Batch.published_at
                ).order_by(Batch.id.desc())
            ).all()
        return [BatchInfo(*r) for r in rows]

    # -- scoped reads, each audited -----------------------------------------------------------

    def student(self, who: Principal, student_id: str, endpoint: str) -> ScoreRow | None:
        """A student's latest score if in the caller's scope; None exactly as for a missing one."""
        params = _scope_params(who.scope, student_id)
        with self.engine.begin() as conn:
            row = conn.execute(
                _student_query(who.scope.column, who.scope.county is not None), params
            ).first()
            self._audit(conn, who, [student_id], endpoint, "read" if row else "not_found")
        return None if row is None else self._score_row(row)

    def watchlist(
        self,
        who: Principal,
        endpoint: str,
        filters: Mapping[str, str | None],
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[ScoreRow], int]:
        """Students in scope and matching the filters, highest risk first; and the total."""
        where = [Score.batch_id == _latest_published()]
        clause = _scope_clause(who.scope)
        if clause is not None:
            where.append(clause)
        for key in ("school_id", "township", "county", "tier"):
            if filters.get(key) is not None:
                where.append(getattr(Score, key) == filters[key])
        with self.engine.begin() as conn:
            total = conn.execute(select(func.count()).select_from(Score).where(*where)).scalar_one()
            rows = conn.execute(
                select(*_SCORE_SELECT)
                .join(Batch, Batch.id == Score.batch_id)
                .where(and_(*where))
                # Equal risks: the one tie rule, as ranked by batch scoring (training.metrics).
                .order_by(Score.risk.desc(), Score.rank_county, Score.student_id)
                .limit(limit)
                .offset(offset)
            ).all()
            self._audit(conn, who, [r.student_id for r in rows], endpoint, "list")
        return [self._score_row(r) for r in rows], int(total)

    @staticmethod
    def _score_row(row: Any) -> ScoreRow:
        return ScoreRow(**row._mapping)

    def _audit(
        self,
        conn: Connection,
        who: Principal,
        student_ids: Sequence[str],
        endpoint: str,
        action: str,
    ) -> None:
        """Record who touched which students' records, in `conn`'s transaction or the buffer."""
        if not student_ids:
            return
        at = _now()
        user = who.user_id
        rows = [
            {"at": at, "user_id": user, "student_id": sid, "endpoint": endpoint, "action": action}
            for sid in student_ids
        ]
        if self._audit_writer is not None:
            self._audit_writer.add(rows)
        else:
            conn.execute(insert(AuditEntry), rows)

    def audit_log(self, student_id: str | None = None) -> list[dict[str, Any]]:
        """Audit rows, oldest first, with the user's name (optionally for one student)."""
        query = (
            select(
                AuditEntry.at,
                User.name.label("user"),
                AuditEntry.student_id,
                AuditEntry.endpoint,
                AuditEntry.action,
            )
            .join(User, User.id == AuditEntry.user_id)
            .order_by(AuditEntry.id)
        )
        if student_id is not None:
            query = query.where(AuditEntry.student_id == student_id)
        if self._audit_writer is not None:
            self._audit_writer.flush()
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # -- users --------------------------------------------------------------------------------

    def add_user(self, name: str, role: Role, scope: Scope) -> str:
        """Create a user and return their token; the token itself is never stored.

        A `township:X` scope is pinned to X's county in the latest batch, and refused when
        X names townships in several counties (then `township:COUNTY/X` says which).
        """
        scope = self._pin_township(scope)
        token = new_token()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(User).values(
                        name=name,
                        role=role,
                        scope=str(scope),
                        token_hash=hash_token(token),
                        created_at=_now(),
                    )
                )
        except IntegrityError as exc:
            raise UserError(f"a user named {name!r} already exists") from exc
        return token

    def _pin_township(self, scope: Scope) -> Scope:
        if scope.kind != "township" or scope.county is not None:
            return scope
        with self.engine.connect() as conn:
            counties = (
                conn.execute(
                    select(Score.county)
                    .where(Score.batch_id == _latest_published(), Score.township == scope.value)
                    .distinct()
                    .order_by(Score.county)
                )
                .scalars()
                .all()
            )
        if len(counties) > 1:
            raise UserError(
                f"township {scope.value!r} is in {len(counties)} counties "
                f"({', '.join(counties)}): say which with township:COUNTY/{scope.value}"
            )
        return Scope("township", scope.value, counties[0]) if counties else scope

    def authenticate(self, token: str) -> Principal | None:
        """The user a token belongs to, or None; answers are cached briefly per process."""
        digest = hash_token(token)
        cached = self._auth_cache.get(digest)
        if cached is not None and time.monotonic() - cached[0] < _AUTH_TTL_S:
            return cached[1]
        with self.engine.connect() as conn:
            row = conn.execute(
                select(User.id, User.name, User.role, User.scope).where(User.token_hash == digest)
            ).first()
        who = None if row is None else Principal(row.id, row.name, row.role, Scope.parse(row.scope))
        if len(self._auth_cache) > 10_000:
            self._auth_cache.clear()  # bad tokens must not grow memory without bound
        self._auth_cache[digest] = (time.monotonic(), who)
        return who

    # -- visits -------------------------------------------------------------------------------

    def add_visit(
        self,
        who: Principal,
        student_id: str,
        visited_on: dt.date,
        visitor: str,
        outcome: str,
        notes: str,
        endpoint: str,
    ) -> VisitRow | None:
        """Record a visit to a student in scope; None (nothing written) when out of scope."""
        if outcome not in OUTCOMES:
            raise UserError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
        with self.engine.begin() as conn:
            if not self._in_scope(conn, who, student_id):
                self._audit(conn, who, [student_id], endpoint, "not_found")
                return None
            at = _now()
            result = conn.execute(
                insert(Visit).values(
                    student_id=student_id,
                    visited_on=visited_on,
                    visitor=visitor,
                    outcome=outcome,
                    notes=notes,
                    recorded_by=who.user_id,
                    recorded_at=at,
                )
            )
            self._audit(conn, who, [student_id], endpoint, "write")
            visit_id = int(result.inserted_primary_key[0])
        return VisitRow(visit_id, student_id, _as_date(visited_on), visitor, outcome, notes, at)

    def visits(self, who: Principal, student_id: str, endpoint: str) -> list[VisitRow] | None:
        """A student's visits, oldest first, if in scope; None when out of scope or missing."""
        with self.engine.begin() as conn:
            if not self._in_scope(conn, who, student_id):
                self._audit(conn, who, [student_id], endpoint, "not_found")
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
                )
                .where(Visit.student_id == student_id)
                .order_by(Visit.visited_on, Visit.id)
            ).all()
            self._audit(conn, who, [student_id], endpoint, "read")
        return [VisitRow(*r) for r in rows]

    @staticmethod
    def _in_scope(conn: Connection, who: Principal, student_id: str) -> bool:
        params = _scope_params(who.scope, student_id)
        return (
            conn.execute(
                _in_scope_query(who.scope.column, who.scope.county is not None), params
            ).first()
            is not None
        )

    # -- for the case workers' page -----------------------------------------------------------

    def history(self, who: Principal, student_id: str, endpoint: str) -> list[HistoryPoint] | None:
        """The student's score in every stored published batch, oldest first, if in scope now."""
        with self.engine.begin() as conn:
            if not self._in_scope(conn, who, student_id):
                self._audit(conn, who, [student_id], endpoint, "not_found")
                return None
            rows = conn.execute(
                select(Batch.as_of, Score.risk, Score.tier, Batch.model_version)
                .join(Batch, Batch.id == Score.batch_id)
                .where(Score.student_id == student_id, Batch.published_at.is_not(None))
                .order_by(Batch.as_of, Batch.published_at, Batch.id)
            ).all()
            self._audit(conn, who, [student_id], endpoint, "read")
        return [HistoryPoint(_as_date(r[0]), float(r[1]), r[2], r[3]) for r in rows]

    def last_visits(
        self, who: Principal, student_ids: Sequence[str], endpoint: str
    ) -> dict[str, dt.date]:
        """The latest visit date of each given student in scope who has one (others left out)."""
        if not student_ids:
            return {}
        where = [Score.batch_id == _latest_published(), Score.student_id.in_(list(student_ids))]
        clause = _scope_clause(who.scope)
        if clause is not None:
            where.append(clause)
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(Visit.student_id, func.max(Visit.visited_on))
                .where(Visit.student_id.in_(select(Score.student_id).where(*where)))
                .group_by(Visit.student_id)
            ).all()
            self._audit(conn, who, [r[0] for r in rows], endpoint, "list")
        return {r[0]: _as_date(r[1]) for r in rows}

    def scope_summary(self, who: Principal) -> ScopeSummary:
        """Tier counts in the caller's scope and in the whole batch, and the scope's places."""
        latest = Score.batch_id == _latest_published()
        clause = _scope_clause(who.scope)
        scoped = [latest] if clause is None else [latest, clause]
        with self.engine.connect() as conn:
            in_scope = conn.execute(
                select(Score.tier, func.count()).where(*scoped).group_by(Score.tier)
            ).all()
            in_batch = conn.execute(
                select(Score.tier, func.count()).where(latest).group_by(Score.tier)
            ).all()
            schools = conn.execute(
                select(Score.school_id).where(*scoped).distinct().order_by(Score.school_id)
            ).scalars()
            townships = conn.execute(
                select(Score.township).where(*scoped).distinct().order_by(Score.township)
            ).scalars()
            schools, townships = list(schools), list(townships)
        batch = self.latest_batch()
        return ScopeSummary(
            as_of=batch.as_of if batch else None,
            tiers_in_scope={t: int(n) for t, n in in_scope},
            tiers_in_batch={t: int(n) for t, n in in_batch},
            schools=schools,
            townships=townships,
        )
