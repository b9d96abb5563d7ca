"""Migration 0003_casework upgrades a store made by the code before it, keeping every row."""

from __future__ import annotations

import datetime as dt

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from serving.auth import Scope
from serving.db import _alembic_config, current_revision, make_engine, upgrade
from serving.models import AuditEntry, Visit
from serving.store import ScoreStore
from tests.serving.serving_rows import AS_OF, county_rows

EP = "POST /v1/students/{student_id}/visits"


def test_upgrade_keeps_visits_and_audit_rows(store_url: str) -> None:
    script = ScriptDirectory.from_config(_alembic_config(store_url))
    ours = script.get_revision("0003_casework")
    before = ours.down_revision
    upgrade(store_url, before)  # the schema of the code before casework
    old = ScoreStore(make_engine(store_url))
    old.publish_batch(AS_OF, "1", county_rows(40))
    token = old.add_user("老用户", "caseworker", Scope.parse("county:C0"))
    who = old.authenticate(token)
    assert who is not None
    for i in range(3):
        old.add_visit(
            who, "S00000", dt.date(2025, 3, 1 + i), "王老师", "stays_in_school", f"第{i}次", EP
        )
    with old.engine.connect() as conn:
        visits = conn.execute(select(Visit).order_by(Visit.id)).all()
        audit = conn.execute(select(AuditEntry).order_by(AuditEntry.id)).all()
    old.close()
    assert len(visits) == 3 and len(audit) == 3

    upgrade(store_url)
    assert current_revision(store_url) == script.get_current_head()
    new = ScoreStore.open(store_url)
    try:
        assert {"cases", "case_transitions", "case_team", "case_visits"} <= set(
            inspect(new.engine).get_table_names()
        )
        with new.engine.connect() as conn:
            assert conn.execute(select(Visit).order_by(Visit.id)).all() == visits
            assert conn.execute(select(AuditEntry).order_by(AuditEntry.id)).all() == audit
            assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 0
        assert new.latest_batch().n_students == 40  # type: ignore[union-attr]
        assert new.authenticate(token) is not None
    finally:
        new.close()
