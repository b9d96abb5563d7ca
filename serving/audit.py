"""The audit log's writer: group commit, so a read is answered only once its row is durable.

Every read of a student's record is audited. A request hands its rows to `write()`, which
returns only after the transaction holding them has committed; one thread commits all rows
queued meanwhile in one transaction (group commit), so 50 concurrent readers cost one
commit per round, not 50 competing writers. When a group fails, each request's rows are
retried alone: a row that still cannot be written is logged as an error (no id, no name)
and makes only its own request fail (`AuditUnavailable`, answered 503 with nothing shown);
it never blocks the others. `close()` drains the queue and never raises.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert

from serving.models import AuditEntry

log = logging.getLogger("serving.audit")


class AuditUnavailable(Exception):
    """The request's audit rows could not be written: nothing may be shown."""


@dataclass
class _Ticket:
    rows: list[dict[str, Any]]
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False


class AuditWriter:
    """Commits queued audit rows in groups from one thread, on a connection of its own."""

    def __init__(self, engine: Engine, timeout: float = 30.0) -> None:
        from serving.db import make_engine

        # A pool of its own: requests waiting for their row hold connections of the main pool.
        self.engine = make_engine(engine.url.render_as_string(hide_password=False))
        self.timeout = timeout
        self._queue: list[_Ticket] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Return once `rows` are committed; `AuditUnavailable` if they cannot be."""
        if not rows:
            return
        ticket = _Ticket(rows)
        with self._cond:
            if self._stopping:
                raise AuditUnavailable("the audit writer is closed")
            self._queue.append(ticket)
            self._cond.notify()
        if not ticket.done.wait(self.timeout) or not ticket.ok:
            raise AuditUnavailable("the audit row could not be written")

    add = write  # the old name

    def flush(self) -> None:
        """Nothing to do: every row is committed before `write` returns."""

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                group, self._queue = self._queue, []
                if not group and self._stopping:
                    return
            self._commit(group)

    def _commit(self, group: list[_Ticket]) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(AuditEntry), [r for t in group for r in t.rows])
            for ticket in group:
                ticket.ok = True
        except Exception:
            for ticket in group:  # alone, so one bad row fails only its own request
                try:
                    with self.engine.begin() as conn:
                        conn.execute(insert(AuditEntry), ticket.rows)
                    ticket.ok = True
                except Exception as exc:  # noqa: BLE001 (logged without the rows' ids)
                    log.error(
                        "audit rows could not be written; the request is refused",
                        extra={"rows": len(ticket.rows), "reason": type(exc).__name__},
                    )
        finally:
            for ticket in group:
                ticket.done.set()

    def close(self) -> None:
        """Write what is queued, stop the thread, release the connections; never raises."""
        try:
            with self._cond:
                self._stopping = True
                self._cond.notify_all()
            self._thread.join(timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001
            log.error("the audit writer did not stop cleanly", extra={"reason": type(exc).__name__})
        finally:
            with contextlib.suppress(Exception):  # closing must not raise
                self.engine.dispose()
