"""`ScoreStore`: the one object every reader and writer of the score store goes through."""

from __future__ import annotations

import contextlib

from sqlalchemy import Engine

from serving.audit import AuditWriter
from serving.db import make_engine, upgrade
from serving.store.batches import BatchStore
from serving.store.users import Users
from serving.store.visits import Visits


class ScoreStore(BatchStore, Users, Visits):
    """Batches, users, scoped reads, visits and the audit trail of one database."""

    def __init__(self, engine: Engine, buffered_audit: bool = False) -> None:
        self.engine = engine
        # The server hands audit rows to a writer (see serving.audit); commands write at once.
        self._audit_writer = AuditWriter(engine) if buffered_audit else None

    @classmethod
    def open(cls, url: str, migrate: bool = True, buffered_audit: bool = False) -> ScoreStore:
        """Open (and by default upgrade) the store at `url`."""
        if migrate:
            upgrade(url)
        return cls(make_engine(url), buffered_audit=buffered_audit)

    def close(self) -> None:
        """Write what the audit writer holds and release the connections; never raises."""
        try:
            if self._audit_writer is not None:
                self._audit_writer.close()  # never raises
        finally:
            with contextlib.suppress(Exception):  # closing must not raise
                self.engine.dispose()
