"""School and township figures beside the student's: means against pandas over the batch
rows, scoped to the caller's places, and leaving rates against a hand count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from dropout_risk.settings import get_settings
from serving.app import create_app
from serving.auth import Scope
from serving.lifecycle import ModelLifecycle
from serving.place_rates import leaving_rates, store_rates
from serving.store import ScoreStore
from tests.serving.serving_model import make_scorer
from tests.serving.serving_rows import AS_OF, county_rows


def _rows(seed: int) -> list[dict]:
    """Two counties with the same township names (C1's T2/T3 renamed T0/T1), a few past age."""
    rows = county_rows(240, seed=seed)
    for i, row in enumerate(rows):
        row["township"] = {"T2": "T0", "T3": "T1"}.get(row["township"], row["township"])
        if i % 17 == 0:
            row["tier"] = "past_age"
    return rows


@pytest.fixture(scope="module")
def scorer():
    return make_scorer("7")


@pytest.fixture(params=[0, 3])
def api(request: pytest.FixtureRequest, tmp_path: Path, scorer, store_url: str) -> Iterator[tuple]:
    store = ScoreStore.open(store_url)  # SQLite and PostgreSQL
    rows = _rows(request.param)
    store.publish_batch(AS_OF, "7", rows)
    tokens = {
        "all": store.add_user("r", "researcher", Scope.parse("all")),
        "t0": store.add_user("w0", "caseworker", Scope.parse("township:C0/T0")),
        "s": store.add_user("w1", "caseworker", Scope.parse("school:C1/SCH003")),
    }
    models = ModelLifecycle("http://127.0.0.1:9", tmp_path / "cache", poll_seconds=0)
    models.use(scorer, "7")
    with TestClient(create_app(get_settings(), store=store, models=models)) as client:
        heads = {k: {"Authorization": f"Bearer {t}"} for k, t in tokens.items()}
        yield client, store, pd.DataFrame(rows), heads
    store.close()


def _expected(frame: pd.DataFrame, level: str) -> pd.DataFrame:
    column = "school_id" if level == "school" else "township"
    ranked = frame[frame["tier"] != "past_age"]
    return ranked.groupby(["county", column])["risk"].agg(["mean", "count"])


def test_means_equal_pandas_over_the_batch_rows(api: tuple) -> None:
    client, _, frame, heads = api
    got = client.get("/v1/watchlist?limit=500", headers=heads["all"]).json()
    places = got["places"]
    for level in ("school", "township"):
        expected = _expected(frame, level)
        mine = {(p["county"], p["place"]): p for p in places if p["level"] == level}
        assert set(mine) == set(expected.index)
        for key, p in mine.items():
            assert p["mean_risk"] == pytest.approx(expected.loc[key, "mean"], rel=1e-9)
            assert p["n_students"] == expected.loc[key, "count"]
            assert p["leaving_rate"] is None  # this batch was published without rates
    row = frame[frame["tier"] != "past_age"].iloc[5]
    card = client.get(f"/v1/students/{row['student_id']}", headers=heads["all"]).json()
    assert card["school_context"]["place"] == row["school_id"]
    school_mean = _expected(frame, "school").loc[(row["county"], row["school_id"]), "mean"]
    assert card["school_context"]["mean_risk"] == pytest.approx(school_mean)
    town = _expected(frame, "township").loc[(row["county"], row["township"])]
    assert card["township_context"]["mean_risk"] == pytest.approx(town["mean"])
    assert card["township_context"]["n_students"] == town["count"]


def test_a_new_batch_brings_its_own_means(api: tuple) -> None:
    """The means are kept per published batch: the next batch's are its own, not the last's."""
    client, store, frame, heads = api
    first = client.get("/v1/watchlist?limit=500", headers=heads["t0"]).json()["places"]
    later = frame.assign(risk=(frame["risk"] * 0.5).round(6))
    store.publish_batch(AS_OF + dt.timedelta(days=30), "7", later.to_dict("records"))
    second = client.get("/v1/watchlist?limit=500", headers=heads["t0"]).json()["places"]
    assert {(p["level"], p["place"]) for p in first} == {(p["level"], p["place"]) for p in second}
    expected = _expected(later, "township").loc[("C0", "T0"), "mean"]
    town = next(p for p in second if p["level"] == "township")
    assert town["mean_risk"] == pytest.approx(expected, rel=1e-6)
    assert town["mean_risk"] < next(p for p in first if p["level"] == "township")["mean_risk"]


def test_a_township_worker_gets_only_their_township(api: tuple) -> None:
    client, _, frame, heads = api
    got = client.get("/v1/watchlist?limit=500", headers=heads["t0"]).json()
    mine = frame[(frame["county"] == "C0") & (frame["township"] == "T0")]
    assert {(p["county"], p["level"], p["place"]) for p in got["places"]} == {
        ("C0", "township", "T0")
    } | {("C0", "school", s) for s in mine["school_id"]}
    town = next(p for p in got["places"] if p["level"] == "township")
    ranked = mine[mine["tier"] != "past_age"]
    assert town["mean_risk"] == pytest.approx(ranked["risk"].mean())  # not C1's T0 mixed in
    # Filters naming other places, and the other county's T0 child, give nothing away.
    other = client.get("/v1/watchlist?county=C1&township=T0", headers=heads["t0"]).json()
    assert other["places"] == [] and other["students"] == []
    theirs = frame[(frame["county"] == "C1") & (frame["township"] == "T0")].iloc[0]
    missing = client.get(f"/v1/students/{theirs['student_id']}", headers=heads["t0"])
    assert missing.status_code == 404 and "context" not in missing.text


def test_a_school_worker_gets_no_township_figures(api: tuple) -> None:
    client, _, frame, heads = api
    got = client.get("/v1/watchlist?limit=500", headers=heads["s"]).json()
    assert [(p["county"], p["level"], p["place"]) for p in got["places"]] == [
        ("C1", "school", "SCH003")
    ]
    row = frame[(frame["school_id"] == "SCH003") & (frame["tier"] != "past_age")].iloc[0]
    card = client.get(f"/v1/students/{row['student_id']}", headers=heads["s"]).json()
    assert card["school_context"]["place"] == "SCH003"
    assert card["township_context"] is None


def _hand_county() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    schools = pd.DataFrame(
        {
            "school_id": ["A", "B", "D", "E"],
            "county": ["C", "C", "C", "C2"],
            "township": ["T1", "T1", "T2", "T1"],
        }
    )
    enrollments = pd.DataFrame(
        [
            ("s1", 2023, "A"),
            ("s1", 2024, "A"),
            ("s2", 2023, "A"),
            ("s3", 2023, "B"),
            ("s3", 2024, "A"),
            ("s4", 2022, "B"),
            ("s5", 2024, "B"),
            ("s6", 2024, "B"),
            ("s7", 2024, "D"),
            ("s8", 2023, "D"),
            ("s10", 2023, "D"),
            ("s10", 2024, "D"),
            ("s11", 2023, "D"),
            ("s9", 2024, "E"),
        ],
        columns=["student_id", "school_year", "school_id"],
    )
    day = dt.date.fromisoformat
    dropouts = pd.DataFrame(
        [
            ("s2", day("2024-05-10"), None),  # in the year: A
            ("s4", day("2023-06-01"), None),  # long gone: not counted
            ("s5", day("2025-02-01"), None),  # in the year: B
            ("s6", day("2025-03-02"), None),  # after the as-of date: stays
            ("s8", day("2024-02-01"), None),  # left before the year: not counted
            ("s10", day("2024-04-01"), day("2024-09-10")),  # in the year, came back: counts
            ("s11", day("2023-06-01"), day("2023-09-01")),  # came back before: stays
            ("s9", day("2024-12-01"), None),  # the other county's T1
        ],
        columns=["student_id", "left_on", "returned_on"],
    )
    return enrollments, dropouts, schools


def test_leaving_rate_equals_a_hand_count(tmp_path: Path, scorer) -> None:
    rates = leaving_rates(*_hand_county(), AS_OF)  # 2025-03-01: the year from 2024-03-02
    got = {(r.county, r.level, r.place): (r.enrolled, r.left) for r in rates.itertuples()}
    assert got == {
        ("C", "school", "A"): (3, 1),  # s1, s2 (left), s3 (moved from B)
        ("C", "school", "B"): (2, 1),  # s5 (left), s6
        ("C", "school", "D"): (3, 1),  # s7, s10 (left, came back), s11
        ("C2", "school", "E"): (1, 1),
        ("C", "township", "T1"): (5, 2),
        ("C", "township", "T2"): (3, 1),
        ("C2", "township", "T1"): (1, 1),  # same name, other county: kept apart
    }
    assert (rates["leaving_rate"] == rates["left"] / rates["enrolled"]).all()
    # Stored beside a batch, the API shows them on the card.
    store = ScoreStore.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    rows = county_rows(24)
    for row in rows:
        row.update(county="C", township="T1", school_id="A")
    batch = store.publish_batch(AS_OF, "7", rows)
    assert store_rates(store.engine, batch, rates) == 7
    token = store.add_user("w", "caseworker", Scope.parse("township:C/T1"))
    models = ModelLifecycle("http://127.0.0.1:9", tmp_path / "cache", poll_seconds=0)
    models.use(scorer, "7")
    with TestClient(create_app(get_settings(), store=store, models=models)) as client:
        card = client.get(
            f"/v1/students/{rows[0]['student_id']}", headers={"Authorization": f"Bearer {token}"}
        ).json()
    store.close()
    assert card["school_context"]["leaving_rate"] == pytest.approx(1 / 3)
    assert card["township_context"]["leaving_rate"] == pytest.approx(2 / 5)
