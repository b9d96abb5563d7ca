"""Calendar variants of the synthetic county: different winter breaks, an export in a holiday.

The standard county is pinned byte for byte: the options must not move it.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dropout_risk.cli import app
from dropout_risk.settings import get_settings
from features.build import build_features
from features.errors import UserError
from features.synthetic import generate_county
from features.validate import validate_folder
from tests.features.test_synthetic import read_tables

EXPORT = "2024-02-05"  # in every school's winter break; the spring term starts after it
# sha256 of the standard county (300 students, 1 year, seed 9, CSV) before the options, and
# still of the same county without its household register (`residents=False`).
# households.csv gained the contact columns (village, address, guardian_name,
# guardian_phone; issue 13); its first seven columns are byte for byte what they were.
STANDARD_SHA256 = {
    "attendance.csv": "c7b9d23c77670593fb44d153bb1a985642d8503a537e6c645364c2683967c01b",
    "dropouts.csv": "7adf628a80f522917b3de567c088336a2a9604a5625a6df636ab5d33a2bbd8e5",
    "enrollments.csv": "2c211538223a3415584af6bc9f55d1b1283f3a09bcd3824d1e221699f560e817",
    "grades.csv": "0ba785fca6b5cb753a319e85c629cc1fb9d380acd508df264d6cb571bca0172e",
    "households.csv": "efd4f51a15d9dfda62518a18d5a573cee55e7161714f781507c08b92786145fc",
    "schools.csv": "2b60fc191fa092e66d6b95927353d50161359ac69ddd0253e7859985997b900e",
    "students.csv": "e69eee3d060b9a3f19c94cd9dbb5765f4625a381a4079d11b34e47913c67d77e",
}
# Changed on purpose (issue 15): the default county now has a household register, so
# students.csv gains person_id and residents.csv and truth/residents.csv are new; every
# other file is the same as before.
WITH_REGISTER_SHA256 = {
    **STANDARD_SHA256,
    "students.csv": "2c3d5433f62615ebf67754e9a52839a377df4e630099792f2e9827cf1622e775",
    "residents.csv": "5cd711151063d617bd12057392a6748383eae47b7a3f523e0611f12e34c60751",
    "truth/residents.csv": "446e96cd7fbfbc815e31fee6d18f47b80cabf90f87b5af36f19f99c980addff0",
}


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


@cache
def varied_county(root: str) -> Path:
    folder = Path(root) / "varied"
    generate_county(folder, students=2500, years=2, seed=11, calendar="varied", export_date=EXPORT)
    return folder


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return varied_county(str(tmp_path_factory.mktemp("calendars")))


def test_the_standard_county_is_unchanged(tmp_path: Path) -> None:
    generate_county(tmp_path / "plain", students=300, years=1, seed=9, residents=False)
    assert digests(tmp_path / "plain") == STANDARD_SHA256
    generate_county(tmp_path / "register", students=300, years=1, seed=9)
    assert digests(tmp_path / "register") == WITH_REGISTER_SHA256


def test_the_export_holds_nothing_after_its_date(varied: Path) -> None:
    assert json.loads((varied / "export.json").read_text()) == {"export_date": EXPORT}
    tables = read_tables(varied)
    cut = pd.Timestamp(EXPORT)
    for name, column in [
        ("attendance", "date"),
        ("grades", "exam_date"),
        ("households", "recorded_on"),
        ("dropouts", "left_on"),
        ("dropouts", "returned_on"),
    ]:
        assert tables[name][column].max() <= cut, (name, column)
    assert tables["enrollments"]["school_year"].max() == 2023


def test_schools_of_one_county_keep_different_winter_breaks(varied: Path) -> None:
    t = read_tables(varied)
    year = t["enrollments"].loc[t["enrollments"]["school_year"] == 2023]
    att = t["attendance"].merge(year[["student_id", "school_id"]], on="student_id")
    last_before_break = att.loc[att["date"] < pd.Timestamp("2024-02-01")].groupby("school_id")
    assert last_before_break["date"].max().nunique() >= 3
    # No school has a school day in the days every break covers.
    assert not att["date"].between("2024-01-23", EXPORT).any()


def test_households_change_and_children_return_in_holidays(varied: Path) -> None:
    t = read_tables(varied)
    school_days = set(t["attendance"]["date"])
    recorded = t["households"]["recorded_on"]
    assert (~recorded.isin(school_days) & (recorded >= pd.Timestamp("2022-09-01"))).sum() > 10
    returned = t["dropouts"]["returned_on"].dropna()
    assert len(returned) >= 5
    assert (~returned.isin(school_days)).any()  # a weekend or a holiday


def test_the_varied_export_validates_and_snapshots_the_day_after(
    varied: Path, tmp_path: Path
) -> None:
    report = validate_folder(varied, tmp_path / "quarantine")
    # Clean but for the household register's deliberate id noise (see test_synthetic).
    rules = {p.rule for p in report.problems}
    assert rules <= {"bad_person_id", "person_id_disagrees"}, report.problems
    assert report.set_aside == 0
    assert report.export.date == pd.Timestamp(EXPORT) and report.export.source == "export.json"
    frame = build_features(report.tables, pd.Timestamp(EXPORT) + pd.Timedelta(days=1))
    assert len(frame) > 1000
    assert frame["absence_rate_30d"].notna().mean() > 0.95


def test_generate_command_takes_the_calendar_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DROPOUT_RISK_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    args = ["generate", str(tmp_path / "c"), "--students", "60", "--years", "1"]
    result = CliRunner().invoke(app, [*args, "--calendar", "varied", "--export-date", "2023-02-01"])
    assert result.exit_code == 0, result.output
    assert "varied winter breaks" in result.output and "exported on 2023-02-01" in result.output
    bad = CliRunner().invoke(app, [*args, "--export-date", "2030-01-01"])
    assert bad.exit_code == 1 and "--export-date must be between" in bad.output
    get_settings.cache_clear()


def test_bad_calendar_arguments_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="calendar"):
        generate_county(tmp_path, students=20, years=1, calendar="lunar")
    with pytest.raises(UserError, match="export-date"):
        generate_county(tmp_path, students=20, years=1, export_date="soon")
