"""The real server (`dropout-risk serve`, uvicorn) on 127.0.0.1: security, audit, logs, hot swap.

A real MLflow registry (two registered versions, champion = 1) and a real SQLite
score store are set up under a fresh home folder; the server is a separate process.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from serving.auth import Scope
from serving.store import ScoreStore
from tests.e2e.live_server import live_server
from tests.serving.serving_model import build_registry
from tests.serving.serving_rows import AS_OF, county_rows
from training.registry import promote

UNAUTHORIZED = {"detail": "missing or invalid bearer token"}


@dataclass
class Deployment:
    url: str
    home: Path
    rows: list[dict]
    tokens: dict[str, str]
    log: Path

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def open_store(self) -> ScoreStore:
        return ScoreStore.open(f"sqlite:///{self.home / 'scores.sqlite'}", migrate=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    home = tmp_path_factory.mktemp("home")
    build_registry(home)  # home/mlflow.sqlite is the default tracking store
    store = ScoreStore.open(f"sqlite:///{home / 'scores.sqlite'}")
    rows = county_rows(300)
    store.publish_batch(AS_OF, "1", rows)
    tokens = {
        "researcher": store.add_user("研究员甲", "researcher", Scope.parse("all")),
        "t0": store.add_user("王社工", "caseworker", Scope.parse("township:T0")),
        "t1": store.add_user("李社工", "caseworker", Scope.parse("township:T1")),
    }
    store.close()
    with live_server(home, DROPOUT_RISK_MODEL_POLL_SECONDS="0.3") as url:
        log = home / "server.log"
        yield Deployment(url, home, rows, tokens, log)


def _student(d: Deployment, township: str) -> str:
    return next(r["student_id"] for r in d.rows if r["township"] == township)


def test_health_needs_no_token_and_names_the_model(server: Deployment) -> None:
    body = httpx.get(f"{server.url}/healthz").json()
    assert body["model_version"] == "1" and body["batch_as_of"] == AS_OF.isoformat()


@pytest.mark.parametrize(
    "auth", [None, "Bearer drk_not-a-real-token", "Bearer", "Basic cml0YTpwYXNz", "drk_x"]
)
def test_no_or_bad_token_is_401_and_leaks_nothing(server: Deployment, auth: str | None) -> None:
    sid = _student(server, "T0")
    headers = {"Authorization": auth} if auth is not None else {}
    visit = {"date": "2025-03-03", "visitor": "x", "outcome": "left"}
    calls = [
        ("GET", f"/v1/students/{sid}", None),
        ("GET", "/v1/watchlist", None),
        ("GET", f"/v1/students/{sid}/visits", None),
        ("POST", f"/v1/students/{sid}/visits", visit),
        ("GET", "/v1/model", None),
        ("POST", "/v1/model/reload", None),
        ("POST", "/v1/score", {"rows": [{}]}),
        ("GET", "/metrics", None),
    ]
    for method, path, body in calls:
        got = httpx.request(method, server.url + path, headers=headers, json=body)
        assert got.status_code == 401, (method, path)
        assert got.json() == UNAUTHORIZED
        assert got.headers["www-authenticate"] == "Bearer"


def test_out_of_scope_student_answers_exactly_like_a_missing_one(server: Deployment) -> None:
    other = _student(server, "T1")
    for path in (f"/v1/students/{other}", f"/v1/students/{other}/visits"):
        out = httpx.get(server.url + path, headers=server.headers("t0"))
        missing = httpx.get(
            server.url + path.replace(other, "S99999"), headers=server.headers("t0")
        )
        assert out.status_code == missing.status_code == 404
        assert out.content == missing.content == b'{"detail":"student not found"}'
        strip = {"date"}
        assert {k: v for k, v in out.headers.items() if k not in strip} == {
            k: v for k, v in missing.headers.items() if k not in strip
        }
    visit = {"date": "2025-03-03", "visitor": "王老师", "outcome": "left"}
    wrote = httpx.post(
        f"{server.url}/v1/students/{other}/visits", json=visit, headers=server.headers("t0")
    )
    assert wrote.status_code == 404 and wrote.json() == {"detail": "student not found"}
    assert httpx.get(f"{server.url}/v1/students/{other}", headers=server.headers("t1")).is_success


def test_out_of_scope_watchlist_filter_returns_no_one(server: Deployment) -> None:
    other_school = next(r["school_id"] for r in server.rows if r["township"] == "T1")
    for params in ({"township": "T1"}, {"county": "C1"}, {"school_id": other_school}):
        got = httpx.get(f"{server.url}/v1/watchlist", params=params, headers=server.headers("t0"))
        assert got.status_code == 200
        assert got.json()["students"] == [] and got.json()["total"] == 0
    mine = httpx.get(f"{server.url}/v1/watchlist", headers=server.headers("t0")).json()
    assert mine["students"] and {s["township"] for s in mine["students"]} == {"T0"}


def test_caseworker_on_researcher_endpoints_is_403(server: Deployment) -> None:
    for method, path, body in (
        ("GET", "/v1/model", None),
        ("POST", "/v1/model/reload", None),
        ("POST", "/v1/score", {"rows": [{"unexcused_rate_30d": 0.2}]}),
    ):
        got = httpx.request(method, server.url + path, json=body, headers=server.headers("t0"))
        assert got.status_code == 403
        assert got.json() == {"detail": "this endpoint is for researchers"}


def test_audit_log_has_who_when_which_student_and_endpoint(server: Deployment) -> None:
    mine, other = _student(server, "T0"), _student(server, "T1")
    started = time.time()
    assert httpx.get(f"{server.url}/v1/students/{mine}", headers=server.headers("t0")).is_success
    httpx.get(f"{server.url}/v1/students/{other}", headers=server.headers("t0"))
    httpx.get(f"{server.url}/v1/watchlist", params={"limit": 3}, headers=server.headers("t0"))
    # The server's audit writer commits every 50 ms; give it a moment.
    deadline = time.monotonic() + 10
    while True:
        store = server.open_store()
        try:
            log = store.audit_log()
        finally:
            store.close()
        if any(e["action"] == "list" and e["user"] == "王社工" for e in log):
            break
        assert time.monotonic() < deadline, "audit rows never arrived"
        time.sleep(0.1)
    read = [e for e in log if e["student_id"] == mine and e["user"] == "王社工"]
    probe = [e for e in log if e["student_id"] == other and e["user"] == "王社工"]
    assert read[-1]["endpoint"] == "GET /v1/students/{student_id}" and read[-1]["action"] == "read"
    at = read[-1]["at"]
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC
    assert started - 5 <= at.timestamp() <= time.time() + 5
    assert {e["action"] for e in probe} == {"not_found"}
    listed = [e for e in log if e["action"] == "list" and e["user"] == "王社工"]
    assert listed and all(e["endpoint"] == "GET /v1/watchlist" for e in listed)


def test_application_log_holds_no_names_ids_or_tokens(server: Deployment) -> None:
    httpx.get(f"{server.url}/v1/students/{_student(server, 'T0')}", headers=server.headers("t0"))
    text = server.log.read_text(encoding="utf-8")
    assert '"route": "/v1/students/{student_id}"' in text  # requests are logged, by template
    for row in server.rows:
        assert row["student_id"] not in text and row["name"] not in text
    for token in server.tokens.values():
        assert token not in text
    for user in ("研究员甲", "王社工", "李社工"):
        assert user not in text


def test_alias_moves_while_clients_hammer_zero_failures(server: Deployment) -> None:
    sid = _student(server, "T0")
    rows = {"rows": [{"unexcused_rate_30d": 0.3, "guardian": "grandparents"}]}
    failures: list[str] = []
    versions: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=server.url, headers=server.headers("researcher")) as client:
            while not stop.is_set():
                try:
                    scored = client.post("/v1/score", json=rows)
                    read = client.get(f"/v1/students/{sid}")
                except httpx.HTTPError as exc:
                    failures.append(type(exc).__name__)
                    continue
                if scored.status_code != 200 or read.status_code != 200:
                    failures.append(f"{scored.status_code}/{read.status_code}")
                else:
                    versions.append(scored.json()["model_version"])

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    promote("2", f"sqlite:///{server.home / 'mlflow.sqlite'}")
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.url}/healthz").json()["model_version"] != "2":
        assert time.monotonic() < deadline, "the server never picked up the new champion"
        time.sleep(0.1)
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []
    assert versions[0] == "1" and versions[-1] == "2"
    assert versions.index("2") > 0 and "1" not in versions[-20:]
    metrics = httpx.get(f"{server.url}/metrics", headers=server.headers("researcher")).text
    assert 'dropout_risk_model_info{source="registry",version="2"} 1.0' in metrics
