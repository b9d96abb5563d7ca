"""The score store on real SQLite and real PostgreSQL: migrations, atomic batches, scopes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, inspect, select, text

from features.errors import UserError
from serving.auth import Scope, ScopeError, hash_token
from serving.db import current_revision, upgrade
from serving.models import Score, User
from serving.store import ScoreStore
from tests.serving.serving_rows import AS_OF, county_rows

EP = "GET /v1/students/{student_id}"


def head_revision() -> str:
    """The newest migration, read from the scripts (never hard-coded)."""
    from alembic.script import ScriptDirectory

    from serving.db import _alembic_config

    return ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()


def _who(store: ScoreStore, scope: str, role: str = "caseworker", name: str | None = None):
    token = store.add_user(name or f"{role}-{scope}", role, Scope.parse(scope))  # type: ignore[arg-type]
    who = store.authenticate(token)
    assert who is not None
    return who


def _head() -> str:
    from alembic.script import ScriptDirectory

    from serving.db import _alembic_config

    return ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()


def test_migration_creates_schema_and_upgrade_keeps_rows(store: ScoreStore, store_url: str) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {"batches", "scores", "users", "visits", "audit_log", "alembic_version"} <= tables
    assert current_revision(store_url) == head_revision()
    store.publish_batch(AS_OF, "1", county_rows(50))
    upgrade(store_url)  # a second upgrade is a no-op and loses nothing
    assert store.latest_batch().n_students == 50  # type: ignore[union-attr]


def test_latest_published_batch_is_what_readers_see(store: ScoreStore) -> None:
    who = _who(store, "all", "researcher")
    assert store.latest_batch() is None
    assert store.student(who, "S00001", EP) is None
    first = store.publish_batch(AS_OF, "1", county_rows(100, seed=1))
    before = store.student(who, "S00001", EP)
    assert before is not None and before.model_version == "1" and before.as_of == AS_OF

    # rows of a new batch written but not yet published are invisible
    later = dt.date(2025, 9, 1)
    pending = store.begin_batch(later, "2")
    store.add_scores(pending, county_rows(100, seed=2))
    during = store.student(who, "S00001", EP)
    assert during == before
    assert store.latest_batch().id == first  # type: ignore[union-attr]

    store.publish(pending)
    after = store.student(who, "S00001", EP)
    assert after is not None and after.model_version == "2" and after.as_of == later
    assert after.risk != before.risk


def test_crash_mid_run_leaves_old_batch_in_service(store: ScoreStore) -> None:
    who = _who(store, "all", "researcher")
    store.publish_batch(AS_OF, "1", county_rows(100, seed=1))
    before = store.watchlist(who, "wl", {}, limit=500)

    def crashing_rows():
        rows = county_rows(12_000, seed=3)
        for i, row in enumerate(rows):
            if i == 11_000:  # after two chunks were written
                raise RuntimeError("scorer died")
            yield row

    with pytest.raises(RuntimeError, match="scorer died"):
        store.publish_batch(dt.date(2025, 9, 1), "2", crashing_rows())
    assert store.watchlist(who, "wl", {}, limit=500) == before
    assert [b.model_version for b in store.batches()] == ["1"]  # partial rows discarded
    with store.engine.connect() as conn:
        assert conn.execute(select(Score.batch_id).distinct()).scalars().all() == [
            store.latest_batch().id  # type: ignore[union-attr]
        ]


def test_old_batches_are_pruned_but_the_previous_one_kept(store: ScoreStore) -> None:
    for version in "123":
        store.publish_batch(AS_OF, version, county_rows(20), keep=2)
    assert [b.model_version for b in store.batches()] == ["3", "2"]


def test_scoped_student_reads_and_audit(store: ScoreStore) -> None:
    rows = county_rows(200)
    store.publish_batch(AS_OF, "1", rows)
    t0 = _who(store, "township:T0")
    mine = next(r for r in rows if r["township"] == "T0")
    other = next(r for r in rows if r["township"] == "T1")

    got = store.student(t0, mine["student_id"], EP)
    assert got is not None and got.township == "T0" and got.name == mine["name"]
    assert got.factors == mine["factors"] and got.rank_school == mine["rank_school"]
    assert store.student(t0, other["student_id"], EP) is None
    assert store.student(t0, "NO-SUCH", EP) is None

    school = _who(store, f"school:{other['school_id']}")
    assert store.student(school, other["student_id"], EP) is not None
    county = _who(store, f"county:{other['county']}")
    assert store.student(county, other["student_id"], EP) is not None

    log = store.audit_log()
    assert [(e["user"], e["student_id"], e["action"]) for e in log[:3]] == [
        ("caseworker-township:T0", mine["student_id"], "read"),
        ("caseworker-township:T0", other["student_id"], "not_found"),
        ("caseworker-township:T0", "NO-SUCH", "not_found"),
    ]
    assert all(e["endpoint"] == EP and e["at"] is not None for e in log)


def test_watchlist_scope_filters_order_and_paging(store: ScoreStore) -> None:
    rows = county_rows(300)
    store.publish_batch(AS_OF, "1", rows)
    t0 = _who(store, "township:T0")
    expected = sorted(
        (r for r in rows if r["township"] == "T0"), key=lambda r: (-r["risk"], r["student_id"])
    )
    page, total = store.watchlist(t0, "wl", {}, limit=10)
    assert total == len(expected)
    assert [r.student_id for r in page] == [r["student_id"] for r in expected[:10]]
    page2, _ = store.watchlist(t0, "wl", {}, limit=10, offset=10)
    assert [r.student_id for r in page2] == [r["student_id"] for r in expected[10:20]]

    high, n_high = store.watchlist(t0, "wl", {"tier": "high"}, limit=500)
    assert n_high == sum(r["tier"] == "high" for r in expected)
    assert all(r.tier == "high" and r.township == "T0" for r in high)

    # a filter outside the caller's scope finds nothing, never other people's students
    assert store.watchlist(t0, "wl", {"township": "T1"}) == ([], 0)
    assert store.watchlist(t0, "wl", {"county": "C1"}) == ([], 0)
    other_school = next(r["school_id"] for r in rows if r["township"] == "T1")
    assert store.watchlist(t0, "wl", {"school_id": other_school}) == ([], 0)

    listed = [e for e in store.audit_log() if e["action"] == "list"]
    assert len(listed) == 10 + 10 + len(high)


def test_users_store_only_the_token_hash(store: ScoreStore) -> None:
    store.publish_batch(AS_OF, "1", county_rows(20))
    token = store.add_user("amina", "caseworker", Scope.parse("county:C0"))
    with store.engine.connect() as conn:
        stored = conn.execute(select(User.token_hash, User.scope, User.role)).one()
        dump = " ".join(str(v) for r in conn.execute(text("SELECT * FROM users")) for v in r)
    assert token not in dump
    assert stored == (hash_token(token), "county:C0", "caseworker")
    who = store.authenticate(token)
    assert who is not None and who.name == "amina" and who.scope == Scope("county", "C0")
    assert store.authenticate(token + "x") is None
    assert store.authenticate("") is None
    with pytest.raises(UserError, match="already exists"):
        store.add_user("amina", "researcher", Scope.parse("all"))


@pytest.mark.parametrize("bad", ["", "county", "county:", "village:X", "everything", "school:  "])
def test_bad_scopes_are_refused(bad: str) -> None:
    with pytest.raises(ScopeError):
        Scope.parse(bad)


def test_visits_in_scope_only(store: ScoreStore) -> None:
    rows = county_rows(100)
    store.publish_batch(AS_OF, "1", rows)
    t0 = _who(store, "township:T0")
    mine = next(r["student_id"] for r in rows if r["township"] == "T0")
    other = next(r["student_id"] for r in rows if r["township"] == "T1")
    day = dt.date(2025, 3, 5)
    visit = store.add_visit(t0, mine, day, "王老师", "returned_to_class", "家访", "POST v")
    assert visit is not None and visit.visited_on == day
    assert store.add_visit(t0, other, day, "王老师", "left", "", "POST v") is None
    with pytest.raises(UserError, match="outcome"):
        store.add_visit(t0, mine, day, "王老师", "gone fishing", "", "POST v")
    assert [v.outcome for v in store.visits(t0, mine, "GET v") or []] == ["returned_to_class"]
    assert store.visits(t0, other, "GET v") is None
    everyone = _who(store, "all", "researcher")
    assert store.visits(everyone, other, "GET v") == []
    actions = [(e["student_id"], e["action"]) for e in store.audit_log()]
    assert (mine, "write") in actions and (other, "not_found") in actions


def test_buffered_audit_reaches_the_database(store_url: str) -> None:
    store = ScoreStore.open(store_url, buffered_audit=True)
    store.publish_batch(AS_OF, "1", county_rows(30))
    who = _who(store, "all", "researcher")
    for row in county_rows(30)[:5]:
        assert store.student(who, row["student_id"], EP) is not None
    assert [e["action"] for e in store.audit_log()] == ["read"] * 5  # flushed before reading
    store.student(who, "S00009", EP)
    store.close()  # flushes what is queued
    reopened = ScoreStore.open(store_url, migrate=False)
    assert len(reopened.audit_log()) == 6
    reopened.close()


def test_a_killed_run_is_invisible_and_cleaned_up_by_the_next(store: ScoreStore) -> None:
    who = _who(store, "all", "researcher")
    store.publish_batch(AS_OF, "1", county_rows(50, seed=1))
    dead = store.begin_batch(dt.date(2025, 9, 1), "2")  # the process dies after writing rows
    store.add_scores(dead, county_rows(50, seed=2))
    assert store.latest_batch().model_version == "1"  # type: ignore[union-attr]
    assert store.student(who, "S00001", EP).model_version == "1"  # type: ignore[union-attr]
    store.publish_batch(dt.date(2025, 9, 1), "3", county_rows(50, seed=3))
    assert dead not in [b.id for b in store.batches()]
    with store.engine.connect() as conn:
        left = conn.execute(select(func.count()).where(Score.batch_id == dead)).scalar_one()
    assert left == 0


def test_a_township_scope_is_pinned_to_its_county(store: ScoreStore) -> None:
    rows = county_rows(48)
    # Township names repeat across counties: C1 gets a T0 too ("城关镇" is in most counties).
    twin = {**rows[0], "student_id": "TWIN1", "township": "T0", "county": "C1"}
    store.publish_batch(AS_OF, "1", [*rows, twin])
    with pytest.raises(UserError, match=r"township:COUNTY/T0"):
        _who(store, "township:T0")
    c0 = _who(store, "township:C0/T0")
    assert str(c0.scope) == "township:C0/T0"
    assert store.student(c0, "TWIN1", EP) is None
    assert store.add_visit(c0, "TWIN1", AS_OF, "x", "left", "", "POST") is None
    listed, total = store.watchlist(c0, "GET /v1/watchlist", {}, limit=500)
    assert total == len(listed) and {r.county for r in listed} == {"C0"}

    # A name found in one county is pinned on creation, so a later batch that brings the
    # same township name from another county does not widen the scope.
    t2 = _who(store, "township:T2")
    assert str(t2.scope) == "township:C1/T2"
    stranger = {**rows[2], "student_id": "STRANGER", "township": "T2", "county": "C0"}
    store.publish_batch(AS_OF, "2", [*rows, stranger])
    assert store.student(t2, "STRANGER", EP) is None
    assert store.student(t2, rows[2]["student_id"], EP) is not None


def test_scope_round_trips_with_its_county() -> None:
    scope = Scope.parse("township:青山县/城关镇")
    assert (scope.kind, scope.county, scope.value) == ("township", "青山县", "城关镇")
    assert Scope.parse(str(scope)) == scope
    with pytest.raises(ScopeError):
        Scope.parse("township:/城关镇")
