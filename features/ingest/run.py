"""Ingest a raw data folder once; open its dataset afterwards while the folder is unchanged.

`ingest_folder` validates (quarantine and report as `validate` writes them) and writes every
table `Tables` holds as a partitioned Parquet dataset under `<home>/ingested/`, with a
manifest: the content hash of the raw folder, the export date, the report, the layout.
When the hash in the manifest matches the folder, nothing is read or written again; when
every raw file's size and modification time are those recorded, not even the hash is taken.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from features.contract import Tables
from features.errors import DataError
from features.export import ExportDate
from features.ingest.fingerprint import folder_hash, folder_stats
from features.ingest.placement import GROUP_STUDENTS, place
from features.ingest.reportfile import report_from_json, report_to_json
from features.ingest.snapshot import attendance_window
from features.ingest.store import read_table, replace_folder, write_table
from features.io import clean_text
from features.validate import ValidationReport, validate_folder

MANIFEST = "manifest.json"
LAYOUT = 2
Say = Callable[[str], None]


@dataclass
class Ingested:
    """A data folder's ingested dataset (`folder` is None when the data is unusable)."""

    data_dir: Path
    folder: Path | None
    manifest: dict[str, Any]
    report: ValidationReport
    ingested_now: bool
    """True when this call validated and wrote the dataset; False when it was up to date."""
    tables: Tables | None = None
    """The tables, when this call validated them (already in memory); else read on demand."""
    reason: str = "up to date"
    """Why it was (or was not) ingested now: up to date, new, changed, layout, forced."""


def dataset_folder(home: Path, data_dir: Path) -> Path:
    """Where the dataset of `data_dir` lives: one folder per raw folder's absolute path."""
    where = str(Path(data_dir).resolve())
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(where).name)[:40] or "data"
    return home / "ingested" / f"{slug}-{hashlib.sha1(where.encode()).hexdigest()[:12]}"


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a dataset folder, None when absent, unreadable or of another layout."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("layout") == LAYOUT else None


def ingest_folder(
    data_dir: Path,
    home: Path,
    quarantine_dir: Path | None = None,
    *,
    group_students: int | None = None,
    force: bool = False,
    say: Say | None = None,
    client: Any = None,
) -> Ingested:
    """Validate and write `data_dir`'s dataset unless the one under `home` is up to date.

    `group_students` sizes the school groups (GROUP_STUDENTS when None); None also accepts
    a dataset ingested with any size, so later commands keep the layout `ingest` chose.
    With a Dask `client`, the workers hash, check and write the raw files, piece by piece
    (`dask_ingest`); this process opens none of them.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: no such data folder")
    tell = say or (lambda _message: None)
    folder = dataset_folder(home, data_dir)
    manifest = read_manifest(folder)
    stats = folder_stats(data_dir)
    same_layout = manifest is not None and group_students in (None, manifest["group_students"])
    if not force and same_layout and manifest.get("raw_stats") == stats:  # type: ignore[union-attr]
        return Ingested(data_dir, folder, manifest, report_from_json(manifest["report"]), False)
    tell("hashing the raw files")
    digests = None
    if client is not None:  # the workers read the files; the client only lists them
        from features.ingest.dask_ingest import digests_on

        digests = digests_on(client)
    raw_hash = folder_hash(data_dir, digests)
    if not force and same_layout and manifest["raw_hash"] == raw_hash:  # type: ignore[index]
        manifest["raw_stats"] = stats  # type: ignore[index]  # touched, not changed
        _save_manifest(folder, manifest)  # type: ignore[arg-type]
        return Ingested(data_dir, folder, manifest, report_from_json(manifest["report"]), False)
    reason = (
        "forced"
        if force
        else "new"
        if manifest is None
        else "changed"
        if manifest["raw_hash"] != raw_hash
        else "layout"
    )
    layout = group_students or GROUP_STUDENTS
    raw = {"raw_hash": raw_hash, "raw_stats": stats}
    if client is not None:
        from features.ingest.dask_ingest import ingest_with

        manifest, report = ingest_with(client, data_dir, folder, quarantine_dir, layout, raw, tell)
        return Ingested(
            data_dir, folder if manifest else None, manifest, report, True, None, reason
        )
    report = validate_folder(data_dir, quarantine_dir=quarantine_dir, progress=tell)
    if report.tables is None:
        return Ingested(data_dir, None, {}, report, True, reason=reason)
    manifest = _write(report, raw, folder, layout, tell)
    return Ingested(data_dir, folder, manifest, report, True, report.tables, reason)


def _save_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest whole (a new file renamed over the old)."""
    staging = folder / f"{MANIFEST}.{os.getpid()}"
    staging.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
    staging.replace(folder / MANIFEST)


