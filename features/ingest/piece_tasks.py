"""What a Dask worker does with one piece of a raw table: scan it, then check and write it.

(`list_pieces`, run by the client, only lists the folders: which pieces there are.)

A piece is a table's file, or one Parquet piece of a split table's folder. Each function
here runs on a worker and reads its piece itself; what goes back to the client is small
(problems, counts, quarantine lines, the ids other tables' checks need), never the rows.

The checks are the local validator's own (`features.validate.check_rows` and the pandera
schema behind it): a piece is read as the validator reads a folder of pieces (same row
numbers, same piece names in the examples and the quarantine), and what the validator knows
from the other pieces comes in as arguments, found by joins on the cluster
(`features.ingest.cross_checks`): the ids of a referenced table that are unknown, and the rows
whose key an earlier piece holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.contract import ALL_TABLES, OPTIONAL, TABLE_NAMES, date_columns
from features.export import latest_date
from features.ingest.placement import Placement
from features.ingest.store import write_table
from features.io import FileProblem, RawTable, clean_text, find_table_files, piece_files
from features.parse import ParsedTable
from features.schema import REFERENCES, Context
from features.validate import (
    Problem,
    check_rows,
    fatal_problem,
    locate,
    parse_raw,
    read_raw,
    typed_frame,
)  # fmt: skip


@dataclass(frozen=True)
class Piece:
    """One piece of a raw table: `file` inside the folder `source`, or the file `source`."""

    table: str
    source: Path
    file: Path | None
    index: int


@dataclass
class Outcome:
    """What checking one piece gave: small, sent back to the client."""

    problems: list[Problem]
    rows_in: int = 0
    kept: int = 0
    set_aside: int = 0
    rows_blanked: int = 0
    cells_blanked: int = 0
    checked: bool = False
    quarantine: pd.DataFrame | None = None
    written: dict[str, object] = field(default_factory=dict)


def list_pieces(data_dir: Path, problems: list[Problem]) -> dict[str, list[Piece]]:
    """Every table's pieces, by listing folders only (nothing is opened here)."""
    pieces: dict[str, list[Piece]] = {}
    for name in (*TABLE_NAMES, *OPTIONAL):
        if name in OPTIONAL and not find_table_files(data_dir, name):
            continue
        path = locate(data_dir, name, problems)
        if path is None:
            continue
        if not (path.is_dir() and not path.suffix):
            pieces[name] = [Piece(name, path, None, 0)]
            continue
        try:
            files = piece_files(path)
        except FileProblem as exc:
            problems.append(Problem(name, exc.path, exc.rule, None, 0, [], True, exc.message))
            continue
        pieces[name] = [Piece(name, path, file, i) for i, file in enumerate(files)]
    return pieces


def read_piece(piece: Piece) -> tuple[RawTable | None, ParsedTable | None, list[Problem]]:
    problems: list[Problem] = []
    only = None if piece.file is None else [piece.file]
    raw = read_raw(piece.source, piece.table, problems, only)
    parsed = None if raw is None else parse_raw(raw, problems)
    return raw, parsed, problems


def id_columns(table: str) -> list[str]:
    """The columns whose distinct values the cross checks need: references and the key's first."""
    refs = [column for (name, column) in REFERENCES if name == table]
    first = ALL_TABLES[table].key[0]
    return [*refs, *([first] if first not in refs else [])]


def scan_piece(piece: Piece, want_dates: bool) -> dict[str, object]:
    """Distinct ids per column (piece, column, id), the latest date when asked, read problems."""
    raw, parsed, problems = read_piece(piece)
    ids = pd.DataFrame({"piece": pd.Series(dtype="int64"), "column": [], "id": []})
    latest = None
    if parsed is not None:
        frames = []
        for column in id_columns(piece.table):
            s = parsed.frame[column]
            codes = np.asarray(s.array.codes)
            categories = np.asarray(s.cat.categories, dtype=object)
            present = categories[np.unique(codes[codes >= 0])]
            frames.append(pd.DataFrame({"piece": piece.index, "column": column, "id": present}))
        ids = pd.concat(frames, ignore_index=True).astype({"id": str, "column": str})
        if want_dates:
            latest = latest_date(date_columns([(piece.table, parsed.frame)]))
    return {"problems": problems, "ids": ids, "latest": latest, "ok": parsed is not None}


