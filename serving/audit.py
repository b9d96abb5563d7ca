"""The audit log's writer: rows queue in memory and one thread writes them in batches.

Every read of a student's record is audited. Writing each row in the request's own
transaction makes 50 concurrent readers 50 competing SQLite writers, and SQLite's
busy handler then sleeps for up to 100 ms at a time. One writer thread committing
every `interval` seconds keeps reads fast; `flush()` (called on shutdown and before
the log is read back) writes whatever is queued. Only a hard crash can lose the
last `interval` of rows.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, insert

from serving.models import AuditEntry


class AuditWriter:
    """Batches audit rows into one transaction per interval, from one background thread."""

    def __init__(self, engine: Engine, interval: float = 0.05) -> None:
        self.engine = engine
        self.interval = interval
        self._queue: list[dict[str, Any]] = []
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Queue rows; they reach the database within `interval` seconds."""
        with self._queue_lock:
            self._queue.extend(rows)

    def flush(self) -> None:
        """Write everything queued so far, now."""
        with self._write_lock:  # keeps rows in order when the thread and a caller flush at once
            with self._queue_lock:
                rows, self._queue = self._queue, []
            if not rows:
                return
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(AuditEntry), rows)
            except Exception:
                # Put them back in front of anything queued since, so a retry writes them.
                with self._queue_lock:
                    self._queue[:0] = rows
                raise

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:  # the database is briefly unavailable: keep the rows, retry
                continue

    def close(self) -> None:
        """Stop the thread and write what is left."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()
