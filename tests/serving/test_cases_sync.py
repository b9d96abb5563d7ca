"""`cases sync` on synthetic counties: the ledger agrees with a direct count, twice is once,
and a hand-made move is never undone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sqlalchemy import select

from features.validate import load_tables
from serving.cases.events import SyncRules
from serving.cases.models import Case, CaseTransition
from serving.cases.service import CaseService
from serving.cases.sync import sync_cases
from serving.store import ScoreStore
from tests.features.factory import attendance_rows, school_days, tables
from tests.serving.cases_helpers import EP, who


@pytest.fixture(scope="module")
def varied_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another county: other seed, other size, schools on three winter calendars."""
    from features.synthetic import generate_county

    out = tmp_path_factory.mktemp("varied")
    generate_county(out, students=900, years=3, seed=7, calendar="varied")
    return out


def _out_of_school_by_township(folder: Path, on: dt.date) -> dict[tuple[str, str], int]:
    """Children who left before `on` and had not returned before it, per (county, township)
    of their last school up to that school year: straight from the CSV files."""
    year = on.year if on.month >= 9 else on.year - 1
    sql = f"""
    WITH d AS (SELECT * FROM read_csv_auto('{folder}/dropouts.csv', all_varchar=true)),
    latest AS (
        SELECT student_id, max(CAST(left_on AS DATE)) AS left_on FROM d
        WHERE CAST(left_on AS DATE) < DATE '{on}' GROUP BY student_id),
    gone AS (
        SELECT l.student_id FROM latest l JOIN d ON d.student_id = l.student_id
            AND CAST(d.left_on AS DATE) = l.left_on
        WHERE d.returned_on IS NULL OR d.returned_on = ''
            OR CAST(d.returned_on AS DATE) >= DATE '{on}'),
    e AS (SELECT * FROM read_csv_auto('{folder}/enrollments.csv', all_varchar=true)),
    last_school AS (
        SELECT student_id, arg_max(school_id, CAST(school_year AS INT)) AS school_id FROM e
        WHERE CAST(school_year AS INT) <= {year} GROUP BY student_id),
    s AS (SELECT * FROM read_csv_auto('{folder}/schools.csv', all_varchar=true))
    SELECT s.county, s.township, count(*) FROM gone
    JOIN last_school USING (student_id) JOIN s USING (school_id)
    GROUP BY s.county, s.township
    """
    return {(c, t): n for c, t, n in duckdb.sql(sql).fetchall()}


def _ledger_out_of_school(store: ScoreStore) -> dict[tuple[str, str], int]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(Case.county, Case.township).where(Case.state.in_(("confirmed", "persuading")))
        ).all()
    return pd.Series(1, index=pd.MultiIndex.from_tuples(rows)).groupby(level=[0, 1]).sum().to_dict()


def _dump(store: ScoreStore) -> tuple[list, list]:
    with store.engine.connect() as conn:
        cases = conn.execute(select(Case).order_by(Case.id)).all()
        moves = conn.execute(select(CaseTransition).order_by(CaseTransition.id)).all()
    return [tuple(r) for r in cases], [tuple(r) for r in moves]


