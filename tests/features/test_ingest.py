"""Ingest: a partitioned dataset written once, read back as the validated tables, redone only
when the raw files change; indicators from it equal those from the raw folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest

from features.build import build_features
from features.ingest.run import ingest_folder, load_ingested, read_tables
from features.ingest.store import read_table
from features.validate import validate_folder
from tests.features.multi_county import two_counties

GROUP = 120  # students per partition: several partitions per county, split mid-county


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_counties(tmp_path_factory.mktemp("province") / "raw")


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*.parquet")}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)[:4], kind="stable").reset_index(drop=True)


def test_ingested_tables_and_indicators_equal_the_raw_folders(province: Path, tmp_path: Path):
    ingested = ingest_folder(province, tmp_path / "home", group_students=GROUP)
    assert ingested.ingested_now and ingested.folder is not None
    assert ingested.manifest["partitions"] > 4  # two counties, each cut between its schools
    raw = validate_folder(province).tables
    assert raw is not None
    read = read_tables(ingested.folder, ingested.manifest)
    assert read.exported_on == raw.exported_on
    for (name, a), (_, b) in zip(raw.items(), read.items(), strict=True):
        assert list(a.dtypes) == list(b.dtypes), name
        pd.testing.assert_frame_equal(_sorted(a), _sorted(b), obj=name)
    for as_of in ("2022-11-15", "2024-05-20"):
        expected = build_features(raw, as_of, chunk_students=150)
        pd.testing.assert_frame_equal(expected, build_features(read, as_of, chunk_students=150))
        # A snapshot's read: attendance of its window only, the same indicators.
        window = read_tables(ingested.folder, ingested.manifest, pd.Timestamp(as_of))
        assert 0 < len(window.attendance) < len(raw.attendance) / 2
        assert window.attendance["date"].max() < pd.Timestamp(as_of)
        pd.testing.assert_frame_equal(expected, build_features(window, as_of, chunk_students=150))


def test_a_partition_holds_whole_schools(province: Path, tmp_path: Path) -> None:
    ingested = ingest_folder(province, tmp_path / "home", group_students=GROUP)
    assert ingested.folder is not None
    tables = ingested.folder / "tables"
    enr = ds.dataset(tables / "enrollments", partitioning="hive").to_table().to_pandas()
    assert (enr.groupby("school_id")["p_group"].nunique() == 1).all()
    assert (enr.groupby("school_id")["p_county"].nunique() == 1).all()
    att = ds.dataset(tables / "attendance", partitioning="hive").to_table().to_pandas()
    # Each (student, school year) sits in one partition: the one of that year's school.
    placed = att.drop_duplicates(["student_id", "p_year", "p_county", "p_group"])
    assert not placed.duplicated(["student_id", "p_year"]).any()
    school = enr.set_index(["student_id", "school_year"])[["p_county", "p_group"]]
    mine = placed.join(school, on=["student_id", "p_year"], rsuffix="_school", how="inner")
    assert len(mine) == len(placed)
    assert (mine["p_group"] == mine["p_group_school"]).all()
    assert (mine["p_county"].astype(str) == mine["p_county_school"].astype(str)).all()
    # Both counties have a 城关镇: partitions follow the county, not the township name.
    assert set(att["p_county"].astype(str)) == {"青山县", "白水县"}


def test_unchanged_folder_is_not_ingested_again_a_changed_file_is(tmp_path: Path) -> None:
    raw = two_counties(tmp_path / "raw", students=(200, 150), seeds=(2, 3))
    home = tmp_path / "home"
    first = ingest_folder(raw, home)
    assert first.folder is not None and first.reason == "new"
    files = _files(first.folder)
    (raw / "README.txt").write_text("not a table")  # not read by the validator: no new ingest
    again = ingest_folder(raw, home)
    assert (again.ingested_now, again.reason) == (False, "up to date")
    assert _files(first.folder) == files  # nothing rewritten
    assert again.tables is None  # nothing validated: read from the dataset
    touched = raw / "grades.csv"  # rewritten with the same bytes: hashed again, not ingested
    touched.write_bytes(touched.read_bytes())
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    assert ingest_folder(raw, home).reason == "up to date"
    assert _files(first.folder) == files
    pd.testing.assert_frame_equal(
        _sorted(load_ingested(again).attendance), _sorted(first.tables.attendance)
    )

    lines = (raw / "attendance.csv").read_text().splitlines()
    student, day, status = lines[1].split(",")
    other = "absent_unexcused" if status != "absent_unexcused" else "present"
    lines[1] = f"{student},{day},{other}"
    (raw / "attendance.csv").write_text("\n".join(lines) + "\n")
    changed = ingest_folder(raw, home)
    assert (changed.ingested_now, changed.reason) == (True, "changed")
    attendance = read_tables(changed.folder, changed.manifest).attendance
    row = attendance.loc[
        (attendance["student_id"] == student) & (attendance["date"] == pd.Timestamp(day))
    ]
    assert row["status"].astype(str).tolist() == [other]
    assert ingest_folder(raw, home).reason == "up to date"


def test_an_unusable_folder_writes_no_dataset(tmp_path: Path) -> None:
    raw = two_counties(tmp_path / "raw", students=(120, 100), seeds=(4, 5))
    (raw / "schools.csv").write_text("school_id,name\n")
    ingested = ingest_folder(raw, tmp_path / "home")
    assert ingested.folder is None and not ingested.report.usable
    assert not (tmp_path / "home" / "ingested").exists()


def test_a_table_beyond_the_seven_is_placed_by_its_columns(province: Path, tmp_path: Path):
    """Tables added to the contract later (visits, residents) need no list to be updated."""
    from features.ingest.placement import place
    from features.ingest.store import write_table

    tables = validate_folder(province).tables
    assert tables is not None
    rng = np.random.default_rng(0)
    ids = tables.students["student_id"].to_numpy()[rng.integers(0, len(tables.students), 50)]
    visits = pd.DataFrame(
        {"student_id": pd.array(ids, dtype="string[pyarrow]"), "note": np.arange(50)}
    )
    placement = place(tables, GROUP)
    entry = write_table("visits", visits, placement, tmp_path)
    assert entry["rows"] == 50 and entry["partitions"] > 1
    back = read_table(tmp_path, "visits", entry)
    pd.testing.assert_frame_equal(_sorted(back), _sorted(visits))


def test_an_empty_table_round_trips(county_dir: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(county_dir, raw)
    header = (raw / "dropouts.csv").read_text().splitlines()[0]
    (raw / "dropouts.csv").write_text(header + "\n")
    ingested = ingest_folder(raw, tmp_path / "home")
    assert ingested.folder is not None
    dropouts = read_tables(ingested.folder, ingested.manifest).dropouts
    assert len(dropouts) == 0
    assert list(dropouts.dtypes) == list(ingested.tables.dropouts.dtypes)


def test_commands_ingest_first_then_use_the_dataset(county_dir: Path, tmp_path: Path) -> None:
    """Through real CLI processes: the first command ingests, the next ones read the dataset."""
    import subprocess
    import sys

    env = {**os.environ, "DROPOUT_RISK_HOME": str(tmp_path / "home")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "dropout_risk.cli", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    first = run(
        "features", str(county_dir), "--as-of", "2023-03-01", "--out", str(tmp_path / "a.parquet")
    )
    assert first.returncode == 0, first.stderr
    assert "was not ingested yet: validating and ingesting it now" in first.stderr
    second = run(
        "features", str(county_dir), "--as-of", "2023-03-01", "--out", str(tmp_path / "b.parquet")
    )
    assert second.returncode == 0, second.stderr
    assert "Using the ingested dataset" in second.stderr
    assert "rows read from" in second.stderr  # the stored report is shown again
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
    )
    again = run("ingest", str(county_dir))
    assert again.returncode == 0 and "Up to date, nothing done" in again.stdout, again.stderr


def test_a_damaged_dataset_is_ingested_again(county_dir: Path, tmp_path: Path) -> None:
    """A file of the dataset deleted under the home: a warning and a new ingest, no traceback."""
    from typer.testing import CliRunner

    from dropout_risk.cli import app
    from dropout_risk.settings import get_settings

    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(county_dir)]).exit_code == 0
    dataset = next((get_settings().home / "ingested").iterdir())
    next((dataset / "tables" / "attendance").rglob("*.parquet")).unlink()
    out = tmp_path / "f.parquet"
    result = runner.invoke(
        app, ["features", str(county_dir), "--as-of", "2023-03-01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "the ingested dataset is damaged" in result.output
    assert "Traceback" not in result.output
    expected = build_features(validate_folder(county_dir).tables, "2023-03-01")
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_dtype=False)
