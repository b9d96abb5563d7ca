"""`dropout-risk effects` as a real process: visits recorded through the API give the same
estimate as the same visits imported from visits.csv; unclosed windows are said so."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from dropout_risk.settings import get_settings
from features.synthetic import generate_county
from serving.app import create_app
from serving.auth import Scope
from serving.lifecycle import ModelLifecycle
from serving.store import ScoreStore
from tests.serving.serving_model import make_scorer

EXE = [sys.executable, "-m", "dropout_risk.cli"]
SNAPSHOTS = "2022-09-01,2023-03-01,2023-09-01,2024-03-01"


def _effects(data: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DROPOUT_RISK_HOME": str(home)}
    env.pop("DROPOUT_RISK_DB", None)
    return subprocess.run(
        [*EXE, "effects", str(data), "--json", "--snapshots", SNAPSHOTS],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def _publish_everyone(store: ScoreStore, data: Path) -> None:
    """A batch holding every student, so that case workers may record visits to them."""
    students = pd.read_csv(data / "students.csv", dtype=str)["student_id"]
    # The data's own county: the store keys a visit by (county, student_id).
    (county,) = pd.read_csv(data / "schools.csv", dtype=str)["county"].unique()
    rows = [
        {"student_id": sid, "name": None, "school_id": "S", "township": "T", "county": county,
         "grade": 7, "risk": 0.1, "tier": "low", "rank_school": i + 1, "rank_county": i + 1,
         "factors": []}
        for i, sid in enumerate(students)
    ]  # fmt: skip
    store.publish_batch(dt.date(2024, 7, 1), "1", rows)


@pytest.mark.slow
def test_api_visits_and_visits_csv_give_the_same_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paper = tmp_path / "paper"
    generate_county(paper, students=1000, years=2, seed=21, visit_effect=0.6)
    api = tmp_path / "api"
    shutil.copytree(paper, api, ignore=shutil.ignore_patterns("visits.csv", "truth"))
    visits = pd.read_csv(paper / "visits.csv", dtype=str)
    assert len(visits) > 100

    # Home A: the visits go in through the HTTP API, one POST each.
    home_a = tmp_path / "home-a"
    monkeypatch.setenv("DROPOUT_RISK_HOME", str(home_a))
    get_settings.cache_clear()
    store = ScoreStore.open(get_settings().database_url)
    _publish_everyone(store, paper)
    token = store.add_user("li", "caseworker", Scope.parse("all"))
    models = ModelLifecycle("http://127.0.0.1:9", tmp_path / "cache", poll_seconds=0)
    models.use(make_scorer("1"), "1")
    with TestClient(create_app(get_settings(), store=store, models=models)) as client:
        for v in visits.itertuples():
            response = client.post(
                f"/v1/students/{v.student_id}/visits",
                json={"date": v.visited_on, "visitor": v.visitor, "outcome": v.outcome},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 201, response.text
    store.close()

    # Home B: the same batch, no visits in the store; the visits come from visits.csv.
    home_b = tmp_path / "home-b"
    monkeypatch.setenv("DROPOUT_RISK_HOME", str(home_b))
    get_settings.cache_clear()
    store = ScoreStore.open(get_settings().database_url)
    _publish_everyone(store, paper)
    store.close()

    through_api = _effects(api, home_a)
    from_csv = _effects(paper, home_b)
    assert through_api.returncode == 0, through_api.stderr[-2000:]
    assert from_csv.returncode == 0, from_csv.stderr[-2000:]
    a, b = json.loads(through_api.stdout), json.loads(from_csv.stdout)
    assert a == b
    assert set(a) == {"att", "ci_low", "ci_high", "n_treated", "n_control", "method", "naive",
                      "by_group"}  # fmt: skip
    assert a["n_treated"] > 50 and a["ci_low"] <= a["att"] <= a["ci_high"]
    # The spring 2024 snapshot's 180 days run past the export: left out, and said so.
    assert "snapshot 2024-03-01 left out" in from_csv.stderr
    assert "after the export date" in from_csv.stderr

    # The page's read-only summary: the last run, in plain words, beside its interval.
    store = ScoreStore.open(get_settings().database_url)  # home B
    reader = store.add_user("wang", "caseworker", Scope.parse("all"))
    with TestClient(create_app(get_settings(), store=store, models=models)) as client:
        auth = {"Authorization": f"Bearer {reader}"}
        body = client.get("/v1/effects", headers=auth).json()
        assert body["att"] == b["att"] and body["n_treated"] == b["n_treated"]
        assert "95% interval" in body["summary"] and "naive" in body["summary"]
        assert client.get("/v1/effects").status_code == 401
    store.close()

    # Without any visit anywhere: a clear message and exit 1, no traceback.
    none = _effects(api, tmp_path / "home-c")
    assert none.returncode == 1 and "no visits" in none.stderr
    assert "Traceback" not in none.stderr
