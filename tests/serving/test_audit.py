"""The audit writer never drops rows: a failed write keeps them for the next flush."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError

from serving.audit import AuditWriter
from serving.db import upgrade
from serving.models import AuditEntry


def _row(student: str) -> dict:
    return {
        "at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "user_id": 1,
        "student_id": student,
        "endpoint": "GET /v1/students/{student_id}",
        "action": "read",
    }


def test_a_failed_write_keeps_the_rows_in_order(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    upgrade(url)
    engine = create_engine(url)
    writer = AuditWriter(engine, interval=3600)  # only explicit flushes in this test
    try:
        writer.add([_row("A"), _row("B")])
        real = writer.engine
        writer.engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'nope.sqlite'}")
        with pytest.raises(OperationalError):
            writer.flush()
        writer.add([_row("C")])
        writer.engine = real
        writer.flush()
        with engine.connect() as conn:
            students = conn.execute(select(AuditEntry.student_id).order_by(AuditEntry.id)).all()
            assert [s for (s,) in students] == ["A", "B", "C"]
            assert conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 3
    finally:
        writer.close()
        engine.dispose()
