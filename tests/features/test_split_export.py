"""A split raw export: the province generator's pieces, read as one table per folder, every
problem naming its piece."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from features.contract import TABLE_NAMES
from features.ingest.fingerprint import folder_hash
from features.report import print_report
from features.synthetic.province import generate_province
from features.validate import validate_folder


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("split") / "raw"
    generate_province(out, counties=2, students=150, years=1, seed=11)
    return out


def _copy(source: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(source, target)
    return target


def test_a_province_is_one_piece_per_county_and_table(province: Path) -> None:
    for name in TABLE_NAMES:
        assert sorted(p.name for p in (province / name).iterdir()) == [
            "county001.parquet", "county002.parquet",
        ]  # fmt: skip
    assert (province / "export.json").is_file()
    report = validate_folder(province)
    assert report.clean and report.tables is not None
    tables = report.tables
    schools = tables.schools
    assert sorted(schools["county"].unique()) == ["白水县", "青山县"]
    # Two counties, each its own children and schools, some township names in both.
    towns = schools.groupby("county")["township"].apply(set)
    assert towns["白水县"] & towns["青山县"]
    assert tables.students["student_id"].is_unique
    assert not tables.households.duplicated(["household_id", "recorded_on"]).any()
    assert tables.schools["school_id"].is_unique
    per_county = tables.students["student_id"].str[:5].value_counts()
    assert per_county.to_dict() == {"C001-": 150, "C002-": 150}
    assert not schools.loc[schools["county"] == "白水县", "name"].str.contains("青山县").any()


def test_the_same_seed_gives_the_same_pieces(province: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_province(again, counties=2, students=150, years=1, seed=11)
    assert folder_hash(again) == folder_hash(province)


def test_problems_name_the_piece_and_its_row(province: Path, tmp_path: Path) -> None:
    raw = _copy(province, tmp_path / "raw")
    piece = raw / "attendance" / "county002.parquet"
    data = pq.read_table(piece)
    status = data.column("status").cast(pa.string()).to_pylist()
    status[4] = "xx"
    pq.write_table(data.set_column(2, "status", pa.array(status)), piece)
    report = validate_folder(raw, quarantine_dir=tmp_path / "q")
    (problem,) = [p for p in report.problems if p.rule == "bad_code"]
    assert problem.count == 1 and problem.file == raw / "attendance"
    assert problem.examples == [(6, "county002.parquet: status='xx'")]  # header row 1
    assert report.quarantine_path is not None
    lines = pd.read_csv(report.quarantine_path, dtype=str)
    assert lines[["file", "row"]].values.tolist() == [[str(piece), "6"]]
    shown = io.StringIO()
    print_report(report, Console(file=shown, width=200))
    assert "attendance/county002.parquet:6  status='xx'" in shown.getvalue()


@pytest.mark.parametrize(
    ("damage", "rule", "named"),
    [
        ("drop_column", "piece_columns", "county002.parquet"),
        ("csv_beside", "not_a_piece", "notes.csv"),
        ("cut_short", "unreadable_file", "county001.parquet"),
        ("also_a_file", "ambiguous_file", "grades"),
    ],
)
def test_a_bad_piece_is_named(
    province: Path, tmp_path: Path, damage: str, rule: str, named: str
) -> None:
    raw = _copy(province, tmp_path / "raw")
    grades = raw / "grades"
    if damage == "drop_column":
        piece = grades / "county002.parquet"
        pq.write_table(pq.read_table(piece).drop_columns(["score"]), piece)
    elif damage == "csv_beside":
        (grades / "notes.csv").write_text("a,b\n")
    elif damage == "cut_short":
        piece = grades / "county001.parquet"
        piece.write_bytes(piece.read_bytes()[:-10])
    else:
        pq.write_table(pq.read_table(grades / "county001.parquet"), raw / "grades.parquet")
    report = validate_folder(raw)
    assert not report.usable
    (problem,) = [p for p in report.problems if p.fatal]
    assert problem.rule == rule and problem.table == "grades"
    assert problem.file is not None and named in str(problem.file)


def test_a_changed_piece_changes_the_hash(province: Path, tmp_path: Path) -> None:
    raw = _copy(province, tmp_path / "raw")
    before = folder_hash(raw)
    piece = raw / "dropouts" / "county001.parquet"
    data = pq.read_table(piece)
    pq.write_table(data.slice(0, max(data.num_rows - 1, 0)), piece)
    assert folder_hash(raw) != before


def test_generate_counties_on_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "province"
    command = [sys.executable, "-m", "dropout_risk.cli", "generate", str(out),
               "--counties", "2", "--students", "60", "--years", "1"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "province of 2 counties, 120 students" in " ".join(done.stdout.split())
    assert len(list((out / "attendance").glob("*.parquet"))) == 2
    refused = subprocess.run([*command, "--visit-effect", "0.2"], capture_output=True, text=True)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
