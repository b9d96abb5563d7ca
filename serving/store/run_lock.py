"""One scoring run at a time per store, with a lock the operating system or the database
releases when the run's process dies (kill -9 included).

SQLite: an exclusive `flock` on `<database>.run-lock` beside the file. PostgreSQL: a
session-level advisory lock held on one connection for the run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

from features.errors import UserError

_PG_KEY = 0x64726B5F72756E  # "drk_run"


class RunInProgress(UserError):
    """Another scoring run (or publish) holds this store's run lock."""


_BUSY = (
    "another scoring run or publish is writing to this score store; wait for it to finish "
    "(a run that crashed releases the lock by itself)"
)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RunInProgress(_BUSY) from exc
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextlib.contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    conn = engine.connect()
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_KEY}).scalar()
        conn.commit()
        if not got:
            raise RunInProgress(_BUSY)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_KEY})
            conn.commit()
    finally:
        conn.invalidate()  # never hand a connection that held the lock back to the pool


def hold(engine: Engine) -> contextlib.AbstractContextManager[None]:
    """The run lock of the store behind `engine`; `RunInProgress` when another holds it."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return contextlib.nullcontext()
        return _file_lock(Path(url.database + ".run-lock"))
    return _advisory_lock(engine)
