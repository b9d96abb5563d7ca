"""The content hash of a raw data folder: what an ingested dataset was built from.

Only what the validator reads counts: every contract table's files (`<table>.csv`,
`<table>.parquet` or the pieces in `<table>/`, whichever exist) and `export.json`. Other
files in the folder (a README, a spreadsheet kept beside the export) do not trigger a new
ingest.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from features.contract import TABLE_NAMES
from features.export import EXPORT_FILE
from features.io import FileProblem, find_table_files, piece_files

_BLOCK = 1 << 22


def raw_files(data_dir: Path) -> list[Path]:
    """The files the validator reads, in a fixed order (tables in contract order, export.json)."""
    files = [path for name in TABLE_NAMES for path in find_table_files(data_dir, name)]
    files = [piece for path in files for piece in _pieces(path)]
    export = data_dir / EXPORT_FILE
    if os.path.lexists(export):
        files.append(export)
    return files


def _pieces(path: Path) -> list[Path]:
    """A folder of pieces counts by its pieces; a bad one as itself (the validator says why)."""
    if not path.is_dir() or path.suffix:
        return [path]
    try:
        return piece_files(path)
    except FileProblem:
        return [path]


def _name(data_dir: Path, path: Path) -> str:
    """A file's name in the folder: `attendance.csv`, or `attendance/c01.parquet` for a piece."""
    return path.relative_to(data_dir).as_posix()


def folder_stats(data_dir: Path) -> dict[str, list[int]]:
    """{file name: [size, modification time in ns]} of the files the validator reads.

    Equal stats let a later command skip hashing (as git's index does): a file rewritten
    with other bytes gets a new modification time, and then the content hash decides.
    """
    stats = {}
    for path in raw_files(data_dir):
        try:
            st = path.stat()
        except OSError:
            stats[_name(data_dir, path)] = [-1, -1]
            continue
        stats[_name(data_dir, path)] = [st.st_size, st.st_mtime_ns]
    return stats


def file_digest(path: Path) -> str:
    """A BLAKE2b digest of one file's size and bytes (of its name and kind when it cannot be
    read: a folder or a broken link named like a table, so that the validator reports it)."""
    digest = hashlib.blake2b(digest_size=20)
    try:
        with open(path, "rb") as handle:
            digest.update(os.fstat(handle.fileno()).st_size.to_bytes(8, "little"))
            while block := handle.read(_BLOCK):
                digest.update(block)
    except OSError as exc:
        digest.update(f"<unreadable {type(exc).__name__}>".encode())
    return digest.hexdigest()


def folder_hash(data_dir: Path, digests: Callable[[list[Path]], list[str]] | None = None) -> str:
    """A digest of the names and file digests of every file the validator reads.

    `digests` computes the files' digests elsewhere (on the Dask workers, so that the client
    never reads a province's attendance); the result is the same.
    """
    files = raw_files(data_dir)
    each = digests(files) if digests is not None else [file_digest(path) for path in files]
    digest = hashlib.blake2b(digest_size=20)
    for path, file_hash in zip(files, each, strict=True):
        digest.update(_name(data_dir, path).encode() + b"\0" + file_hash.encode() + b"\0\0")
    return digest.hexdigest()
