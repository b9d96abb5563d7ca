"""What the client of the Dask dataset engine holds and plans: the tasks.

The client reads no per-student table whole. It holds the dropouts (a few per cent of the
students: for who is in the population, the labels and the siblings who left) with the
households of those who left, the schools, and every enrollment's school year. The roster
(the snapshot year's enrollments) is built by the workers, a partition each; the partitions
where a task's students were enrolled in other years (to send each task the partitions its
students' records live in) are joined on the cluster. The client holds, per partition, its
files, its number of students and the future of its roster.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.dataset as ds

from features.contract import CONTRACT, Tables, school_year_of
from features.export import ExportDate
from features.indicators.compute import window
from features.indicators.population import roster_of
from features.ingest.store import conform, partition_keys, read_table

# Between county and group in a partition's name: a character no county name holds (numpy
# and pandas text drop NUL).
SEP = "\x1f"


@dataclass(frozen=True)
class Task:
    """What one worker needs: its files (absolute paths) per table and the date (its roster
    is a future, built on a worker by `read_partition`)."""

    folders: dict[str, list[str]]
    as_of: pd.Timestamp


@dataclass(frozen=True)
class Shared:
    """Sent once to every worker: who left and when, and the household of each who left
    (siblings attend schools in other partitions)."""

    dropouts: pd.DataFrame  # student_id, left_on, returned_on
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
    return Shared(dropouts[["student_id", "left_on", "returned_on"]].reset_index(drop=True), homes)


def read_partition(
    files: list[str], name: str, as_of: pd.Timestamp, common: Shared
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """On a worker: the roster of one partition's schools (`roster_of`, exact because ingest
    keeps one enrollment per (student_id, school_year) and a partition holds whole schools),
    and its links: each of its students once per kind ("now": enrolled here in the
    snapshot's year, or in another year), named by the partition."""
    year = school_year_of(as_of)
    rows = conform("enrollments", ds.dataset(files, format="parquet").to_table())
    now = (rows["school_year"] == year).to_numpy(dtype=bool)
    links = pd.DataFrame({"student_id": rows["student_id"].astype(str).to_numpy(), "now": now})
    links = links.drop_duplicates(ignore_index=True).assign(part=name)
    return roster_of(rows.loc[now], common.dropouts, as_of), links


LINKS_META = pd.DataFrame(
    {"student_id": pd.Series(dtype=str), "now": pd.Series(dtype=bool),
     "part": pd.Series(dtype=str)}
)  # fmt: skip


def _histories(links: list[Any]) -> pd.DataFrame:
    """task, part: the partitions where a task's students were enrolled in other years,
    joined on the cluster (the client gets the few pairs, not the students)."""
    from dask import dataframe as dd

    every = dd.from_delayed(links, meta=LINKS_META, verify_meta=False)
    now = every[every["now"]][["student_id", "part"]].rename(columns={"part": "task"})
    other = every[~every["now"]][["student_id", "part"]]
    return now.merge(other, on="student_id")[["task", "part"]].drop_duplicates().compute()


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
    client: Any, folder: Path, manifest: dict[str, Any], common: Any, as_of: pd.Timestamp
) -> list[tuple[Task, Any]]:
    """One task per partition with students in the snapshot's year, with the folders its
    students need (its own, and those of the schools its students attended in other years,
    where their earlier grades and enrollments, or their student row, live) and the future
    of its roster, built and kept on a worker. `common` is the scattered `Shared`."""
    root = folder / "tables"
    year = school_year_of(as_of)
    _, _, start = window(as_of)
    years = {str(y) for y in range(school_year_of(start), year + 1)}
    dirs = {name: entry["files"] for name, entry in manifest["tables"].items()}
    own: dict[str, list[str]] = {}
    for d in dirs["enrollments"]:
        keys = partition_keys(str(Path(d).parent))
        name = keys["p_county"] + SEP + keys["p_group"]
        own.setdefault(name, []).append(str(root / "enrollments" / d))
    names = sorted(own)
    read = [client.submit(read_partition, own[n], n, as_of, common, pure=False) for n in names]
    rosters = [client.submit(operator.itemgetter(0), r, pure=False) for r in read]
    links = [client.submit(operator.itemgetter(1), r, pure=False) for r in read]
    sizes = client.gather(client.map(len, rosters, pure=False))
    histories = _histories(links).groupby("task")["part"].unique()
    del read, links
    households = [str(root / "households" / d) for d in dirs["households"]]
    tasks = []
    for part, roster, size in zip(names, rosters, sizes, strict=True):
        if not size:
            continue
        history = {part, *histories.get(part, [])}
        folders = {
            "attendance": _folders(root, "attendance", dirs["attendance"], history,
                                   lambda y: y in years),
            "grades": _folders(root, "grades", dirs["grades"], history,
                               lambda y: y != "" and int(y) <= year),
            "enrollments": _folders(root, "enrollments", dirs["enrollments"], history,
                                    lambda _y: True),
            "students": _folders(root, "students", dirs["students"], history, lambda _y: True),
            "schools": _folders(root, "schools", dirs["schools"], {part}, lambda _y: True),
            # A household sits with its first student, who may be a sibling elsewhere.
            "households": households,
        }  # fmt: skip
        tasks.append((Task(folders, as_of), roster))
    return tasks
