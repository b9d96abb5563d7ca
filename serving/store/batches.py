"""Batches: written under their own id, then published in one short transaction.

Readers always read the latest *published* batch, so they see the old batch or the new
one, never half of one, and a crash mid-run leaves the old batch in service. Writing and
publishing hold the store's run lock (one run at a time); a batch is `ready` once every
row is written, so pruning (by the lock's holder) drops only runs that died. A batch as of
an earlier date than the one in service is published only with `force`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from features.errors import UserError
from serving import decision_log
from serving.models import Batch, Score
from serving.store import run_lock
from serving.store.rows import SCORE_COLUMNS, BatchInfo, as_date, now
from serving.store.scope import latest_published

_CHUNK = 5_000
# Published batches kept: enough for the risk trend on the case workers' page.
KEEP_BATCHES = 12
_INFO = (Batch.id, Batch.as_of, Batch.model_version, Batch.n_students, Batch.published_at)


class BatchStore:
    """Writing, publishing, pruning and listing batches."""

    engine: Engine
    _lock_depth: int = 0

    @contextlib.contextmanager
    def run_lock(self) -> Iterator[None]:
        """Hold the store's run lock (re-entrant in this object); `RunInProgress` if taken."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        with run_lock.hold(self.engine):
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0

    def begin_batch(self, as_of: dt.date, model_version: str) -> int:
        """Create an unpublished batch and return its id."""
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(Batch).values(
                    as_of=as_of, model_version=model_version, created_at=now(), n_students=0
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

    def publish(self, batch_id: int, keep: int = KEEP_BATCHES, force: bool = False) -> BatchInfo:
        """Make a written batch the one readers see, in one transaction; prune old batches.

        Refused when the batch is as of an earlier date than the one in service, unless
        `force`: a late run of an old date must not replace a newer list.
        """
        with self.run_lock():
            with self.engine.begin() as conn:
                target = conn.execute(
                    select(Batch.as_of, Batch.published_at).where(Batch.id == batch_id)
                ).first()
                if target is None or target.published_at is not None:
                    raise UserError(f"batch {batch_id} does not exist or is already published")
                current = conn.execute(
                    select(Batch.id, Batch.as_of).where(Batch.id == latest_published())
                ).first()
                if current and as_date(current.as_of) > as_date(target.as_of) and not force:
                    raise UserError(
                        f"batch {batch_id} is as of {as_date(target.as_of)}, earlier than batch "
                        f"{current.id} in service (as of {as_date(current.as_of)}); "
                        "publish it with --force if that is really meant"
                    )
                count = conn.execute(
                    select(func.count()).select_from(Score).where(Score.batch_id == batch_id)
                ).scalar_one()
                stamp = now()
                conn.execute(
                    update(Batch)
                    .where(Batch.id == batch_id)
                    .values(published_at=stamp, ready_at=func.coalesce(Batch.ready_at, stamp))
                    .values(n_students=count)
                )
            self._prune(keep)
        info = self.batch(batch_id)
        assert info is not None
        return info

    def mark_ready(self, batch_id: int) -> None:
        """Every row of the batch is written: it is kept until published (never pruned)."""
        with self.engine.begin() as conn:
            count = conn.execute(
                select(func.count()).select_from(Score).where(Score.batch_id == batch_id)
            ).scalar_one()
            conn.execute(
                update(Batch).where(Batch.id == batch_id).values(ready_at=now(), n_students=count)
            )

    def _prune(self, keep: int) -> None:
        """Drop all but the `keep` newest published batches, and runs that died (not ready).

        Called only under the run lock, so no run is writing: an unready batch is a dead one.
        """
        with self.engine.begin() as conn:
            published = conn.execute(
                select(Batch.id)
                .where(Batch.published_at.is_not(None))
                .order_by(Batch.published_at.desc(), Batch.id.desc())
            ).scalars()
            stale = list(published)[keep:]
            # The decision log: a published batch leaves the store only once archived.
            decision_log.archive(conn, stale)
            dead = conn.execute(
                select(Batch.id).where(Batch.published_at.is_(None), Batch.ready_at.is_(None))
            ).scalars()
            stale += list(dead)
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

    def write_batch(
        self,
        as_of: dt.date,
        model_version: str,
        rows: Iterable[Mapping[str, Any]],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write a whole batch, unpublished but ready; on any error nothing of it is left."""
        with self.run_lock():
            return self._write_batch(as_of, model_version, rows, progress)

    def _write_batch(
        self,
        as_of: dt.date,
        model_version: str,
        rows: Iterable[Mapping[str, Any]],
        progress: Callable[[int], None] | None,
    ) -> int:
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
            self.mark_ready(batch_id)
        except BaseException:
            self.discard(batch_id)
            raise
        return batch_id

    def publish_batch(
        self,
        as_of: dt.date,
        model_version: str,
        rows: Iterable[Mapping[str, Any]],
        progress: Callable[[int], None] | None = None,
        keep: int = KEEP_BATCHES,
        force: bool = False,
    ) -> int:
        """Write a whole batch and publish it; on any error the old batch stays in service."""
        with self.run_lock():
            batch_id = self._write_batch(as_of, model_version, rows, progress)
            try:
                self.publish(batch_id, keep, force)
            except BaseException:
                self.discard(batch_id)
                raise
        return batch_id

    def latest_batch(self) -> BatchInfo | None:
        """The batch readers see now, or None before the first publish."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_INFO).where(Batch.id == latest_published())).first()
        return None if row is None else BatchInfo(*row)

    def batch(self, batch_id: int) -> BatchInfo | None:
        """One stored batch, published or not."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_INFO).where(Batch.id == batch_id)).first()
        return None if row is None else BatchInfo(*row)

    def batches(self) -> list[BatchInfo]:
        """Every batch still stored, newest first (published or not)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(*_INFO).order_by(Batch.id.desc())).all()
        return [BatchInfo(*r) for r in rows]
