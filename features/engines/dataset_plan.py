"""What the client of the Dask dataset engine holds and plans: the roster and the tasks.

The client reads no per-student table whole. It holds the snapshot year's enrollments
(the roster), the dropouts (a few per cent of the students: for who is in the population,
the labels and the siblings who left) with the households of those who left, the schools,
and the partition of every earlier or later enrollment of a roster student (to send each
task the partitions its students' records live in). Everything else is read by the workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from features.contract import CONTRACT, Tables, school_year_of
from features.export import ExportDate
from features.indicators.compute import window
from features.indicators.keys import positions
from features.indicators.population import roster as build_roster
from features.ingest.store import conform, dataset, partition_keys, read_table

PART = ("p_county", "p_group")
# Between county and group in a partition's name: a character no county name holds (numpy
# and pandas text drop NUL).
SEP = "\x1f"


@dataclass(frozen=True)
class Task:
    """What one worker needs: its files (absolute paths) per table, the date, and its roster."""

    folders: dict[str, list[str]]
    roster: pd.DataFrame
    as_of: pd.Timestamp


@dataclass(frozen=True)
class Shared:
    """Sent once to every worker: who left and when, and the household of each who left
    (siblings attend schools in other partitions)."""

    dropouts: pd.DataFrame  # student_id, left_on
    homes: pd.DataFrame  # student_id, household_id of every student in `dropouts`


@dataclass(frozen=True)
class ClientTables(Tables):
    """The tables the client holds: schools and dropouts whole, enrollments' school years
    only, the rest empty; the export date is the one the ingest recorded."""

    export: ExportDate | None = field(default=None, kw_only=True)

    def export_date(self) -> ExportDate:
        assert self.export is not None
        return self.export


def empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in CONTRACT[name].columns})  # type: ignore[call-overload]


def client_tables(folder: Path, manifest: dict[str, Any]) -> ClientTables:
    """Schools, dropouts, and every enrollment's school year; no attendance, grades,
    students or households."""
    entries = manifest["tables"]
    frames = {name: empty(name) for name in entries if name in CONTRACT}
    frames["schools"] = read_table(folder / "tables", "schools", entries["schools"])
    frames["dropouts"] = read_table(folder / "tables", "dropouts", entries["dropouts"])
    frames["enrollments"] = read_table(
        folder / "tables", "enrollments", entries["enrollments"], columns=["school_year"]
    )
    exported_on = manifest.get("exported_on")
    source = manifest.get("export_source", "the ingested dataset")
    return ClientTables(
        **frames,
        exported_on=None if exported_on is None else pd.Timestamp(exported_on),
        export=ExportDate(pd.Timestamp(manifest["export_date"]), source),
    )


def shared(folder: Path, manifest: dict[str, Any], dropouts: pd.DataFrame) -> Shared:
    """The dropouts and the households of those who left, read by student_id."""
    ids = dropouts["student_id"].unique().to_numpy(dtype=object)
    homes = read_table(
        folder / "tables",
        "students",
        manifest["tables"]["students"],
        columns=["student_id", "household_id"],
        where=ds.field("student_id").isin(ids),
    )
    return Shared(dropouts[["student_id", "left_on"]].reset_index(drop=True), homes)


def client_roster(
    folder: Path, manifest: dict[str, Any], tables: Tables, as_of: pd.Timestamp
) -> pd.DataFrame:
    """The roster (`features.indicators.population.roster`) with each row's partition."""
    year = school_year_of(as_of)
    data = dataset(folder / "tables", "enrollments", manifest["tables"]["enrollments"])
    rows = data.to_table(filter=ds.field("school_year") == year)
    # The partition of each school (a few hundred rows), not of each student.
    places = rows.select(["school_id", *PART]).group_by(["school_id", *PART]).aggregate([])
    part_of = pd.Series(_part_names(places), index=places.column("school_id").to_pylist())
    enrollments = conform("enrollments", rows.drop_columns(list(PART)))
    del rows
    roster = build_roster(replace(tables, enrollments=enrollments), as_of)
    part = roster["school_id"].map(part_of[~part_of.index.duplicated()]).astype("category")
    return roster.assign(part=part.to_numpy())


def _part_names(rows: Any) -> np.ndarray:
    """The name of each row's partition: county SEP group."""
    county = pd.Series(rows.column("p_county").to_numpy(zero_copy_only=False), dtype=object)
    group = pd.Series(rows.column("p_group").to_numpy(zero_copy_only=False)).astype(str)
    return (county + SEP + group).to_numpy(dtype=object)


def _folders(
    root: Path, name: str, files: list[str], parts: set[str], year_ok: Callable[[str], bool]
) -> list[str]:
    """Files of table `name` whose partition (county, group) is in `parts` and year passes."""
    out = []
    for d in files:
        keys = partition_keys(str(Path(d).parent))
        if keys["p_county"] + SEP + keys["p_group"] in parts and year_ok(keys.get("p_year", "")):
            out.append(str(root / name / d))
    return out


def plan_tasks(
    folder: Path, manifest: dict[str, Any], roster: pd.DataFrame, as_of: pd.Timestamp
) -> list[Task]:
    """One task per partition of the snapshot's year, with the folders its students need:
    its own, and those of the schools its students attended in other years (where their
    earlier grades and enrollments, or their student row, live)."""
    root = folder / "tables"
    year = school_year_of(as_of)
    _, _, start = window(as_of)
    years = {str(y) for y in range(school_year_of(start), year + 1)}
    enr = dataset(root, "enrollments", manifest["tables"]["enrollments"])
    other = enr.to_table(columns=["student_id", *PART], filter=ds.field("school_year") != year)
    tasks_of, task_names = pd.factorize(roster["part"])
    at = positions(other.column("student_id"), roster["student_id"])
    # (task, partition) pairs, made unique in Arrow: no Python string per enrollment.
    moved = other.select(list(PART)).filter(pa.array(at >= 0))
    moved = moved.append_column("task", pa.array(tasks_of[at[at >= 0]]))
    moved = moved.group_by(["task", *PART]).aggregate([])
    histories = (
        pd.DataFrame({"task": moved.column("task").to_numpy(), "part": _part_names(moved)})
        .assign(task=lambda f: np.asarray(task_names, dtype=object)[f["task"].to_numpy()])
        .groupby("task")["part"]
        .unique()
    )
    dirs = {name: entry["files"] for name, entry in manifest["tables"].items()}
    households = [str(root / "households" / d) for d in dirs["households"]]
    tasks = []
    for part, rows in roster.groupby("part", sort=True):
        history = {str(part), *histories.get(part, [])}
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
