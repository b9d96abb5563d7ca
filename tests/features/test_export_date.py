"""The export date, and never losing a valid record: the smallest unit is set aside.

The clean county's last attendance day is 2024-01-12 (the winter holiday starts after it);
these tests add what a real county exports in the holiday: household updates, returns,
an export.json, and cells that are doubtful while their rows are not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dropout_risk.cli import app
from dropout_risk.settings import get_settings
from features.build import build_features
from features.indicators.population import roster
from features.validate import validate_folder
from tests.features.county_files import HEADERS, clean_rows, write_county

LAST_ATTENDANCE = pd.Timestamp("2024-01-12")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DROPOUT_RISK_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def _cell(rows: dict, table: str, index: int, column: str, value: str) -> None:
    rows[table][index][HEADERS[table].index(column)] = value


def _holiday_county(folder: Path, export_date: str | None = "2024-03-01") -> Path:
    """The clean county plus records dated in the winter holiday, after the last school day."""
    rows = clean_rows()
    rows["households"].append(["H2", "2024-02-20", "true", "false", "true", "true", "grandparents"])
    rows["dropouts"].append(["007", "2023-12-01", "other", "2024-02-25"])  # back in the holiday
    write_county(folder, rows)
    if export_date is not None:
        (folder / "export.json").write_text(json.dumps({"export_date": export_date}))
    return folder


def test_holiday_records_are_valid_and_the_export_date_comes_from_export_json(
    tmp_path: Path, home: Path
) -> None:
    report = validate_folder(_holiday_county(tmp_path / "county"), home / "quarantine")
    assert report.clean, [(p.table, p.rule, p.message) for p in report.problems]
    assert report.export.date == pd.Timestamp("2024-03-01")
    assert report.export.source == "export.json"
    tables = report.tables
    assert tables.export_date() == report.export
    assert pd.Timestamp("2024-02-20") in set(tables.households["recorded_on"])
    assert pd.Timestamp("2024-02-25") in set(tables.dropouts["returned_on"])


def test_without_export_json_the_export_date_is_the_latest_date_in_any_table(
    tmp_path: Path, home: Path
) -> None:
    report = validate_folder(_holiday_county(tmp_path / "county", None), home / "quarantine")
    assert report.clean
    assert report.export.date == pd.Timestamp("2024-02-25")
    assert report.export.source == "latest date in dropouts.returned_on"
    assert report.tables.export_date().date == pd.Timestamp("2024-02-25")


def test_a_snapshot_may_be_taken_the_day_after_the_export_date_in_a_holiday(
    tmp_path: Path, home: Path
) -> None:
    tables = validate_folder(_holiday_county(tmp_path / "county")).tables
    spring = build_features(tables, "2024-03-02").set_index("student_id")
    # 007 left on 2023-12-01 and came back during the holiday: in school again.
    assert "007" in spring.index
    # The household update of 2024-02-20 (parents gone again) is known on the first day.
    assert spring.loc["S006", "guardian"] == "grandparents"
    with pytest.raises(Exception, match="2024-03-02"):
        build_features(tables, "2024-03-03")


def test_a_returned_on_after_the_export_date_is_blanked_and_the_row_kept(
    tmp_path: Path, home: Path
) -> None:
    folder = _holiday_county(tmp_path / "county", export_date="2024-02-10")
    report = validate_folder(folder, home / "quarantine")
    assert report.usable
    dropouts = report.tables.dropouts.set_index("student_id")
    # 007's return on 2024-02-25 is after the export: the row and its left_on stay.
    assert dropouts.loc["007", "left_on"] == pd.Timestamp("2023-12-01")
    assert pd.isna(dropouts.loc["007", "returned_on"])
    problem = next(
        p for p in report.problems if p.rule == "date_after_export" and p.table == "dropouts"
    )
    assert problem.blanked and not problem.set_aside and problem.column == "returned_on"
    assert report.rows_blanked["dropouts"] == 1 and report.rows_in["dropouts"] == 3
    # The child counts as still out on the day after the export.
    at = roster(report.tables, pd.Timestamp("2024-02-11")).set_index("student_id")
    assert not at.loc["007", "in_population"]
    # The household record of 2024-02-20 is after this export date: that row is set aside.
    assert report.rows_kept["households"] == len(clean_rows()["households"])
    quarantine = pd.read_csv(report.quarantine_path, dtype=str, encoding="utf-8-sig")
    blanked = quarantine[quarantine["decision"] == "blanked"].iloc[0]
    assert (blanked["table"], blanked["column"], blanked["value"]) == (
        "dropouts",
        "returned_on",
        "2024-02-25",
    )
    assert "export date 2024-02-10" in blanked["reason"]


def test_an_impossible_distance_is_blanked_and_the_enrollment_kept(
    tmp_path: Path, home: Path
) -> None:
    rows = clean_rows()
    _cell(rows, "enrollments", 0, "distance_km", "3500")
    _cell(rows, "enrollments", 2, "distance_km", "far")
    report = validate_folder(write_county(tmp_path / "county", rows), home / "quarantine")
    assert report.set_aside == 0
    assert report.rows_kept["enrollments"] == len(rows["enrollments"])
    assert report.rows_blanked == {**dict.fromkeys(report.rows_in, 0), "enrollments": 2}
    enrollments = report.tables.enrollments
    assert enrollments["distance_km"].isna().sum() == 3  # the two blanked and one left empty


def test_quarantine_and_summary_agree_row_for_row(tmp_path: Path, home: Path) -> None:
    rows = clean_rows()
    _cell(rows, "enrollments", 0, "distance_km", "-4")  # blanked
    _cell(rows, "enrollments", 1, "grade", "12")  # set aside: required
    _cell(rows, "dropouts", 1, "returned_on", "2023-01-01")  # blanked: before left_on
    _cell(rows, "dropouts", 0, "returned_on", "soon")  # blanked: not a date
    _cell(rows, "attendance", 3, "status", "fishing")  # set aside
    _cell(rows, "students", 5, "gender", "X")  # set aside, with S006's rows after it
    rows["grades"].append(["S003", "2023", "1", "art", "50", "2099-01-01"])  # set aside
    report = validate_folder(write_county(tmp_path / "county", rows), home / "quarantine")
    quarantine = pd.read_csv(report.quarantine_path, dtype=str, encoding="utf-8-sig")
    aside = quarantine[quarantine["decision"] == "set aside"]
    blanked = quarantine[quarantine["decision"] == "blanked"]
    assert len(aside) + len(blanked) == len(quarantine)
    # One line per set-aside row; blanked lines never name a set-aside row.
    assert not aside.duplicated(["table", "row"]).any()
    assert len(aside) == report.set_aside
    assert blanked.groupby("table")["row"].nunique().to_dict() == {
        t: n for t, n in report.rows_blanked.items() if n
    }
    assert len(blanked) == report.cells_blanked
    assert set(map(tuple, aside[["table", "row"]].values)).isdisjoint(
        map(tuple, blanked[["table", "row"]].values)
    )
    for table, n_in in report.rows_in.items():
        assert report.rows_kept[table] + int((aside["table"] == table).sum()) == n_in
        assert len(getattr(report.tables, table)) == report.rows_kept[table]
    assert (report.set_aside, report.blanked) == (len(aside), 3)
    # The JSON report says the same.
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "county"), "--format", "json"])
    assert result.exit_code == 0, result.output
    machine = json.loads(result.stdout)
    assert sum(machine["rows_set_aside"].values()) == len(aside)
    assert sum(machine["rows_kept_with_blanked_cell"].values()) == 3
    assert machine["export_date"] == "2024-01-12"


@pytest.mark.parametrize(
    "content",
    [
        '{"export_date": "2024-13-01"}',
        "not json",
        '{"date": "2024-03-01"}',
        '{"export_date": "2999-01-01"}',
    ],
)
def test_a_bad_export_json_is_fatal_and_named(tmp_path: Path, home: Path, content: str) -> None:
    folder = write_county(tmp_path / "county")
    (folder / "export.json").write_text(content)
    report = validate_folder(folder)
    assert not report.usable
    problem = next(p for p in report.problems if p.fatal)
    assert problem.rule == "bad_export_file" and problem.file == folder / "export.json"
    result = CliRunner().invoke(app, ["validate", str(folder)], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "export.json" in result.output and "Traceback" not in result.output