@pytest.mark.parametrize("which", ["county_dir", "varied_county"])
def test_out_of_school_per_township_equals_a_direct_count(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    folder = request.getfixturevalue(which)
    data = load_tables(folder)
    store = ScoreStore.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    try:
        for on in (dt.date(2023, 3, 1), dt.date(2024, 6, 1), dt.date(2024, 11, 20)):
            sync_cases(store.engine, data, on)  # monthly-ish syncs, one after the other
            expected = _out_of_school_by_township(folder, on)
            assert sum(expected.values()) > 0
            assert _ledger_out_of_school(store) == expected, on
        before = _dump(store)
        again = sync_cases(store.engine, data, dt.date(2024, 11, 20))
        assert again.changed == 0 and _dump(store) == before
    finally:
        store.close()


def test_a_hand_made_move_is_never_undone(county_dir: Path, store: ScoreStore) -> None:
    data = load_tables(county_dir)
    if True:  # on SQLite and PostgreSQL
        sync_cases(store.engine, data, dt.date(2023, 6, 1))
        service = CaseService(store)
        county = who(store, "all")
        with store.engine.connect() as conn:
            target = conn.execute(
                select(Case.id, Case.state_on).where(Case.state == "confirmed").limit(1)
            ).one()
        on = target.state_on + dt.timedelta(days=3)
        service.move(county, target.id, "exempt", on, "moved_out", None, on, EP)
        report = sync_cases(store.engine, data, dt.date(2025, 6, 1))
        with store.engine.connect() as conn:
            state = conn.execute(select(Case.state).where(Case.id == target.id)).scalar_one()
            moves = conn.execute(
                select(CaseTransition.to_state).where(CaseTransition.case_id == target.id)
            ).scalars()
            assert state == "exempt" and list(moves)[-1] == "exempt"
        assert report.opened + report.moved > 0  # the rest of the county did move on
        assert sync_cases(store.engine, data, dt.date(2025, 6, 1)).changed == 0


def _absence_county(statuses: list[str], next_year: bool) -> object:
    days = school_days("2024-09-02", "2024-10-11")
    return tables(
        schools=[("S1", "一小", "县", "镇", "primary", True, False)],
        students=[
            ("A", "H1", "F", "2014-03-01", False, "none"),
            ("B", "H2", "M", "2014-03-01", False, "none"),
            ("C", "H3", "M", "2008-03-01", False, "none"),
        ],
        enrollments=[
            ("A", 2024, "S1", 4, False, 1.0),
            ("B", 2023, "S1", 3, False, 1.0),
            ("C", 2023, "S1", 8, False, 1.0),
            *([("B", 2024, "S1", 4, False, 1.0)] if next_year else []),
            *([("Z", 2024, "S1", 4, False, 1.0)]),
        ],
        attendance=attendance_rows("A", days[-len(statuses) :], statuses),
    )


@pytest.mark.parametrize("run", [9, 10, 14])
def test_long_unexcused_absence_opens_a_suspected_case(run: int, tmp_path: Path) -> None:
    statuses = ["present"] * 5 + ["absent_unexcused"] * run
    data = _absence_county(statuses, next_year=True)
    store = ScoreStore.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    try:
        sync_cases(store.engine, data, dt.date(2024, 10, 14), SyncRules(absent_days=10))
        with store.engine.connect() as conn:
            rows = conn.execute(select(Case.student_id, Case.state, Case.opened_on)).all()
        if run < 10:
            assert rows == []
        else:
            tenth = school_days("2024-09-02", "2024-10-11")[-run + 9]
            assert rows == [("A", "suspected", tenth.date())]
    finally:
        store.close()


def test_not_reenrolled_below_grade_9_and_under_16_opens_a_suspected_case(tmp_path: Path) -> None:
    data = _absence_county(["present"], next_year=False)
    store = ScoreStore.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    try:
        sync_cases(store.engine, data, dt.date(2024, 10, 14))
        with store.engine.connect() as conn:
            rows = conn.execute(select(Case.student_id, Case.state, Case.opened_on)).all()
        # B (grade 3 last year, 10 years old) is missing; C turned 16 before 31 August
        assert rows == [("B", "suspected", dt.date(2024, 9, 1))]
    finally:
        store.close()


def test_cases_sync_command_twice_changes_nothing(
    county_dir: Path, dropout_risk_home: Path
) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DROPOUT_RISK_HOME": str(dropout_risk_home)}
    command = [sys.executable, "-m", "dropout_risk.cli", "cases", "sync", str(county_dir)]
    first = subprocess.run(
        [*command, "--as-of", "2024-06-01"], env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    assert " opened" in first.stdout and "0 opened" not in first.stdout
    second = subprocess.run(
        [*command, "--as-of", "2024-06-01"], env=env, capture_output=True, text=True
    )
    assert "Cases: 0 opened, 0 moved, 0 followed" in second.stdout
    bad = subprocess.run(
        [*command, "--as-of", "2024-13-01"], env=env, capture_output=True, text=True
    )
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "--as-of" in bad.stderr
