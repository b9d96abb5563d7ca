"""One regression test per finding of the serving review (issue 11), against the real app
on each backend (SQLite file, PostgreSQL), with the audit writer the server uses.

Findings 1 (test_two_counties, test_scope_names) and 5 (test_runs) have files of their
own; 2 also has test_audit and the kill -9 test in tests/e2e/test_audit_kill.py.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dropout_risk.settings import get_settings
from serving.app import create_app
from serving.auth import Scope
from serving.lifecycle import ModelLifecycle
from serving.logs import JsonFormatter
from serving.store import ScoreStore
from tests.serving.serving_model import make_scorer
from tests.serving.serving_rows import AS_OF, county_rows


@dataclass
class Api:
    client: TestClient
    store: ScoreStore
    rows: list[dict]
    tokens: dict[str, str]

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def mine(self, township: str = "T0") -> str:
        return next(r["student_id"] for r in self.rows if r["township"] == township)


@pytest.fixture(scope="module")
def scorer():
    return make_scorer("7")


@pytest.fixture
def api(store_url: str, tmp_path: Path, scorer) -> Iterator[Api]:
    store = ScoreStore.open(store_url, buffered_audit=True)
    rows = county_rows(120)
    store.publish_batch(AS_OF, "7", rows)
    tokens = {
        "r": store.add_user("r", "researcher", Scope.parse("all")),
        "t0": store.add_user("w0", "caseworker", Scope.parse("township:T0")),
        "t1": store.add_user("w1", "caseworker", Scope.parse("township:T1")),
    }
    models = ModelLifecycle("http://127.0.0.1:9", tmp_path / "cache", poll_seconds=0)
    models.use(scorer, "7")
    with TestClient(create_app(get_settings(), store=store, models=models)) as client:
        yield Api(client, store, rows, tokens)
    store.close()


def _reads(api: Api, user: str) -> int:
    return sum(e["user"] == user and e["action"] == "read" for e in api.store.audit_log())


def test_2_an_overlong_id_never_stops_the_audit_of_others(api: Api) -> None:
    long_id = "X" * 65
    got = api.client.get(f"/v1/students/{long_id}", headers=api.h("t1"))
    assert got.status_code in (404, 422) and long_id not in got.text
    sid = api.mine("T0")
    for _ in range(20):
        assert api.client.get(f"/v1/students/{sid}", headers=api.h("t0")).status_code == 200
    assert _reads(api, "w0") == 20  # each 200 was answered after its row was committed


def test_3_a_removed_user_is_refused_on_the_next_request(api: Api) -> None:
    assert api.client.get("/v1/me", headers=api.h("t0")).status_code == 200
    api.store.remove_user("w0")
    assert api.client.get("/v1/me", headers=api.h("t0")).status_code == 401
    assert [u.revoked_at is not None for u in api.store.users()] == [False, True, False]
    assert api.client.get("/v1/me", headers=api.h("t1")).status_code == 200


@pytest.mark.parametrize("token", [True, False])
def test_4_a_large_body_is_413_before_parsing(api: Api, token: bool) -> None:
    headers = api.h("t0") if token else {}
    body = json.dumps({f"k{i}": "x" * 20 for i in range(200_000)})  # ~6 MB, 200k unknown keys
    url = f"/v1/students/{api.mine()}/visits"
    got = api.client.post(
        url, content=body, headers={**headers, "content-type": "application/json"}
    )
    assert got.status_code == 413 and len(got.content) < 200

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap counts what arrives
        yield body.encode()[:40_000]
        yield body.encode()[40_000:120_000]

    streamed = api.client.post(url, content=chunks(), headers=headers)
    assert streamed.status_code == 413
    # a small body with unknown keys: 422 that names the keys' places, never their values
    small = {"date": "2025-03-02", "visitor": "v", "outcome": "left", "SECRET-KEY": "SECRET"}
    refused = api.client.post(url, json=small, headers=api.h("t0"))
    assert refused.status_code == 422 and 'SECRET"' not in refused.text
    assert "input" not in refused.json()["detail"][0]


def test_6_visits_by_case_workers_dated_up_to_today_with_a_visitor(api: Api) -> None:
    url = f"/v1/students/{api.mine()}/visits"
    ok = {"date": AS_OF.isoformat(), "visitor": "王老师", "outcome": "stays_in_school"}
    assert api.client.post(url, json=ok, headers=api.h("r")).status_code == 403
    future = {**ok, "date": (dt.date.today() + dt.timedelta(days=1)).isoformat()}
    assert api.client.post(url, json=future, headers=api.h("t0")).status_code == 422
    assert (
        api.client.post(url, json={**ok, "date": "2099-01-01"}, headers=api.h("t0")).status_code
        == 422
    )
    assert (
        api.client.post(url, json={**ok, "visitor": " \t "}, headers=api.h("t0")).status_code == 422
    )
    assert api.client.post(url, json=ok, headers=api.h("t0")).status_code == 201
    assert [v["date"] for v in api.client.get(url, headers=api.h("t0")).json()] == [ok["date"]]
    # not before the student's first enrollment (from the batch that scored them)
    since = dt.date(2024, 9, 1)
    rows = [{**r, "enrolled_since": since} for r in api.rows]
    api.store.publish_batch(AS_OF, "7", rows)
    early = {**ok, "date": (since - dt.timedelta(days=1)).isoformat()}
    refused = api.client.post(url, json=early, headers=api.h("t0"))
    assert refused.status_code == 422 and "first enrollment (2024-09-01)" in refused.text
    on_the_day = {**ok, "date": since.isoformat()}
    assert api.client.post(url, json=on_the_day, headers=api.h("t0")).status_code == 201


def test_7_five_inputs_that_gave_500_are_422(api: Api) -> None:
    c, h = api.client, api.h("t0")
    sid = api.mine()
    url = f"/v1/students/{sid}/visits"
    ok = {"date": AS_OF.isoformat(), "visitor": "v", "outcome": "left"}
    raw = {**h, "content-type": "application/json"}
    assert c.get(f"/v1/watchlist?offset={2**63}", headers=h).status_code == 422
    assert (
        c.post(
            url, content='{"date": NaN, "visitor": "v", "outcome": "left"}', headers=raw
        ).status_code
        == 422
    )
    lone = json.dumps({**ok, "notes": "\ud800"})  # a lone surrogate, escaped as JSON allows
    assert c.post(url, content=lone, headers=raw).status_code == 422
    assert c.get("/v1/students/S%0001", headers=h).status_code == 422
    assert c.get("/v1/watchlist?township=T%000", headers=h).status_code == 422
    assert c.post(url, json={**ok, "notes": "a\x00b"}, headers=h).status_code == 422
    scored = c.post(
        "/v1/score",
        content='{"rows": [{"age": Infinity}]}',
        headers={**api.h("r"), "content-type": "application/json"},
    )
    assert scored.status_code == 422
    assert c.get("/v1/visits", headers=h).status_code in (404, 405)


def test_8_a_traceback_in_a_log_message_is_withheld() -> None:
    record = logging.LogRecord(
        "uvicorn.error",
        logging.ERROR,
        __file__,
        1,
        "Traceback (most recent call last):\n  File x\nsqlalchemy.exc.DataError: value too long "
        "[parameters: ('S0003322', '绿水县')]",
        None,
        None,
    )
    line = JsonFormatter().format(record)
    assert "S0003322" not in line and "绿水县" not in line and "DataError" in line


def test_9_headers_on_every_json_response(api: Api) -> None:
    for path, who in (
        ("/v1/watchlist", "t0"),
        (f"/v1/students/{api.mine()}", "t0"),
        ("/healthz", None),
    ):
        got = api.client.get(path, headers=api.h(who) if who else {})
        assert got.headers["cache-control"] == "no-store"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in got.headers["content-security-policy"]
    nobody = api.client.get("/v1/students/S1")
    assert nobody.status_code == 401 and nobody.headers["x-content-type-options"] == "nosniff"


def test_10_me_counts_only_the_callers_county(api: Api) -> None:
    body = api.client.get("/v1/me", headers=api.h("t0")).json()
    c0_high = sum(r["tier"] == "high" and r["county"] == "C0" for r in api.rows)
    all_high = sum(r["tier"] == "high" for r in api.rows)
    assert c0_high < all_high and body["capacity"]["batch"] == c0_high


def test_11_a_student_who_left_stays_readable_marked_by_their_last_school(api: Api) -> None:
    gone = next(r for r in api.rows if r["township"] == "T0")
    later = [r for r in api.rows if r["student_id"] != gone["student_id"]]
    api.store.publish_batch(AS_OF + dt.timedelta(days=30), "7", later)
    sid = gone["student_id"]
    card = api.client.get(f"/v1/students/{sid}", headers=api.h("t0"))
    assert card.status_code == 200
    body = card.json()
    assert body["left_school"] is True and body["as_of"] == AS_OF.isoformat()
    assert api.client.get(f"/v1/students/{sid}/history", headers=api.h("t0")).status_code == 200
    assert api.client.get(f"/v1/students/{sid}", headers=api.h("r")).json()["left_school"]
    foreign = api.client.get(f"/v1/students/{sid}", headers=api.h("t1"))
    missing = api.client.get("/v1/students/NOPE", headers=api.h("t1"))
    assert foreign.status_code == missing.status_code == 404 and foreign.content == missing.content
    stays = next(r["student_id"] for r in later if r["township"] == "T0")
    assert (
        api.client.get(f"/v1/students/{stays}", headers=api.h("t0")).json()["left_school"] is False
    )
