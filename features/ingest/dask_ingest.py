"""Validate and write a raw folder on a Dask cluster, one task per piece of a table.

The same decisions as `features.validate.validate_folder`, in the same table order; the
client lists the files, the workers read them. Per table: every piece is scanned for its
distinct ids (`piece_tasks.scan_piece`), the cross-piece checks are joined on the cluster
(`cross_checks`), then every piece is checked with what they found (`check_piece`). The
roster tables (schools, households, students, enrollments) stay typed on the workers until
the client, holding only their few placement columns, has cut the schools into partitions;
the other tables are written by the task that checked them. Back come problems, counts and
quarantine lines, merged into one report and one quarantine file as the local ingest writes.
"""

from __future__ import annotations

import operator
import shutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from features.contract import ALL_TABLES
from features.errors import DataError
from features.export import EXPORT_FILE, export_date, read_export_file
from features.ingest.cross_checks import repeated_rows, unknown_ids
from features.ingest.fingerprint import file_digest
from features.ingest.merge import merge_problems, merge_written
from features.ingest.piece_tasks import (
    Outcome,
    Piece,
    check_piece,
    kept_columns,
    kept_ids,
    list_pieces,
    scan_piece,
    write_piece,
)  # fmt: skip
from features.ingest.placement import place
from features.ingest.run import Say, manifest_of, publish, staging_folder
from features.quarantine import write_quarantine
from features.schema import ORDER, REFERENCES
from features.validate import Problem, ValidationReport, emptiness

NONE = np.zeros(0, dtype=np.int64)
ROSTER = ("schools", "households", "students", "enrollments")
# What the placement needs of the roster (all the client ever holds).
PLACEMENT_COLUMNS = {
    "schools": ["school_id", "county"],
    "enrollments": ["student_id", "school_id", "school_year"],
    "students": ["student_id", "household_id"],
}
REFERENCED = {target: column for target, column in REFERENCES.values()}


def ingest_on_cluster(
    client: Any,
    data_dir: Path,
    folder: Path,
    quarantine_dir: Path | None,
    group_students: int,
    say: Callable[[str], None],
) -> tuple[ValidationReport, int, dict[str, Any]]:
    """Check every piece on the cluster and write the kept rows under `folder` (when the data
    is usable): the report, the number of partitions, and the manifest's table entries."""
    problems: list[Problem] = []
    try:
        declared = read_export_file(data_dir)
    except DataError as exc:
        declared = None
        problems.append(Problem("export", data_dir / EXPORT_FILE, "bad_export_file", None, 0, [],
                                True, str(exc).split(": ", 1)[-1]))  # fmt: skip
    pieces = list_pieces(data_dir, problems)
    say("scanning the pieces")
    small, ids = {}, {}
    for name, parts in pieces.items():  # every table's scans at once, gathered after
        done = [client.submit(scan_piece, p, declared is None, pure=False) for p in parts]
        ids[name] = [client.submit(operator.getitem, f, "ids") for f in done]
        small[name] = [client.submit(_small_scan, f) for f in done]
    scans = {name: client.gather(futures) for name, futures in small.items()}
    latest = []
    for results in scans.values():
        problems.extend(p for r in results for p in r["problems"])
        latest.extend((r["latest"][1], pd.Series([r["latest"][0]])) for r in results if r["latest"])
    usable = [n for n in pieces if all(r["ok"] for r in scans[n])]
    export = export_date(declared, latest)

    frames: dict[str, list[Any]] = {}
    checked: dict[str, tuple[int, int]] = {}  # rows in, rows kept
    outcomes: dict[str, list[Outcome]] = {}
    placement, placed = None, False
    for name in ORDER:
        if name not in usable:
            continue
        if name not in ROSTER and not placed:
            placement, placed = _placement(client, frames, problems, group_students), True
        say(f"checking {name}")
        unknown, repeated, born = _across_pieces(client, name, pieces[name], ids[name], frames,
                                                 checked)  # fmt: skip
        empty_ids = pd.DataFrame({"id": pd.Series(dtype=str)})
        done = [
            client.submit(
                check_piece, p, export.date,
                {c: u.get(p.index, empty_ids) for c, u in unknown.items()},
                repeated.get(p.index, NONE), born, None if name in ROSTER else placement,
                folder, name in ROSTER, pure=False,
            )
            for p in pieces[name]
        ]  # fmt: skip
        frames[name] = [client.submit(operator.getitem, f, 1) for f in done]
        outcomes[name] = client.gather([client.submit(operator.getitem, f, 0) for f in done])
        problems.extend(merge_problems(outcomes[name]))
        rows_in = sum(o.rows_in for o in outcomes[name])
        kept = sum(o.kept for o in outcomes[name])
        if all(o.checked for o in outcomes[name]):
            checked[name] = (rows_in, kept)
            problems.extend(emptiness(name, pieces[name][0].source, kept, rows_in))
    if not placed:
        placement = _placement(client, frames, problems, group_students)

    done_outcomes = {n: o for n, o in outcomes.items() if n in checked}
    quarantine = [
        o.quarantine for os_ in done_outcomes.values() for o in os_ if o.quarantine is not None
    ]
    report = ValidationReport(
        data_dir=data_dir, tables=None, problems=problems,
        set_aside=sum(o.set_aside for os_ in done_outcomes.values() for o in os_),
        quarantine_path=(
            write_quarantine(data_dir, quarantine_dir, quarantine) if quarantine else None
        ),
        rows_in={n: checked[n][0] for n in done_outcomes},
        rows_kept={n: checked[n][1] for n in done_outcomes},
        rows_blanked={n: sum(o.rows_blanked for o in os_) for n, os_ in done_outcomes.items()},
        cells_blanked=sum(o.cells_blanked for os_ in done_outcomes.values() for o in os_),
        export=export,
    )  # fmt: skip
    if not report.usable or placement is None:
        return report, 0, {}
    say("writing the roster tables")
    written = {}
    for name, parts in frames.items():
        if name in ROSTER:
            futures = [client.submit(write_piece, name, f, placement, folder, i, pure=False)
                       for i, f in enumerate(parts)]  # fmt: skip
            entries = client.gather(futures)
        else:
            entries = [o.written for o in outcomes[name]]
        written[name] = merge_written(entries)
        if written[name]["rows"] == 0:  # an empty table still gets its (empty) file
            empty = client.submit(write_piece, name, parts[0], placement, folder, None)
            written[name] = empty.result()
    parts_count = client.submit(lambda p: len(p.parts), placement).result()
    return report, parts_count, written


