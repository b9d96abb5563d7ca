"""The Dask engine over an ingested dataset: workers read their own partitions.

The client holds what is about one row per student (schools, students, enrollments,
dropouts): enough for the roster, the tasks and `sibling_left`. Each task is a partition
of whole schools for the snapshot's school year; it receives the folders of the partitions
its students' records live in (its own, and those of schools they attended in other
years), the snapshot date and its roster, reads only the rows and columns it needs, runs
`compute_part` as the local engine does, and returns indicators. Attendance and grades are
never read by the client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from features.contract import CONTRACT, Tables, school_year_of
from features.indicators.attendance import encode_attendance
from features.indicators.compute import SchoolPart, compute_part, window
from features.indicators.household import left_before, sibling_left
from features.indicators.population import roster as build_roster
from features.ingest.store import conform, partition_keys

Progress = Callable[[int, int], None]
CLIENT_TABLES = ("schools", "students", "enrollments", "dropouts")


@dataclass(frozen=True)
class Task:
    """What one worker needs: its files (absolute paths) per table, the date, and its roster."""

    folders: dict[str, list[str]]
    roster: pd.DataFrame
    as_of: pd.Timestamp


def _read(
    name: str, folders: list[str], where: ds.Expression, columns: list[str] | None = None
) -> pd.DataFrame:
    files = folders
    if not files:
        return _empty(name)
    data = ds.dataset(files, format="parquet")
    return conform(name, data.to_table(columns=columns, filter=where))


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in CONTRACT[name].columns})  # type: ignore[call-overload]


def compute_task(task: Task) -> pd.DataFrame:
    """On a worker: read this task's rows, then the indicators of its population."""
    roster, as_of = task.roster, task.as_of
    _, _, start = window(as_of)
    ids = roster["student_id"].to_numpy(dtype=object)
    mine = ds.field("student_id").isin(ids)
    attendance = _read(
        "attendance",
        task.folders["attendance"],
        mine
        & (ds.field("date") >= start.to_datetime64())
        & (ds.field("date") < as_of.to_datetime64()),
        ["student_id", "date", "status"],
    )
    students = _read("students", task.folders["students"], mine)
    homes = students["household_id"].dropna().unique().to_numpy(dtype=object)
    households = _read(
        "households", task.folders["households"], ds.field("household_id").isin(homes)
    )
    schools = _read("schools", task.folders["schools"], ds.field("school_id").isin(
        roster["school_id"].unique().to_numpy(dtype=object)))  # fmt: skip
    part = SchoolPart(
        roster=roster,
        schools=schools,
        students=students,
        enrollments=_read("enrollments", task.folders["enrollments"], mine),
        households=households,
        grades=_read("grades", task.folders["grades"], mine),
        attendance=encode_attendance(attendance, roster["student_id"], start, as_of),
    )
    return compute_part(part, as_of)


def client_tables(folder: Path, manifest: dict[str, Any]) -> Tables:
    """The per-student tables the client holds; attendance, grades, households left empty."""
    from features.ingest.store import read_table

    frames = {
        name: read_table(folder / "tables", name, entry) if name in CLIENT_TABLES else _empty(name)
        for name, entry in manifest["tables"].items()
        if name in CONTRACT
    }
    return Tables(**frames, exported_on=pd.Timestamp(manifest["exported_on"]))


def _folders(
    root: Path, name: str, files: list[str], parts: set[str], year_ok: Callable[[str], bool]
) -> list[str]:
    """Files of table `name` whose partition (county, group) is in `parts` and year passes."""
    out = []
    for d in files:
        keys = partition_keys(str(Path(d).parent))
        if keys["p_county"] + "\0" + keys["p_group"] in parts and year_ok(keys.get("p_year", "")):
            out.append(str(root / name / d))
    return out


def plan_tasks(
    folder: Path, manifest: dict[str, Any], roster: pd.DataFrame, as_of: pd.Timestamp
) -> list[Task]:
    """One task per partition of the snapshot's year, with the folders its students need."""
    root = folder / "tables"
    enr = ds.dataset(root / "enrollments", format="parquet", partitioning="hive")
    placed = enr.to_table(columns=["student_id", "school_id", "school_year", "p_county", "p_group"])
    placed = placed.to_pandas()
    placed["student_id"] = placed["student_id"].astype(str)
    placed["part"] = placed["p_county"].astype(str) + "\0" + placed["p_group"].astype(str)
    year = school_year_of(as_of)
    _, _, start = window(as_of)
    years = {str(y) for y in range(school_year_of(start), year + 1)}
    current = placed.loc[placed["school_year"] == year].drop_duplicates("school_id")
    task_of_school = current.set_index("school_id")["part"]
    roster = roster.assign(part=roster["school_id"].astype(str).map(task_of_school).to_numpy())
    dirs = {name: entry["files"] for name, entry in manifest["tables"].items()}
    households = [str(root / "households" / d) for d in dirs["households"]]
    # Each task's own partition and those of the schools its students attended in other years.
    task_of_student = pd.Series(roster["part"].to_numpy(), index=roster["student_id"].astype(str))
    placed["task"] = placed["student_id"].map(task_of_student)
    histories = placed.dropna(subset=["task"]).groupby("task")["part"].unique()
    tasks = []
    for part, rows in roster.groupby("part", sort=True):
        history = set(histories.get(part, [part]))
        folders = {
            "attendance": _folders(root, "attendance", dirs["attendance"], history,
                                   lambda y: y in years),
            "grades": _folders(root, "grades", dirs["grades"], history,
                               lambda y: y != "" and int(y) <= year),
            "enrollments": _folders(root, "enrollments", dirs["enrollments"], history,
                                    lambda _y: True),
            "students": _folders(root, "students", dirs["students"], history, lambda _y: True),
            "schools": _folders(root, "schools", dirs["schools"], {str(part)}, lambda _y: True),
            # A household sits with its first student, who may be a sibling elsewhere.
            "households": households,
        }  # fmt: skip
        tasks.append(Task(folders, rows.drop(columns="part").reset_index(drop=True), as_of))
    return tasks


def run_dask_dataset(
    folder: Path,
    manifest: dict[str, Any],
    as_of: pd.Timestamp,
    *,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """`build_features` on a cluster from an ingested dataset: the same frame as the local
    engine gives on the same tables."""
    from distributed import as_completed

    from features.build import assemble, check_as_of
    from features.engines.dask import dask_client
    from features.ingest.run import DamagedDataset
    from features.io import clean_text

    tables = client_tables(folder, manifest)
    check_as_of(tables, as_of)
    roster = build_roster(tables, as_of)
    tasks = plan_tasks(folder, manifest, roster, as_of)
    with dask_client(scheduler) as client:
        futures = client.map(compute_task, tasks, pure=False)
        frames = []
        for done, future in enumerate(as_completed(futures), start=1):
            try:
                frames.append(future.result())
            except (OSError, ValueError, pa.ArrowException) as exc:  # files removed or damaged
                raise DamagedDataset(
                    f"{folder}: the ingested dataset is damaged ({clean_text(exc)}); "
                    "run `dropout-risk ingest --force` on the data folder"
                ) from exc
            if progress is not None:
                progress(done, len(tasks))
    assert frames, "check_as_of makes sure someone is enrolled in the snapshot's year"
    frame = pd.concat(frames, ignore_index=True)
    frame["sibling_left"] = sibling_left(
        tables.students, tables.dropouts, frame["student_id"], as_of
    )
    frame["left_before"] = left_before(tables.dropouts, frame["student_id"], as_of)
    return assemble(frame, tables, as_of)