def _write(
    report: ValidationReport, raw: dict[str, Any], folder: Path, group_students: int, tell: Say
) -> dict[str, Any]:
    tables = report.tables
    assert tables is not None
    tell("placing schools in partitions")
    placement = place(tables, group_students)
    staging = staging_folder(folder)
    written: dict[str, Any] = {}
    for name, frame in tables.items():
        if frame is None:  # an optional table the folder does not hold
            continue
        tell(f"writing {name}")
        written[name] = write_table(name, frame, placement, staging / "tables")
    export = tables.export_date()
    manifest = manifest_of(
        report, raw, group_students, export, tables.exported_on, len(placement.parts), written
    )
    publish(staging, folder, manifest)
    return manifest


def staging_folder(folder: Path) -> Path:
    staging = folder.with_name(f"{folder.name}.new-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "tables").mkdir(parents=True)
    return staging


def manifest_of(
    report: ValidationReport,
    raw: dict[str, Any],
    group_students: int,
    export: ExportDate,
    exported_on: pd.Timestamp | None,
    partitions: int,
    written: dict[str, Any],
) -> dict[str, Any]:
    return {
        "layout": LAYOUT,
        "data_dir": str(report.data_dir.resolve()),
        **raw,
        "group_students": group_students,
        "export_date": f"{export.date:%Y-%m-%d}",
        "export_source": export.source,
        "exported_on": None if exported_on is None else f"{exported_on:%Y-%m-%d}",
        "partitions": partitions,
        "tables": written,
        "report": report_to_json(report),
    }


def publish(staging: Path, folder: Path, manifest: dict[str, Any]) -> None:
    (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
    folder.parent.mkdir(parents=True, exist_ok=True)
    replace_folder(staging, folder)


def load_ingested(ingested: Ingested, as_of: pd.Timestamp | None = None) -> Tables:
    """The tables of an ingested dataset (those validated in this call when there are);
    with `as_of`, only what a snapshot at that date reads of attendance (`snapshot.py`)."""
    if ingested.tables is not None:
        return ingested.tables
    if ingested.folder is None:
        raise DataError(f"{ingested.data_dir} cannot be used; run `dropout-risk validate` on it.")
    try:
        return read_tables(ingested.folder, ingested.manifest, as_of)
    except (OSError, KeyError, ValueError, pa.ArrowException) as exc:  # files removed or damaged
        raise DamagedDataset(
            f"{ingested.folder}: the ingested dataset is damaged ({clean_text(exc)})"
        ) from exc


class DamagedDataset(DataError):
    """An ingested dataset whose files cannot be read back: ingest again (`force=True`)."""


def read_tables(
    folder: Path, manifest: dict[str, Any], as_of: pd.Timestamp | None = None
) -> Tables:
    """Every table of the dataset, typed as the contract says (attendance in the window of a
    snapshot at `as_of` when given)."""
    names = {f.name for f in fields(Tables)}
    frames = {}
    for name, entry in manifest["tables"].items():
        if name not in names:
            continue
        where = attendance_window(as_of) if as_of is not None and name == "attendance" else None
        frames[name] = read_table(folder / "tables", name, entry, where=where)
    exported_on = manifest.get("exported_on")
    return Tables(**frames, exported_on=None if exported_on is None else pd.Timestamp(exported_on))