def digests_on(client: Any) -> Callable[[list[Path]], list[str]]:
    """The raw files' digests, each taken by a worker (the client reads no table)."""
    return lambda paths: client.gather(client.map(file_digest, paths, pure=False))


def ingest_with(
    client: Any,
    data_dir: Path,
    folder: Path,
    quarantine_dir: Path | None,
    layout: int,
    raw: dict[str, Any],
    tell: Say,
) -> tuple[dict[str, Any], ValidationReport]:
    """The Dask ingest of `ingest_folder`: into a staging folder, then put in place."""
    staging = staging_folder(folder)
    try:
        report, partitions, written = ingest_on_cluster(
            client, data_dir, staging / "tables", quarantine_dir, layout, tell
        )
    except BaseException:  # a lost worker or scheduler: leave no half-written dataset
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not report.usable:
        shutil.rmtree(staging, ignore_errors=True)
        return {}, report
    export = export_date(report.export_date, [])
    manifest = manifest_of(report, raw, layout, export, report.export_date, partitions, written)
    publish(staging, folder, manifest)
    return manifest, report


def _across_pieces(
    client: Any,
    name: str,
    pieces: list[Piece],
    ids: list[Any],
    frames: dict[str, list[Any]],
    checked: dict[str, tuple[int, int]],
) -> tuple[dict[str, dict[int, pd.DataFrame]], dict[int, np.ndarray], list[Any] | None]:
    """What checking table `name` needs from outside each piece, as the validator has it:
    per reference column the ids the referenced table did not keep (no check when that
    table was not checked or had no rows), the rows repeating an earlier piece's key, and
    (enrollments) the kept students' birth dates, left on the workers."""
    unknown: dict[str, dict[int, pd.DataFrame]] = {}
    for (table, column), (target, target_column) in REFERENCES.items():
        if table == name and checked.get(target, (0, 0))[0] > 0:
            kept = [client.submit(kept_ids, f, target_column) for f in frames[target]]
            unknown[column] = unknown_ids(ids, column, kept)
    key = ALL_TABLES[name].key[0]
    repeated = repeated_rows(client, ids, pieces, key) if len(pieces) > 1 else {}
    born = None
    if name == "enrollments" and checked.get("students", (0, 0))[1] > 0:
        columns = ["student_id", "birth_date"]
        born = [client.submit(kept_columns, f, columns) for f in frames["students"]]
    return unknown, repeated, born


def _small_scan(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "ids"}


def _placement(
    client: Any, frames: dict[str, list[Any]], problems: list[Problem], group_students: int
) -> Any:
    """The partition of every school and student, from the roster's placement columns; sent
    to every worker once. None when the roster is not usable (nothing will be written)."""
    if any(p.fatal for p in problems) or any(n not in frames for n in PLACEMENT_COLUMNS):
        return None
    held = {}
    for name, columns in PLACEMENT_COLUMNS.items():
        parts = client.gather([client.submit(kept_columns, f, columns) for f in frames[name]])
        held[name] = pd.concat([p for p in parts if p is not None], ignore_index=True)
    placement = place(SimpleNamespace(**held), group_students)  # type: ignore[arg-type]
    return client.scatter(placement, broadcast=True)