def key_rows(piece: Piece, shared: pd.DataFrame) -> pd.DataFrame:
    """(key, piece, position) of the rows whose first key part is in `shared` (ids that more
    than one piece holds): the only rows that can repeat another piece's key."""
    _, parsed, _ = read_piece(piece)
    empty = pd.DataFrame({"key": pd.Series(dtype=str), "piece": pd.Series(dtype="int64"),
                          "position": pd.Series(dtype="int64")})  # fmt: skip
    if parsed is None or shared.empty:
        return empty
    key = list(ALL_TABLES[piece.table].key)
    frame = parsed.frame
    rows = frame[key[0]].astype(object).isin(set(shared["id"])) & frame[key].notna().all(axis=1)
    picked = frame.loc[rows.to_numpy(), key]
    if picked.empty:
        return empty
    text = picked[key[0]].astype(str)
    for column in key[1:]:
        text = text + "\x1f" + picked[column].astype(str)
    return pd.DataFrame({"key": text.to_numpy(), "piece": piece.index,
                         "position": np.flatnonzero(rows.to_numpy())})  # fmt: skip


def check_piece(
    piece: Piece,
    export_date: pd.Timestamp,
    unknown: dict[str, pd.DataFrame],
    repeated: np.ndarray,
    birth_dates: list[pd.DataFrame] | None,
    placement: Placement | None,
    folder: Path,
    hold: bool,
) -> tuple[Outcome, pd.DataFrame | None]:
    """Check one piece as the validator checks its table; write its rows (now when the
    placement is known, else hand the typed rows back to stay on the worker until it is).

    `unknown`: per reference column, the ids (frame with "id") the referenced table did not
    keep, None-valued when that table was not checked (no check, as the validator does).
    `repeated`: positions of rows whose key an earlier piece holds. `hold`: hand the typed
    rows back when there is no placement (a roster table); else they are dropped.
    """
    raw, parsed, problems = read_piece(piece)
    if raw is None or parsed is None:
        return Outcome(problems), None
    context = Context(export_date=export_date, unparseable=parsed.unparseable)
    for (name, column), (target, target_column) in REFERENCES.items():
        if name != piece.table or column not in unknown:
            continue
        ids = pd.Index(np.asarray(parsed.frame[column].cat.categories, dtype=object))
        context.known_ids[f"{target}.{target_column}"] = ids.difference(unknown[column]["id"])
    if birth_dates is not None:
        born = pd.concat(birth_dates, ignore_index=True)
        index = pd.Index(born["student_id"].to_numpy(dtype=object), dtype=object)
        context.birth_dates = pd.Series(born["birth_date"].to_numpy(), index=index)
    if len(repeated):
        context.repeated_elsewhere = np.zeros(len(parsed.frame), dtype=bool)
        context.repeated_elsewhere[repeated] = True
    table = ALL_TABLES[piece.table]
    try:
        checked = check_rows(raw, parsed, context)
        frame = typed_frame(checked.kept, table)
    except Exception as exc:  # as the validator: a case nobody foresaw is a fatal problem
        message = f"checking failed: {clean_text(exc)}"
        problems.append(fatal_problem(raw, "check_failed", None, message))
        return Outcome(problems), None
    outcome = Outcome(
        problems + checked.problems, checked.rows_in, len(frame), checked.set_aside,
        checked.rows_blanked, checked.cells_blanked, True,
        pd.concat(checked.quarantine, ignore_index=True) if checked.quarantine else None,
    )  # fmt: skip
    if placement is None:
        return outcome, frame if hold else frame.iloc[:0]
    outcome.written = write_table(piece.table, frame, placement, folder, piece=piece.index)
    return outcome, frame.iloc[:0]  # the columns, for an empty table's file


def write_piece(
    name: str, frame: pd.DataFrame, placement: Placement, folder: Path, index: int | None
) -> dict[str, object]:
    """Write a roster piece's typed rows once the placement is known."""
    return write_table(name, frame, placement, folder, piece=index)


def kept_ids(frame: pd.DataFrame | None, column: str) -> pd.DataFrame:
    """The distinct ids a piece kept in `column`, for the reference checks of later tables."""
    if frame is None:
        return pd.DataFrame({"id": pd.Series(dtype=str)})
    return pd.DataFrame({"id": frame[column].dropna().unique().astype(str)})


def kept_columns(frame: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame | None:
    return None if frame is None else frame[columns]
