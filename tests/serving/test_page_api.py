"""The API the case workers' page adds: /v1/me, a student's history, latest visits by id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dropout_risk.settings import get_settings
from serving.app import create_app
from serving.auth import Scope
from serving.lifecycle import ModelLifecycle
from serving.store import ScoreStore
from tests.serving.serving_model import make_scorer
from tests.serving.serving_rows import AS_OF, county_rows

LATER = AS_OF + dt.timedelta(days=90)


@pytest.fixture(scope="module")
def scorer():
    return make_scorer("7")


@pytest.fixture
def setup(tmp_path: Path, scorer) -> Iterator[tuple[TestClient, ScoreStore, list[dict], dict]]:
    """Two batches (the second riskier), a T0 and a T1 case worker, a researcher."""
    store = ScoreStore.open(f"sqlite:///{tmp_path / 'scores.sqlite'}")
    first = county_rows(240)
    store.publish_batch(AS_OF, "7", first)
    second = county_rows(240)
    for row in second:
        row["risk"] = min(1.0, row["risk"] * 1.5)
    store.publish_batch(LATER, "7", second)
    tokens = {
        "t0": store.add_user("w0", "caseworker", Scope.parse("township:T0")),
        "t1": store.add_user("w1", "caseworker", Scope.parse("township:T1")),
        "all": store.add_user("r", "researcher", Scope.parse("all")),
    }
    headers = {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}
    models = ModelLifecycle("http://127.0.0.1:9", tmp_path / "cache", poll_seconds=0)
    models.use(scorer, "7")
    with TestClient(create_app(get_settings(), store=store, models=models)) as client:
        yield client, store, second, headers
    store.close()


def test_me_names_scope_capacity_share_and_places(setup) -> None:
    client, _, rows, headers = setup
    body = client.get("/v1/me", headers=headers["t0"]).json()
    mine = [r for r in rows if r["township"] == "T0"]
    assert (
        body["name"] == "w0" and body["scope"] == "township:C0/T0" and body["role"] == "caseworker"
    )
    assert body["as_of"] == LATER.isoformat()
    assert body["capacity"] == {
        # the high tier of the caller's own county only: another county's is not theirs to know
        "batch": sum(r["tier"] == "high" and r["county"] == "C0" for r in rows),
        "scope": sum(r["tier"] == "high" for r in mine),
    }
    assert body["townships"] == ["T0"]
    assert body["schools"] == sorted({r["school_id"] for r in mine})
    assert sum(body["tiers"].values()) == len(mine)
    everyone = client.get("/v1/me", headers=headers["all"]).json()
    assert everyone["capacity"]["scope"] == everyone["capacity"]["batch"]
    assert everyone["townships"] == ["T0", "T1", "T2", "T3"]
    assert client.get("/v1/me").status_code == 401


def test_history_is_the_trend_across_batches_and_scoped(setup) -> None:
    client, store, rows, headers = setup
    sid = next(r["student_id"] for r in rows if r["township"] == "T0")
    got = client.get(f"/v1/students/{sid}/history", headers=headers["t0"])
    assert got.status_code == 200
    points = got.json()
    assert [p["as_of"] for p in points] == [AS_OF.isoformat(), LATER.isoformat()]
    assert points[1]["risk"] == pytest.approx(min(1.0, points[0]["risk"] * 1.5))
    foreign = client.get(f"/v1/students/{sid}/history", headers=headers["t1"])
    missing = client.get("/v1/students/S99999/history", headers=headers["t1"])
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    actions = [(e["user"], e["action"]) for e in store.audit_log(sid) if "history" in e["endpoint"]]
    assert actions == [("w0", "read"), ("w1", "not_found")]


def test_history_survives_pruning_up_to_twelve_batches(tmp_path: Path) -> None:
    store = ScoreStore.open(f"sqlite:///{tmp_path / 'scores.sqlite'}")
    try:
        for month in range(14):
            store.publish_batch(AS_OF + dt.timedelta(days=30 * month), "1", county_rows(12))
        who = store.authenticate(store.add_user("r", "researcher", Scope.parse("all")))
        assert who is not None
        points = store.history(who, "S00000", "test")
        assert points is not None and len(points) == 12
        assert points[-1].as_of == AS_OF + dt.timedelta(days=30 * 13)
    finally:
        store.close()


def test_latest_visits_only_for_students_in_scope(setup) -> None:
    client, _, rows, headers = setup
    mine = [r["student_id"] for r in rows if r["township"] == "T0"][:2]
    other = next(r["student_id"] for r in rows if r["township"] == "T1")
    for day in ("2025-03-02", "2025-04-01"):
        visit = {"date": day, "visitor": "x", "outcome": "stays_in_school"}
        url = f"/v1/students/{mine[0]}/visits"
        assert client.post(url, json=visit, headers=headers["t0"]).is_success
    visit = {"date": "2025-03-05", "visitor": "y", "outcome": "left"}
    assert client.post(f"/v1/students/{other}/visits", json=visit, headers=headers["t1"]).is_success
    ids = {"student_id": [*mine, other]}
    assert client.get("/v1/visits/latest", params=ids, headers=headers["t0"]).json() == {
        mine[0]: "2025-04-01"
    }
    assert client.get("/v1/visits/latest", params=ids, headers=headers["t1"]).json() == {
        other: "2025-03-05"
    }
    too_many = {"student_id": [f"S{i:05d}" for i in range(501)]}
    got = client.get("/v1/visits/latest", params=too_many, headers=headers["t0"])
    assert got.status_code == 422
