"""The Dask engine over an ingested dataset: workers read their own partitions.

The client plans (`features.engines.dataset_plan`): it holds the dropouts and the schools,
never attendance, grades, students or households, nor the roster (each partition's is built
and kept on a worker). Each task is a partition of whole schools for the snapshot's school
year; it receives the files of the partitions its students' records live in, the snapshot
date, its roster, and (sent once to every worker)
who left school and their households; it reads only the rows and columns it needs, runs
`compute_part` as the local engine does, adds the cross-school indicators and the
catalogue's columns, and keeps its piece of the result, sorted by student_id, on the worker.

`write_dask_dataset` has each worker write its piece and merges the pieces into one file
batch by batch; `run_dask_dataset` gathers them into one frame (for small data and tests);
a training set keeps them on the workers (`features.training_set.stack_on_cluster`).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from features.build import assemble, check_as_of
from features.engines.dataset_plan import (
    Shared,
    Task,
    client_tables,
    empty,
    plan_tasks,
    shared,
)
from features.indicators.attendance import encode_attendance
from features.indicators.compute import SchoolPart, compute_part, window
from features.indicators.household import left_before, sibling_left
from features.indicators.population import left_within
from features.ingest.store import conform

Progress = Callable[[int, int], None]


def _read(
    name: str, files: list[str], where: ds.Expression, columns: list[str] | None = None
) -> pd.DataFrame:
    if not files:
        return empty(name)
    data = ds.dataset(files, format="parquet")
    return conform(name, data.to_table(columns=columns, filter=where))


def compute_task(
    task: Task, roster: pd.DataFrame, common: Shared, horizon_days: int | None = None
) -> pd.DataFrame:
    """On a worker: this task's piece of the result (with "label" when `horizon_days`), for
    the partition's `roster` (`dataset_plan.read_partition`)."""
    as_of = task.as_of
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
    frame = compute_part(part, as_of)
    # Siblings in other partitions are known from the shared households of those who left.
    known = pd.concat([students[["student_id", "household_id"]], common.homes])
    known = known.drop_duplicates("student_id")
    frame["sibling_left"] = sibling_left(known, common.dropouts, frame["student_id"], as_of)
    frame["left_before"] = left_before(common.dropouts, frame["student_id"], as_of)
    frame = assemble(frame, schools, as_of)
    if horizon_days is not None:
        frame["label"] = left_within(common.dropouts, frame["student_id"], as_of, horizon_days)
    return frame


def write_piece(frame: pd.DataFrame, path: str) -> int:
    """On a worker: write a piece to `path` (a folder all workers and the client see)."""
    frame.to_parquet(path, index=False)
    return len(frame)


def submit_snapshot(
    client: Any,
    folder: Path,
    manifest: dict[str, Any],
    common: Any,
    as_of: pd.Timestamp,
    horizon_days: int | None = None,
) -> list[Any]:
    """Futures of the snapshot's pieces, one per partition, computed and kept on the workers;
    `common` is the scattered `Shared`."""
    with damaged(folder):
        tables = client_tables(folder, manifest)
    check_as_of(tables, as_of)
    with damaged(folder):
        planned = plan_tasks(client, folder, manifest, common, as_of)
    return [
        client.submit(compute_task, task, roster, common, horizon_days, pure=False)
        for task, roster in planned
    ]


def scatter_shared(client: Any, folder: Path, manifest: dict[str, Any]) -> Any:
    """The dropouts and households of those who left, sent once to every worker."""
    with damaged(folder):
        common = shared(folder, manifest, client_tables(folder, manifest).dropouts)
    return client.scatter(common, broadcast=True)


@contextmanager
def damaged(folder: Path) -> Iterator[None]:
    """A file of the dataset removed or unreadable, in the client or on a worker: one line."""
    from features.ingest.run import DamagedDataset
    from features.io import clean_text

    try:
        yield
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise DamagedDataset(
            f"{folder}: the ingested dataset is damaged ({clean_text(exc)}); "
            "run `dropout-risk ingest --force` on the data folder"
        ) from exc


def results(futures: list[Any], folder: Path, progress: Progress | None) -> Iterator[Any]:
    """Each future's result as it completes; a damaged dataset is said so in one line."""
    from distributed import as_completed

    for done, future in enumerate(as_completed(futures), start=1):
        with damaged(folder):
            result = future.result()
        yield result
        if progress is not None:
            progress(done, len(futures))


def run_dask_dataset(
    folder: Path,
    manifest: dict[str, Any],
    as_of: pd.Timestamp,
    *,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """`build_features` on a cluster from an ingested dataset, gathered into one frame: the
    same frame as the local engine gives. For results that fit the client; see
    `write_dask_dataset` for those that do not."""
    from features.engines.dask import dask_client

    with dask_client(scheduler) as client:
        common = scatter_shared(client, folder, manifest)
        futures = submit_snapshot(client, folder, manifest, common, as_of)
        frames = list(results(futures, folder, progress))
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values("student_id", kind="stable", ignore_index=True)


def write_dask_dataset(
    folder: Path,
    manifest: dict[str, Any],
    snapshots: list[pd.Timestamp],
    out: Path,
    *,
    horizon_days: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the indicators at each snapshot (labelled when `horizon_days`) to `out`, one
    file, snapshot after snapshot, each sorted by student_id, as the local engine writes it.

    Workers write their pieces into a folder beside `out` (so `out`'s folder must be one the
    workers see); the client merges them batch by batch. Returns the number of rows.
    """
    import pyarrow.parquet as pq

    from features.engines.dask import dask_client
    from features.engines.parquet_merge import merge_sorted

    staging = out.parent / f".{out.name}.pieces-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    partial = out.parent / f".{out.name}.partial"
    rows, writer = 0, None
    try:
        with dask_client(scheduler) as client:
            common = scatter_shared(client, folder, manifest)
            for i, as_of in enumerate(snapshots):
                pieces = submit_snapshot(client, folder, manifest, common, as_of, horizon_days)
                paths = [str(staging / f"{i:03d}-{j:05d}.parquet") for j in range(len(pieces))]
                writes = client.map(write_piece, pieces, paths, pure=False)
                list(results(writes, folder, progress))
                del pieces, writes  # the workers free their pieces once written
                if writer is None:
                    writer = pq.ParquetWriter(partial, pq.read_schema(paths[0]))
                rows += merge_sorted([Path(p) for p in paths], writer, "student_id")
                for path in paths:
                    Path(path).unlink()
        assert writer is not None, "check_as_of makes sure someone is enrolled"
        writer.close()
        partial.replace(out)
    finally:
        if writer is not None and writer.is_open:
            writer.close()
        shutil.rmtree(staging, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return rows
