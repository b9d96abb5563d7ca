"""The HTTP API in-process: contract, scopes, visits, on-demand scoring, metrics, model card."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass
class Api:
    client: TestClient
    store: ScoreStore
    rows: list[dict]
    researcher: dict[str, str]
    t0: dict[str, str]
    t1: dict[str, str]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def scorer():
    return make_scorer("7")


@pytest.fixture
def api(tmp_path: Path, scorer) -> Iterator[Api]:
    store = ScoreStore.open(f"sqlite:///{tmp_path / 'scores.sqlite'}")
    rows = county_rows(240)
    store.publish_batch(AS_OF, "7", rows)
    tokens = {
        "researcher": store.add_user("r", "researcher", Scope.parse("all")),
        "t0": store.add_user("w0", "caseworker", Scope.parse("township:T0")),
        "t1": store.add_user("w1", "caseworker", Scope.parse("township:T1")),
    }
    models = ModelLifecycle("http://127.0.0.1:9", tmp_path / "cache", poll_seconds=0)
    models.use(scorer, "7")
    app = create_app(get_settings(), store=store, models=models)
    with TestClient(app) as client:
        yield Api(client, store, rows, *(_bearer(t) for t in tokens.values()))
    store.close()


def test_student_record_carries_the_contract(api: Api) -> None:
    row = next(r for r in api.rows if r["township"] == "T0")
    got = api.client.get(f"/v1/students/{row['student_id']}", headers=api.t0)
    assert got.status_code == 200
    body = got.json()
    for key in ("student_id", "school_id", "township", "county", "grade", "risk", "tier"):
        assert body[key] == row[key]
    assert body["rank_in_school"] == row["rank_school"]
    assert body["rank_in_county"] == row["rank_county"]
    assert body["as_of"] == AS_OF.isoformat() and body["model_version"] == "7"
    assert body["factors"][0]["zh"].startswith("无故缺勤率") and body["name"] == row["name"]


def test_out_of_scope_is_exactly_like_missing(api: Api) -> None:
    other = next(r["student_id"] for r in api.rows if r["township"] == "T1")
    out = api.client.get(f"/v1/students/{other}", headers=api.t0)
    missing = api.client.get("/v1/students/S99999", headers=api.t0)
    assert out.status_code == missing.status_code == 404
    assert out.content == missing.content
    assert api.client.get(f"/v1/students/{other}", headers=api.t1).status_code == 200


def test_watchlist_is_ranked_and_scoped(api: Api) -> None:
    got = api.client.get("/v1/watchlist", params={"limit": 20}, headers=api.t0).json()
    risks = [s["risk"] for s in got["students"]]
    assert risks == sorted(risks, reverse=True) and len(risks) == 20
    assert {s["township"] for s in got["students"]} == {"T0"}
    assert got["total"] == sum(r["township"] == "T0" for r in api.rows)
    high = api.client.get("/v1/watchlist", params={"tier": "high"}, headers=api.t0).json()
    assert high["students"] and all(s["tier"] == "high" for s in high["students"])
    outside = api.client.get("/v1/watchlist", params={"township": "T1"}, headers=api.t0).json()
    assert outside["students"] == [] and outside["total"] == 0
    everyone = api.client.get("/v1/watchlist", params={"limit": 500}, headers=api.researcher)
    assert everyone.json()["total"] == len(api.rows)
    assert api.client.get("/v1/watchlist", params={"limit": 0}, headers=api.t0).status_code == 422


def test_visits_round_trip_and_scope(api: Api) -> None:
    mine = next(r["student_id"] for r in api.rows if r["township"] == "T0")
    other = next(r["student_id"] for r in api.rows if r["township"] == "T1")
    visit = {"date": "2025-03-04", "visitor": "李老师", "outcome": "returned_to_class"}
    made = api.client.post(f"/v1/students/{mine}/visits", json=visit, headers=api.t0)
    assert made.status_code == 201 and made.json()["outcome"] == "returned_to_class"
    listed = api.client.get(f"/v1/students/{mine}/visits", headers=api.t0).json()
    assert [(v["date"], v["visitor"]) for v in listed] == [("2025-03-04", "李老师")]
    denied = api.client.post(f"/v1/students/{other}/visits", json=visit, headers=api.t0)
    missing = api.client.post("/v1/students/NOPE/visits", json=visit, headers=api.t0)
    assert denied.status_code == missing.status_code == 404 and denied.content == missing.content
    assert api.client.get(f"/v1/students/{other}/visits", headers=api.t1).json() == []
    bad = dict(visit, outcome="vanished")
    refused = api.client.post(f"/v1/students/{mine}/visits", json=bad, headers=api.t0)
    assert refused.status_code == 422


def test_on_demand_score_matches_the_model(api: Api, scorer) -> None:
    rows = [
        {"unexcused_rate_30d": 0.4, "absence_rate_90d": 0.3, "guardian": "grandparents"},
        {"unexcused_rate_30d": 0.0, "term_mean_score": 90, "registered_poor": False, "grade": 2},
    ]
    got = api.client.post("/v1/score", json={"rows": rows}, headers=api.researcher)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["model_version"] == "7"
    import pandas as pd

    expected = scorer.predict(pd.DataFrame(rows).reindex(columns=scorer.features))
    assert [s["risk"] for s in body["scores"]] == pytest.approx(list(expected))
    assert body["scores"][0]["risk"] > body["scores"][1]["risk"]
    top = body["scores"][0]["factors"][0]
    assert top["indicator"] in ("unexcused_rate_30d", "absence_rate_90d") and top["zh"]
    bad = api.client.post("/v1/score", json={"rows": [{"nope": 1}]}, headers=api.researcher)
    assert bad.status_code == 422 and "nope" in bad.json()["detail"]
    wrong = api.client.post(
        "/v1/score", json={"rows": [{"guardian": "aliens"}]}, headers=api.researcher
    )
    assert wrong.status_code == 422 and "guardian" in wrong.json()["detail"]


def test_researcher_endpoints_and_health(api: Api) -> None:
    health = api.client.get("/healthz").json()
    assert health == {
        "status": "ok",
        "model_version": "7",
        "model_source": "path",
        "batch_as_of": AS_OF.isoformat(),
    }
    card = api.client.get("/v1/model", headers=api.researcher).json()
    assert card["version"] == "7" and "unexcused_rate_30d" in card["features"]
    assert card["training_window"]["test_snapshots"] == ["2024-09-01"]
    assert card["metrics"] == {"pr_auc": 0.4} and card["tier_thresholds"]["high"] > 0
    assert card["family"] == "lightgbm"
    reload = api.client.post("/v1/model/reload", headers=api.researcher)
    # The registry is unreachable: an error, not "nothing moved"; the model stays in service.
    assert reload.status_code == 503 and "champion" in reload.json()["detail"]
    assert api.client.get("/healthz").json()["model_version"] == "7"
    for method, path in (("get", "/v1/model"), ("post", "/v1/model/reload"), ("post", "/v1/score")):
        denied = api.client.request(method, path, headers=api.t0, json={"rows": [{}]})
        assert denied.status_code == 403, path


def test_metrics_by_route_template(api: Api) -> None:
    sid = api.rows[0]["student_id"]
    api.client.get(f"/v1/students/{sid}", headers=api.researcher)
    text = api.client.get("/metrics", headers=api.researcher).text
    assert 'route="/v1/students/{student_id}"' in text
    assert sid not in text
    assert 'dropout_risk_model_info{source="path",version="7"} 1.0' in text
    assert 'dropout_risk_scores_served_total{endpoint="student"} 1.0' in text
    assert api.client.get("/metrics").status_code == 401


def test_openapi_is_complete(api: Api) -> None:
    assert api.client.get("/openapi.json").status_code == 401  # the schema is behind a token
    schema = api.client.get("/openapi.json", headers=api.t0).json()
    assert set(schema["paths"]) >= {
        "/healthz",
        "/v1/model",
        "/v1/students/{student_id}",
        "/v1/watchlist",
        "/v1/score",
        "/v1/students/{student_id}/visits",
        "/metrics",
    }
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
