"""The audit writer (finding 2): a row that cannot be written fails only its own request,
never blocks the others, is logged without ids, and close() never raises."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
from sqlalchemy import func, select

from serving.audit import AuditUnavailable, AuditWriter
from serving.auth import Scope
from serving.models import AuditEntry
from serving.store import ScoreStore


def _row(student: str, user_id: int) -> dict:
    return {
        "at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "user_id": user_id,
        "county": "C0",
        "student_id": student,
        "endpoint": "GET /v1/students/{student_id}",
        "action": "read",
    }


def test_a_bad_row_fails_alone_and_the_others_are_written(
    store: ScoreStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.add_user("r", "researcher", Scope.parse("all"))
    writer = AuditWriter(store.engine)
    bad = [_row("S-BAD-ROW-ID", 999)]  # no such user: the foreign key refuses it
    if store.engine.dialect.name == "postgresql":
        bad.append(_row("X" * 65, 1))  # too long for the column
    good_done: list[bool] = []

    def good(i: int) -> None:
        writer.write([_row(f"S{i}", 1)])
        good_done.append(True)

    try:
        with caplog.at_level(logging.ERROR, logger="serving.audit"):
            threads = [threading.Thread(target=good, args=(i,)) for i in range(20)]
            for t in threads:
                t.start()
            for row in bad:
                with pytest.raises(AuditUnavailable):
                    writer.write([row])
            for t in threads:
                t.join()
            writer.write([_row("AFTER", 1)])  # the writer goes on after a failure
    finally:
        writer.close()
        writer.close()  # twice: never raises
    assert len(good_done) == 20
    with store.engine.connect() as conn:
        written = conn.execute(select(AuditEntry.student_id)).scalars().all()
        total = conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    assert sorted(written) == sorted([f"S{i}" for i in range(20)] + ["AFTER"]) and total == 21
    assert len(caplog.records) == len(bad)
    assert "S-BAD-ROW-ID" not in caplog.text and "XXXX" not in caplog.text


def test_a_closed_writer_refuses_instead_of_dropping(store: ScoreStore) -> None:
    writer = AuditWriter(store.engine)
    writer.close()
    with pytest.raises(AuditUnavailable):
        writer.write([_row("S1", 1)])
