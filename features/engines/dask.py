"""The Dask engine: the same indicator code on a cluster, partitions holding whole schools.

Each table is moved into partitions keyed by a part number given to every school, so a
partition holds all the records of its schools; `compute_part` then runs on each partition
exactly as the local engine runs it on a chunk. Siblings go to different schools, so
`sibling_left` is an explicit join over the whole county afterwards.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from features.contract import Tables
from features.indicators.attendance import encode_attendance
from features.indicators.compute import SchoolPart, compute_part, window
from features.indicators.keys import member

PART_STUDENTS = 25_000
Progress = Callable[[int, int], None]


@contextmanager
def dask_client(scheduler: str | None) -> Iterator[object]:
    """A distributed Client on `scheduler`, or on a local cluster of two worker processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def assign_parts(roster: pd.DataFrame, part_students: int = PART_STUDENTS) -> np.ndarray:
    """A part number per roster row: consecutive whole schools of about `part_students`."""
    if roster.empty:
        return np.zeros(0, dtype=np.int64)
    sizes = roster.groupby("school_id", sort=True).size()
    n_parts = max(1, min(len(sizes), max(2, math.ceil(len(roster) / part_students))))
    before = sizes.cumsum() - sizes  # students in earlier schools
    part_of_school = (before * n_parts // len(roster)).astype(np.int64)
    return roster["school_id"].map(part_of_school).to_numpy(np.int64)


def _by_part(frame: dd.DataFrame, n_parts: int) -> list[object]:
    """Delayed pandas frames, the i-th holding exactly the rows of part i."""
    divisions = (*range(n_parts), n_parts - 1)
    moved = frame.set_index("part", divisions=divisions, sort=True)
    parts = moved.to_delayed()
    assert len(parts) == n_parts
    return parts


def _compute(
    roster: pd.DataFrame,
    schools: pd.DataFrame,
    students: pd.DataFrame,
    enrollments: pd.DataFrame,
    households: pd.DataFrame,
    grades: pd.DataFrame,
    attendance: pd.DataFrame,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """One partition: encode its attendance against its own roster, then the shared code."""
    _, _, start = window(as_of)
    attendance = attendance.reset_index(drop=True)
    part = SchoolPart(
        roster=roster.reset_index(drop=True),
        schools=schools,
        students=students.reset_index(drop=True),
        enrollments=enrollments.reset_index(drop=True),
        households=households.reset_index(drop=True),
        grades=grades.reset_index(drop=True),
        attendance=encode_attendance(attendance, roster["student_id"], start, as_of),
    )
    return compute_part(part, as_of)


def _sibling_join(features: dd.DataFrame, tables: Tables, as_of: pd.Timestamp) -> dd.DataFrame:
    """sibling_left by joins: household of each student, leavers per household, self."""
    # One partition each: the right sides are broadcast to the feature partitions, no shuffle.
    homes = dd.from_pandas(tables.students[["student_id", "household_id"]], npartitions=1)
    left = tables.dropouts.loc[tables.dropouts["left_on"] < as_of, ["student_id"]]
    left = dd.from_pandas(left.drop_duplicates(), npartitions=1)
    leavers = homes.merge(left, on="student_id").groupby("household_id").size()
    leavers = leavers.rename("leavers").reset_index()
    joined = features.merge(homes, on="student_id", how="left")
    joined = joined.merge(leavers, on="household_id", how="left")
    joined = joined.merge(left.assign(self_left=1), on="student_id", how="left")
    joined["sibling_left"] = (joined["leavers"].fillna(0) - joined["self_left"].fillna(0)) > 0
    joined["left_before"] = joined["self_left"].fillna(0) > 0
    return joined.drop(columns=["household_id", "leavers", "self_left"])


def run_dask(
    tables: Tables,
    roster: pd.DataFrame,
    as_of: pd.Timestamp,
    *,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Per-school indicators on Dask, then sibling_left by join; a pandas frame back."""
    year, _, start = window(as_of)
    roster = roster.assign(part=assign_parts(roster))
    n_parts = int(roster["part"].max()) + 1 if len(roster) else 1
    who = roster[["student_id", "part"]]
    chunks = max(1, n_parts)

    def keyed(frame: pd.DataFrame, on: str, key: pd.DataFrame) -> list[object]:
        # The smaller tables start as one partition; set_index moves their rows to the parts.
        lazy = dd.from_pandas(frame, npartitions=1).merge(key, on=on, how="inner")
        return _by_part(lazy, n_parts)

    att = dd.from_pandas(tables.attendance[["student_id", "date", "status"]], npartitions=chunks)
    # Only the dates a snapshot reads travel to the workers.
    att = att[(att["date"] >= start) & (att["date"] < as_of)]
    att_parts = _by_part(att.merge(who, on="student_id", how="inner"), n_parts)
    grades = tables.grades.loc[tables.grades["exam_date"] < as_of]
    history = tables.enrollments.loc[tables.enrollments["school_year"] <= year]
    students = tables.students.loc[member(tables.students["student_id"], roster["student_id"])]
    home_part = students[["student_id", "household_id"]].merge(who, on="student_id")
    home_part = home_part[["household_id", "part"]].drop_duplicates()
    households = tables.households.loc[tables.households["recorded_on"] < as_of]

    grade_parts = keyed(grades, "student_id", who)
    history_parts = keyed(history, "student_id", who)
    student_parts = keyed(students, "student_id", who)
    household_parts = keyed(households, "household_id", home_part)

    tasks = []
    for i in range(n_parts):
        part_roster = roster.loc[roster["part"] == i].drop(columns="part")
        part_schools = tables.schools.loc[
            member(tables.schools["school_id"], part_roster["school_id"])
        ]
        tasks.append(
            dask.delayed(_compute)(
                part_roster.reset_index(drop=True),
                part_schools,
                student_parts[i],
                history_parts[i],
                household_parts[i],
                grade_parts[i],
                att_parts[i],
                as_of,
            )
        )

    # Task-based shuffles: the partitions are few and small next to P2P's start-up cost.
    with dask_client(scheduler) as client, dask.config.set({"dataframe.shuffle.method": "tasks"}):
        from distributed import as_completed

        futures = client.compute(tasks)
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress is not None:
                progress(done, n_parts)
        features = dd.from_delayed(futures, verify_meta=False)
        result = _sibling_join(features, tables, as_of).compute()
    return result.reset_index(drop=True)
