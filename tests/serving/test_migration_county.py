"""Migration 0002_county_key carries an old store's rows over to the (county, student_id) key."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import text

from serving.db import current_revision, make_engine, upgrade
from tests.serving.test_store import head_revision

T = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def _old_store(url: str) -> None:
    """A store at 0001 holding two batches, users with bare scopes, visits and audit rows."""
    upgrade(url, "0001")
    engine = make_engine(url)
    score = text(
        "INSERT INTO scores (batch_id, student_id, name, school_id, township, county, grade, "
        "risk, tier, rank_school, rank_county, factors) VALUES "
        "(:b, :s, :n, :sch, :t, :c, 5, :r, 'low', 1, 1, :f)"
    )
    with engine.begin() as conn:
        for b, day in ((1, 1), (2, 2)):
            conn.execute(
                text(
                    "INSERT INTO batches (id, as_of, model_version, created_at, published_at, "
                    "n_students) VALUES (:b, :d, '1', :t, :t, 2)"
                ),
                {"b": b, "d": dt.date(2025, 3, day), "t": T + dt.timedelta(days=day)},
            )
        rows = [
            (1, "S1", "甲", "0101", "T0", "C0", 0.1),
            (1, "S2", "乙", "0102", "T1", "C0", 0.2),
            (2, "S1", "丙", "0201", "T9", "C1", 0.3),  # the id now names C1's child
            (2, "S2", "乙", "0102", "T1", "C0", 0.25),
        ]
        for b, s, n, sch, t, c, r in rows:
            conn.execute(
                score, {"b": b, "s": s, "n": n, "sch": sch, "t": t, "c": c, "r": r, "f": "[]"}
            )
        for i, scope in enumerate(("township:T1", "school:0201", "township:T0", "county:C0")):
            conn.execute(
                text(
                    "INSERT INTO users (id, name, role, scope, token_hash, created_at) "
                    "VALUES (:i, :n, 'caseworker', :s, :h, :t)"
                ),
                {"i": i + 1, "n": f"u{i}", "s": scope, "h": f"{i:064d}", "t": T},
            )
        for sid in ("S1", "S2", "GONE"):
            conn.execute(
                text(
                    "INSERT INTO visits (student_id, visited_on, visitor, outcome, notes, "
                    "recorded_by, recorded_at) VALUES (:s, :d, 'v', 'left', '', 1, :t)"
                ),
                {"s": sid, "d": dt.date(2025, 3, 1), "t": T},
            )
            conn.execute(
                text(
                    "INSERT INTO audit_log (at, user_id, student_id, endpoint, action) "
                    "VALUES (:t, 1, :s, 'GET x', 'read')"
                ),
                {"s": sid, "t": T},
            )
    engine.dispose()


def test_upgrade_carries_every_row_over_with_its_county(store_url: str) -> None:
    _old_store(store_url)
    upgrade(store_url)
    assert current_revision(store_url) == head_revision()
    engine = make_engine(store_url)
    with engine.connect() as conn:
        scores = conn.execute(
            text("SELECT batch_id, county, student_id, name, risk, factors FROM scores")
        ).all()
        visits = dict(conn.execute(text("SELECT student_id, county FROM visits")).all())
        audit = dict(conn.execute(text("SELECT student_id, county FROM audit_log")).all())
        scopes = conn.execute(text("SELECT scope FROM users ORDER BY id")).scalars().all()
        revoked = conn.execute(text("SELECT count(*) FROM users WHERE revoked_at IS NULL"))
        active = revoked.scalar_one()
    engine.dispose()
    assert sorted((b, c, s, n, r) for b, c, s, n, r, _ in scores) == [
        (1, "C0", "S1", "甲", 0.1),
        (1, "C0", "S2", "乙", 0.2),
        (2, "C0", "S2", "乙", 0.25),
        (2, "C1", "S1", "丙", 0.3),
    ]
    assert all(json.loads(f) == [] if isinstance(f, str) else f == [] for *_, f in scores)
    # a visit or audit row takes its id's county in the newest batch that holds the id
    assert visits == {"S1": "C1", "S2": "C0", "GONE": ""}
    assert audit == {"S1": "C1", "S2": "C0", "GONE": None}
    # bare names are pinned where the latest batch has them in one county; T0 is in no
    # county of the latest batch, so it stays bare and covers nobody
    assert scopes == ["township:C0/T1", "school:C1/0201", "township:T0", "county:C0"]
    assert active == 4
