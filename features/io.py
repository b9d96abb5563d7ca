"""Reading one table file of a data folder into Arrow, every value as it was written.

A table is `<table>.csv` or `<table>.parquet`; the format is decided per file.
CSV is read with pyarrow (multi-threaded, C++), every column as text, so that
ids like `007` keep their zeros and nothing is guessed: turning strings into
dates, booleans and codes is `features.parse`'s job, which knows the contract.
Encoding: UTF-8 with or without BOM; when the bytes are not valid UTF-8 the file
is read again as GB18030 (what Excel in a Chinese county office writes).

Rows whose field count does not match the header are not fatal: they are skipped
by the reader and handed back as `MalformedRow`s, so the validator can set them
aside with their row number instead of losing them silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from features.errors import DataError

FORMATS = (".csv", ".parquet")
ENCODINGS = ("utf8", "gb18030")
# Arrow reads in blocks; a large block lets it infer the header of wide Excel exports.
_BLOCK_SIZE = 1 << 22
# Every CSV column is read as text, dictionary-encoded while parsing: a 20M-row attendance
# file then costs an int32 per cell instead of a string (0.6 GB instead of 1.5 GB), and the
# parser in `features.parse` works on the distinct values anyway.
TEXT = pa.dictionary(pa.int32(), pa.string())


class FileProblem(DataError):
    """A table file cannot be read at all; `rule` names the kind of problem."""

    def __init__(self, rule: str, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.rule = rule
        self.path = path
        self.message = message


@dataclass(frozen=True)
class MalformedRow:
    """A CSV line the reader could not split into the header's columns."""

    row: int | None
    text: str
    expected: int
    actual: int


@dataclass
class RawTable:
    """One table file as written: Arrow columns, plus where each row sits in the file."""

    name: str
    path: Path
    data: pa.Table
    encoding: str | None = None
    malformed: list[MalformedRow] = field(default_factory=list)

    @property
    def row_numbers(self) -> np.ndarray:
        """The spreadsheet row of each data row: the header is row 1, the first data row 2."""
        n = self.data.num_rows
        skipped = np.array(
            sorted(m.row for m in self.malformed if m.row is not None), dtype=np.int64
        )
        if len(skipped) == 0:
            return np.arange(2, n + 2, dtype=np.int64)
        every = np.arange(2, n + len(skipped) + 2, dtype=np.int64)
        return np.setdiff1d(every, skipped, assume_unique=True)[:n]


def find_table_files(data_dir: Path, table: str) -> list[Path]:
    """The files that could hold `table`: `<table>.csv` and/or `<table>.parquet`."""
    return [data_dir / f"{table}{ext}" for ext in FORMATS if (data_dir / f"{table}{ext}").is_file()]


def read_table_file(path: Path, table: str) -> RawTable:
    """Read one table file; raise `FileProblem` when it cannot be read at all."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileProblem("unreadable_file", path, f"cannot open the file ({exc})") from exc
    if size == 0:
        raise FileProblem("empty_file", path, "the file is empty (0 bytes, no header)")
    if path.suffix == ".parquet":
        return RawTable(table, path, _read_parquet(path))
    return _read_csv(path, table)


def _read_parquet(path: Path) -> pa.Table:
    try:
        data = pq.read_table(path)
    except Exception as exc:  # Arrow raises several types for a damaged or foreign file.
        raise FileProblem("unreadable_file", path, f"not a readable Parquet file ({exc})") from exc
    if not data.column_names:
        raise FileProblem("empty_file", path, "the Parquet file has no columns")
    return data


def _read_csv(path: Path, table: str) -> RawTable:
    errors: list[str] = []
    for encoding in ENCODINGS:
        try:
            return _read_csv_as(path, table, encoding)
        except FileProblem:
            raise
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            # Not valid in this encoding: try the next one (UTF-8 first, then GB18030).
            errors.append(f"{encoding}: {exc}")
    raise FileProblem(
        "unreadable_file",
        path,
        "cannot decode the file as UTF-8 or GB18030 (" + "; ".join(errors)[:300] + ")",
    )


def _read_csv_as(path: Path, table: str, encoding: str) -> RawTable:
    read_options = pacsv.ReadOptions(encoding=encoding, block_size=_BLOCK_SIZE)
    names = _header(path, read_options)
    malformed: list[MalformedRow] = []

    def skip(row: pacsv.InvalidRow) -> str:
        malformed.append(
            MalformedRow(row.number, row.text, row.expected_columns, row.actual_columns)
        )
        return "skip"

    data = pacsv.read_csv(
        path,
        read_options=read_options,
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
        convert_options=pacsv.ConvertOptions(
            column_types={name: TEXT for name in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if malformed and any(m.row is None for m in malformed):
        # The threaded reader does not know line numbers; read once more in order for them.
        malformed.clear()
        data = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=encoding, block_size=_BLOCK_SIZE, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(
                column_types={name: TEXT for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    return RawTable(table, path, data, encoding=encoding, malformed=malformed)


def _header(path: Path, read_options: pacsv.ReadOptions) -> list[str]:
    """The column names, read from the first block only."""
    try:
        reader = pacsv.open_csv(
            path,
            read_options=read_options,
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=lambda _row: "skip"
            ),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            raise FileProblem("empty_file", path, "the file is empty (no header line)") from exc
        raise
    names = list(reader.schema.names)
    reader.close()
    if not names or all(not n.strip() for n in names):
        raise FileProblem("empty_file", path, "the header line is blank")
    return names
