"""`cases sync` opens a `suspected` case (reason not_in_school_register) for each
not_enrolled child of the latest reconciliation, once: twice is once, and a new run of the
same school year with the register's rows in another order opens nothing new."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from features.reconcile.output import write_outputs
from features.reconcile.run import reconcile
from features.validate import load_tables
from serving.cases.models import Case, CaseTransition
from serving.cases.unregistered import PREFIX, not_enrolled_facts, sync_not_enrolled
from serving.store import ScoreStore
from tests.features.test_reconcile import AS_OF, LI, S003, hand_county


def _run(home: Path, county: Path, as_of: pd.Timestamp, name: str) -> pd.DataFrame:
    found = reconcile(load_tables(county), as_of)
    write_outputs(found, home / "reconcile" / f"{name}-{as_of:%Y-%m-%d}")
    return found.residents


def _cases(home: Path) -> pd.DataFrame:
    store = ScoreStore.open(f"sqlite:///{home / 'scores.sqlite'}", migrate=False)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(
                    Case.student_id, Case.name, Case.township, Case.village, Case.school_id,
                    Case.state, Case.state_on, CaseTransition.reason, CaseTransition.source_key,
                ).join(CaseTransition, CaseTransition.case_id == Case.id)
            ).all()  # fmt: skip
    finally:
        store.close()
    frame = pd.DataFrame(rows)
    return frame.loc[frame["student_id"].str.startswith(PREFIX)].sort_values("name")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("DROPOUT_RISK_HOME", str(home))
    ScoreStore.open(f"sqlite:///{home / 'scores.sqlite'}").close()  # migrated ledger
    return home


def test_sync_twice_opens_each_not_enrolled_child_once(tmp_path: Path, home: Path) -> None:
    county = hand_county(tmp_path / "county")
    residents = _run(home, county, AS_OF, "county")
    # Worked by hand (tests/features/test_reconcile.py): these two are in no school.
    expected = residents.loc[residents["status"] == "not_enrolled", ["name", "village"]]
    assert sorted(map(tuple, expected.to_numpy())) == [("李小红", "东坪村"), ("陈静", "北坪村")]

    env = {**os.environ, "DROPOUT_RISK_HOME": str(home)}
    command = [sys.executable, "-m", "dropout_risk.cli", "cases", "sync", str(county)]
    first = subprocess.run([*command, "--as-of", "2023-10-20"], env=env, capture_output=True,
                           text=True)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "2 opened for school-age children in no school register" in first.stdout
    cases = _cases(home)
    assert list(zip(cases["name"], cases["village"], strict=True)) == [
        ("李小红", "东坪村"),
        ("陈静", "北坪村"),
    ]
    assert set(cases["state"]) == {"suspected"} and set(cases["township"]) == {"Hongqi"}
    assert set(cases["state_on"]) == {dt.date(2023, 10, 15)}  # the reconciliation's date
    assert set(cases["reason"]) == {"not_in_school_register"}
    assert set(cases["source_key"]) == {"not_in_school_register:2023"}
    assert set(cases["school_id"]) == {""}  # no school: no school scope sees them
    assert cases["student_id"].str.fullmatch(PREFIX + "[0-9a-f]{20}").all()
    assert cases["student_id"].nunique() == 2
    # No identity number anywhere in what the command printed.
    for pid in (LI, S003):
        assert pid not in first.stdout + first.stderr
    assert not re.search(r"\d{17}[\dX]", first.stdout)

    second = subprocess.run([*command, "--as-of", "2023-10-20"], env=env, capture_output=True,
                            text=True)  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "Cases: 0 opened, 0 moved" in second.stdout
    assert _cases(home).equals(cases)

    # A later export of the same register, rows in reverse order: the same children, the
    # same pseudonyms, nothing opened again.
    rows = pd.read_csv(county / "residents.csv", dtype=str, keep_default_na=False)
    rows.iloc[::-1].to_csv(county / "residents.csv", index=False)
    _run(home, county, pd.Timestamp("2023-11-15"), "county")
    facts, _ = not_enrolled_facts(home, dt.date(2023, 11, 20))
    assert sorted(facts["student_id"]) == sorted(cases["student_id"])
    store = ScoreStore.open(f"sqlite:///{home / 'scores.sqlite'}", migrate=False)
    try:
        assert sync_not_enrolled(store.engine, home, dt.date(2023, 11, 20)).opened == 0
        # A run dated after the sync date does not count yet (as-of correctness).
        assert not_enrolled_facts(home, dt.date(2023, 10, 1))[0].empty
    finally:
        store.close()
    assert len(_cases(home)) == 2
    key = home / "casework.key"
    assert key.stat().st_mode & 0o077 == 0 and len(key.read_bytes()) == 32


def test_a_later_run_that_finds_nobody_replaces_the_older_list(tmp_path: Path) -> None:
    """The latest run of a county counts even when it found no child out of school."""
    from serving.reconciled import latest_not_enrolled

    def run(folder: str, as_of: str, status: str) -> None:
        out = tmp_path / "reconcile" / folder
        out.mkdir(parents=True)
        pd.DataFrame(
            {
                "county": "Lanxi", "township": "Hongqi", "village": "东坪村", "name": ["甲"],
                "age": 9, "status": status, "as_of": pd.Timestamp(as_of),
            }
        ).to_parquet(out / "residents.parquet")  # fmt: skip

    run("a-2023-10-15", "2023-10-15", "not_enrolled")
    assert latest_not_enrolled(tmp_path)["name"].tolist() == ["甲"]
    run("a-2023-11-15", "2023-11-15", "enrolled")
    assert latest_not_enrolled(tmp_path).empty
    until = pd.Timestamp("2023-11-01")  # a sync dated before the newer run still sees the older
    assert latest_not_enrolled(tmp_path, until=until)["name"].tolist() == ["甲"]


def test_the_township_reads_and_counts_those_cases(tmp_path: Path, home: Path) -> None:
    """The ledger's cases API and monitoring take a case with no school in their stride."""
    from fastapi.testclient import TestClient

    from dropout_risk.settings import get_settings
    from serving.app import create_app
    from serving.auth import Scope
    from serving.lifecycle import ModelLifecycle
    from serving.store.places import Place
    from tests.serving.serving_model import make_scorer

    _run(home, hand_county(tmp_path / "county"), AS_OF, "county")
    get_settings.cache_clear()
    store = ScoreStore.open(f"sqlite:///{home / 'scores.sqlite'}", migrate=False)
    assert sync_not_enrolled(store.engine, home, dt.date(2023, 10, 20)).opened == 2
    places = [Place("Lanxi", "Hongqi", "001"), Place("Lanxi", "Shanbei", "002")]
    tokens = {
        who: {
            "Authorization": "Bearer " + store.add_user(who, "caseworker", Scope.parse(s), places)
        }
        for who, s in [("hongqi", "township:Lanxi/Hongqi"), ("shanbei", "township:Lanxi/Shanbei")]
    }
    models = ModelLifecycle("http://127.0.0.1:9", tmp_path / "cache", poll_seconds=0)
    models.use(make_scorer("7"), "7")
    try:
        with TestClient(create_app(get_settings(), store=store, models=models)) as client:
            mine = client.get("/v1/cases", headers=tokens["hongqi"]).json()
            assert sorted(c["name"] for c in mine["cases"]) == ["李小红", "陈静"]
            one = client.get(f"/v1/cases/{mine['cases'][0]['id']}", headers=tokens["hongqi"])
            assert one.status_code == 200, one.text
            assert client.get("/v1/cases", headers=tokens["shanbei"]).json()["total"] == 0
            counts = client.get(
                "/v1/monitoring", headers=tokens["hongqi"], params={"level": "township"}
            )
            assert counts.status_code == 200, counts.text
            assert counts.json()["total"]["suspected"] == 2
    finally:
        store.close()
        get_settings.cache_clear()
