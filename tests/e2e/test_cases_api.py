"""Casework through the real server: a case's whole way, refused moves, scopes, reports."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from serving.auth import Scope
from serving.store import ScoreStore
from tests.e2e.live_server import live_server
from tests.serving.serving_model import build_registry
from tests.serving.serving_rows import AS_OF, county_rows

USERS = {
    "county": ("county:C0", "县社工"),
    "t0": ("township:T0", "镇社工甲"),
    "t1": ("township:T1", "镇社工乙"),
    "school": ("school:SCH000", "班主任"),
}


@dataclass
class Live:
    url: str
    tokens: dict[str, str]

    def call(self, who: str, method: str, path: str, **kw) -> httpx.Response:  # noqa: ANN003
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kw)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    home = tmp_path_factory.mktemp("home")
    build_registry(home)
    store = ScoreStore.open(f"sqlite:///{home / 'scores.sqlite'}")
    store.publish_batch(AS_OF, "1", county_rows(120))
    tokens = {k: store.add_user(n, "caseworker", Scope.parse(s)) for k, (s, n) in USERS.items()}
    store.close()
    with live_server(home) as url:
        yield Live(url, tokens)


def _open(live: Live, who: str, student: str, state: str = "suspected") -> dict:
    r = live.call(
        who,
        "POST",
        "/v1/cases",
        json={"student_id": student, "state": state, "date": "2025-03-01", "reason": "班主任报告"},
    )
    assert r.status_code == 201, r.text
    return r.json()


def _move(live: Live, who: str, case_id: int, **body) -> httpx.Response:  # noqa: ANN003
    return live.call(who, "POST", f"/v1/cases/{case_id}/transitions", json=body)


def _total(live: Live, who: str, on: str = "2025-06-30") -> dict:
    r = live.call(who, "GET", "/v1/monitoring", params={"level": "county", "on": on})
    assert r.status_code == 200, r.text
    return r.json()["total"]


def test_a_case_goes_all_the_way_and_monitoring_follows(live: Live) -> None:
    case = _open(live, "t0", "S00000")["case"]  # S00000: school SCH000, township T0, county C0
    before = _total(live, "county")
    steps = [
        ({"to": "confirmed", "date": "2025-03-05"}, "confirmed"),
        ({"to": "persuading", "date": "2025-03-06", "reason": "团队入户"}, "persuading"),
        ({"to": "returned", "date": "2025-03-20", "plan": "original_class"}, "returned"),
        ({"to": "closed", "date": "2025-06-20"}, "closed"),
    ]
    for body, counted in steps:
        r = _move(live, "t0", case["id"], **body)
        assert r.status_code == 200, r.text
        after = _total(live, "county")
        assert after[counted] == before[counted] + 1
        before = after
    got = live.call("county", "GET", f"/v1/cases/{case['id']}").json()
    assert [(t["from_state"], t["to_state"], t["by"]) for t in got["transitions"]] == [
        (None, "suspected", "镇社工甲"),
        ("suspected", "confirmed", "镇社工甲"),
        ("confirmed", "persuading", "镇社工甲"),
        ("persuading", "returned", "镇社工甲"),
        ("returned", "closed", "镇社工甲"),
    ]
    assert got["case"]["plan"] == "original_class"
    assert before["returned_this_term"] >= 1 and before["closed_this_term"] >= 1


def test_refused_moves_say_why(live: Live) -> None:
    case = _open(live, "county", "S00024", "confirmed")["case"]  # SCH000: T0, C0
    r = _move(live, "county", case["id"], to="returned", date="2025-03-05")
    assert r.status_code == 422 and "plan" in r.json()["detail"]
    r = _move(live, "county", case["id"], to="exempt", date="2025-03-05")
    assert r.status_code == 422 and "reason" in r.json()["detail"]
    r = _move(live, "county", case["id"], to="closed", date="2025-03-05")
    assert r.status_code == 409 and "not to closed" in r.json()["detail"]
    r = _move(live, "county", case["id"], to="lost", date="2025-03-05")
    assert r.status_code == 422
    r = _move(live, "school", case["id"], to="persuading", date="2025-03-05")
    assert r.status_code == 403
    assert (
        _move(
            live, "county", case["id"], to="exempt", date="2025-03-05", reason="moved_out"
        ).status_code
        == 200
    )
    r = _move(live, "county", case["id"], to="persuading", date="2025-03-06")
    assert r.status_code == 409 and "new episode" in r.json()["detail"]
    again = live.call(
        "county",
        "POST",
        "/v1/cases",
        json={
            "student_id": "S00024",
            "state": "confirmed",
            "date": "2025-04-01",
            "reason": "又离校",
        },
    )
    assert again.status_code == 201 and again.json()["case"]["episode"] == 2
    dup = live.call(
        "county",
        "POST",
        "/v1/cases",
        json={"student_id": "S00024", "state": "confirmed", "date": "2025-04-02", "reason": "x"},
    )
    assert dup.status_code == 409


def test_another_township_cannot_see_list_export_or_move_a_case(live: Live) -> None:
    case = _open(live, "t0", "S00008")["case"]  # SCH008: T0, C0
    team = {
        "lead": "镇社工甲",
        "members": [{"name": "张村长", "role": "village", "phone": "13900000000"}],
        "next_visit_due": "2025-03-03",
    }
    assert live.call("t0", "PUT", f"/v1/cases/{case['id']}/team", json=team).status_code == 200
    missing = live.call("t1", "GET", "/v1/cases/99999999")
    assert missing.status_code == 404
    for method, path, body in [
        ("GET", f"/v1/cases/{case['id']}", None),
        ("POST", f"/v1/cases/{case['id']}/transitions", {"to": "confirmed", "date": "2025-03-09"}),
        ("PUT", f"/v1/cases/{case['id']}/team", team),
        ("POST", f"/v1/cases/{case['id']}/visits", {"date": "2025-03-09", "visitor": "x"}),
    ]:
        r = live.call("t1", method, path, json=body)
        assert (r.status_code, r.json()) == (404, missing.json()), path
    # probing every id gives nothing of T0 to T1
    for case_id in range(1, case["id"] + 3):
        r = live.call("t1", "GET", f"/v1/cases/{case_id}")
        assert r.status_code == 404 or r.json()["case"]["township"] == "T1"
    listed = live.call("t1", "GET", "/v1/cases", params={"limit": 500}).json()
    assert all(c["township"] == "T1" for c in listed["cases"])
    assert (
        live.call(
            "t1",
            "POST",
            "/v1/cases",
            json={"student_id": "S00008", "date": "2025-03-09", "reason": "x"},
        ).status_code
        == 404
    )
    mine = live.call("t0", "GET", "/v1/cases", params={"overdue": "true"}).json()
    assert case["id"] in [c["id"] for c in mine["cases"]]
    shown = live.call("t0", "GET", f"/v1/cases/{case['id']}").json()
    assert shown["team"][0]["phone"] == "13900000000" and shown["case"]["lead"] == "镇社工甲"
    from openpyxl import load_workbook

    export = live.call(
        "t1", "GET", "/v1/monitoring/export", params={"period": "quarter", "on": "2025-06-30"}
    )
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content))
    ids = [row[1] for row in book[book.sheetnames[-1]].iter_rows(min_row=2, values_only=True)]
    assert "S00008" not in ids
    seen = live.call("t1", "GET", "/v1/monitoring", params={"level": "school"}).json()
    assert {u["township"] for u in seen["units"]} <= {"T1"}


def test_the_export_totals_match_the_api(live: Live) -> None:
    from openpyxl import load_workbook

    _open(live, "county", "S00001", "confirmed")  # SCH001: T1, C0
    for lang in ("zh", "en"):
        r = live.call(
            "county",
            "GET",
            "/v1/monitoring/export",
            params={"period": "month", "on": "2025-06-30", "lang": lang},
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith(
            "application/vnd.openxml"
        )
        book = load_workbook(io.BytesIO(r.content))
        sheet = book[book.sheetnames[1]]
        total_row = [c.value for c in sheet[sheet.max_row]]
        api = _total(live, "county")
        from serving.cases.monitoring import COUNTS

        assert total_row[-len(COUNTS) :] == [api[c] for c in COUNTS]
        assert api["enrolled"] == 60 and api["confirmed"] >= 1  # county C0's half of 120


def test_visits_and_returnees(live: Live) -> None:
    case = _open(live, "county", "S00012", "confirmed")["case"]  # SCH000
    r = live.call(
        "school",
        "POST",
        f"/v1/cases/{case['id']}/visits",
        json={
            "date": "2025-03-07",
            "visitor": "班主任",
            "notes": "家长同意复学",
            "next_visit_due": "2025-03-14",
        },
    )
    assert r.status_code == 201 and r.json()["visits"][0]["notes"] == "家长同意复学"
    assert (
        _move(
            live, "county", case["id"], to="returned", date="2025-03-10", plan="new_class"
        ).status_code
        == 200
    )
    back = live.call("school", "GET", "/v1/cases/returnees").json()
    assert case["id"] in [b["case"]["id"] for b in back]
    assert all(b["risk"] is not None for b in back if b["case"]["student_id"] == "S00012")
