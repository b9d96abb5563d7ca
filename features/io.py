"""Reading one table file of a data folder into Arrow, every value as it was written.

A table is `<table>.csv` or `<table>.parquet`; the format is decided per file. A split
export gives a big table as a folder `<table>/` of Parquet pieces with the same columns
(one per county, or per county and year): read as one table in the order of the pieces'
names, each row remembering its piece, so every problem names the piece file.
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

import codecs
import csv
import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
# The header and the file's kind are read from its first bytes.
_HEAD_BYTES = 1 << 16
_BOM = b"\xef\xbb\xbf"
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
    pieces: list[tuple[Path, int]] = field(default_factory=list)
    """For a folder of pieces (`path` is the folder): each piece file and its row count."""

    def files_at(self, positions: np.ndarray) -> np.ndarray | str:
        """The file each of these data rows is in: the piece, or `path` for a single file."""
        if not self.pieces:
            return str(self.path)
        names = np.array([str(piece) for piece, _ in self.pieces], dtype=object)
        return names[self._piece_index(positions)]

    def _piece_index(self, positions: np.ndarray) -> np.ndarray:
        ends = np.cumsum([rows for _, rows in self.pieces])
        return np.searchsorted(ends, np.asarray(positions, dtype=np.int64), side="right")

    @property
    def row_numbers(self) -> np.ndarray:
        """The spreadsheet row of each data row: the header is row 1, the first data row 2
        (of its own piece, for a folder of pieces)."""
        n = self.data.num_rows
        if self.pieces:
            starts = np.cumsum([0] + [rows for _, rows in self.pieces])[:-1]
            at = np.arange(n, dtype=np.int64)
            return at - starts[self._piece_index(at)] + 2
        skipped = np.array(
            sorted(m.row for m in self.malformed if m.row is not None), dtype=np.int64
        )
        if len(skipped) == 0:
            return np.arange(2, n + 2, dtype=np.int64)
        every = np.arange(2, n + len(skipped) + 2, dtype=np.int64)
        return np.setdiff1d(every, skipped, assume_unique=True)[:n]


def find_table_files(data_dir: Path, table: str) -> list[Path]:
    """The paths that could hold `table`: `<table>.csv`, `<table>.parquet` and/or a folder
    `<table>/` of pieces (a folder or a broken link named like a file is returned too:
    reported as such, not as a missing file)."""
    found = [data_dir / f"{table}{ext}" for ext in FORMATS]
    paths = [path for path in found if os.path.lexists(path)]  # a broken link is reported too
    return [*paths, data_dir / table] if (data_dir / table).is_dir() else paths


def piece_files(folder: Path) -> list[Path]:
    """The pieces of a split table, in name order; FileProblem when the folder holds none or
    holds anything else (a CSV among the pieces would otherwise be silently left out)."""
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise FileProblem(
            "unreadable_file", folder, f"cannot list the folder ({exc.strerror})"
        ) from exc
    for entry in entries:
        if entry.suffix != ".parquet" or entry.is_dir():
            raise FileProblem(
                "not_a_piece", entry, "a split table's folder may hold only .parquet pieces"
            )
    if not entries:
        raise FileProblem("empty_file", folder, "the folder holds no .parquet pieces")
    return entries


def read_table_file(path: Path, table: str, pieces: list[Path] | None = None) -> RawTable:
    """Read one table file, or a folder of pieces (only `pieces` of it when given); raise
    `FileProblem` when it cannot be read at all."""
    if path.is_dir() and path.suffix not in FORMATS:
        return _read_pieces(path, table, piece_files(path) if pieces is None else pieces)
    if path.is_dir():
        raise FileProblem("not_a_file", path, "this is a folder, not a file")
    return _read_file(path, table)


def _read_pieces(folder: Path, table: str, pieces: list[Path]) -> RawTable:
    """Pieces with the same columns, one after the other; a piece that differs is named."""
    datas: list[pa.Table] = []
    for piece in pieces:
        data = _read_file(piece, table).data
        if datas and data.column_names != datas[0].column_names:
            raise FileProblem(
                "piece_columns", piece,
                f"its columns differ from those of {pieces[0].name} "
                f"({', '.join(data.column_names)} against {', '.join(datas[0].column_names)})",
            )  # fmt: skip
        datas.append(data)
    try:
        data = pa.concat_tables(datas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Pieces written by different tools: text dictionary-encoded in some, plain in others.
        datas = [_decoded(d) for d in datas]
    try:
        data = pa.concat_tables(datas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise FileProblem(
            "piece_columns", folder, f"the pieces' column types differ ({clean_text(exc)})"
        ) from exc
    counts = [(piece, d.num_rows) for piece, d in zip(pieces, datas, strict=True)]
    return RawTable(table, folder, data, pieces=counts)


def _decoded(data: pa.Table) -> pa.Table:
    for i, column in enumerate(data.schema):
        if pa.types.is_dictionary(column.type):
            data = data.set_column(i, column.name, data.column(i).cast(column.type.value_type))
    return data


def _read_file(path: Path, table: str) -> RawTable:
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
            size = handle.seek(0, 2)
            handle.seek(max(size - 4, 0))
            tail = handle.read(4)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise FileProblem("unreadable_file", path, f"cannot open the file ({reason})") from exc
    if size == 0:
        raise FileProblem("empty_file", path, "the file is empty (0 bytes, no header)")
    if path.suffix == ".parquet":
        return RawTable(table, path, _read_parquet(path, head, tail))
    _sniff_text(path, head)
    return _read_csv(path, table, head)


def clean_text(text: object, limit: int = 160) -> str:
    """A library's message made safe to print: one line, printable characters, bounded."""
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    line = "".join(ch if ch.isprintable() and ch != "\ufffd" else "?" for ch in line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


# Files that are not CSV text, by their first bytes: what they are and what to do.
_SIGNATURES = (
    (b"PK\x03\x04", "is a zip archive (an .xlsx workbook or a compressed folder), not CSV text; "
                     "save the sheet as CSV"),
    (b"PAR1", "is a Parquet file named .csv; rename it to .parquet"),
    (b"\xd0\xcf\x11\xe0", "is an Excel 97-2003 workbook (.xls), not CSV text; save it as CSV"),
    (b"\x1f\x8b", "is gzip-compressed; unpack it first"),
    (b"%PDF", "is a PDF document, not CSV text"),
    (b"\xff\xfe", "is UTF-16 text; save it as UTF-8 CSV"),
    (b"\xfe\xff", "is UTF-16 text; save it as UTF-8 CSV"),
)  # fmt: skip


def _sniff_text(path: Path, head: bytes) -> None:
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            raise FileProblem("not_csv", path, f"the file {what}")
    if b"\x00" in head:
        raise FileProblem("not_csv", path, "the file holds binary data (NUL bytes), not CSV text")
    if head.strip() in (b"", _BOM, _BOM + b"\n", _BOM + b"\r\n"):
        raise FileProblem("empty_file", path, "the file holds no header line, only blanks or a BOM")


def _read_parquet(path: Path, head: bytes, tail: bytes) -> pa.Table:
    if not head.startswith(b"PAR1"):
        raise FileProblem("unreadable_file", path, "not a Parquet file (no Parquet signature)")
    if tail != b"PAR1":
        raise FileProblem(
            "unreadable_file", path, "the Parquet file is cut short or damaged (no footer)"
        )
    try:
        with quiet_unraisable():
            data = pq.read_table(path)
    except Exception as exc:  # Arrow raises several types for a damaged or foreign file.
        raise FileProblem(
            "unreadable_file", path, f"the Parquet file is damaged ({clean_text(exc)})"
        ) from exc
    if not data.column_names:
        raise FileProblem("empty_file", path, "the Parquet file has no columns")
    return data


@contextmanager
def quiet_unraisable() -> Iterator[list[BaseException]]:
    """Collect exceptions that Arrow's callbacks cannot raise (printed as "Exception ignored
    in ..." otherwise): the caller decides what they mean, the terminal stays clean."""
    caught: list[BaseException] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda info: caught.append(info.exc_value)  # type: ignore[assignment]
    try:
        yield caught
    finally:
        sys.unraisablehook = previous


def _read_csv(path: Path, table: str, head: bytes) -> RawTable:
    for encoding in ENCODINGS:
        try:
            return _read_csv_as(path, table, encoding, head)
        except FileProblem:
            raise
        except (pa.ArrowInvalid, UnicodeDecodeError, _NotThisEncoding) as exc:
            if isinstance(exc, pa.ArrowInvalid) and not _is_decoding(exc):
                raise FileProblem(
                    "unreadable_file", path, f"cannot be read as CSV ({clean_text(exc)})"
                ) from exc
            continue  # not valid in this encoding: try the next (UTF-8 first, then GB18030)
    raise FileProblem(
        "unreadable_file",
        path,
        "cannot decode the file as UTF-8 or GB18030 text; save it as UTF-8 CSV",
    )


class _NotThisEncoding(Exception):
    """The reader met bytes that are not text in the encoding tried."""


def _is_decoding(exc: pa.ArrowInvalid) -> bool:
    text = str(exc).lower()
    return "utf8" in text or "utf-8" in text or "decode" in text or "encod" in text


def _read_csv_as(path: Path, table: str, encoding: str, head: bytes) -> RawTable:
    read_options = pacsv.ReadOptions(encoding=encoding, block_size=_BLOCK_SIZE)
    names = _header(path, head, encoding)
    malformed: list[MalformedRow] = []

    def skip(row: pacsv.InvalidRow) -> str:
        malformed.append(
            MalformedRow(row.number, row.text, row.expected_columns, row.actual_columns)
        )
        return "skip"

    def read(options: pacsv.ReadOptions) -> pa.Table:
        with quiet_unraisable() as caught:
            data = pacsv.read_csv(
                path,
                read_options=options,
                parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
                convert_options=pacsv.ConvertOptions(
                    column_types={name: TEXT for name in names},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        if caught:  # a malformed line that is not text in this encoding
            raise _NotThisEncoding(str(caught[0]))
        return data

    data = read(read_options)
    if malformed and any(m.row is None for m in malformed):
        # The threaded reader does not know line numbers; read once more in order for them.
        malformed.clear()
        data = read(pacsv.ReadOptions(encoding=encoding, block_size=_BLOCK_SIZE, use_threads=False))
    if malformed and data.num_rows == 0 and _trailing_separator(malformed):
        # Some exporters end every data line, but not the header, with a separator: one more,
        # empty, column. Read again with that column (named "", ignored as an extra column).
        malformed.clear()
        data = read(
            pacsv.ReadOptions(
                encoding=encoding,
                block_size=_BLOCK_SIZE,
                column_names=[*names, ""],
                skip_rows=1,
                use_threads=False,
            )
        )
    return RawTable(table, path, data, encoding=encoding, malformed=malformed)


def _trailing_separator(malformed: list[MalformedRow]) -> bool:
    """Every bad line has exactly one field too many, and that field is empty."""
    return all(
        m.actual == m.expected + 1 and m.text.rstrip("\r\n").endswith(",") for m in malformed
    )


def _header(path: Path, head: bytes, encoding: str) -> list[str]:
    """The column names, from the file's first bytes (UnicodeDecodeError when not this encoding).

    Parsed here rather than by an Arrow streaming reader: that reader reports a line it cannot
    decode through a callback whose errors are printed to the terminal, raw bytes and all.
    """
    codec = "utf-8-sig" if encoding == "utf8" else encoding
    decoder = codecs.getincrementaldecoder(codec)()
    text = decoder.decode(head, final=len(head) < _HEAD_BYTES)
    try:
        first = next(csv.reader(io.StringIO(text, newline="")), None)
    except csv.Error as exc:
        raise FileProblem("not_csv", path, "the first line is not a CSV header") from exc
    if not first or all(not name.strip() for name in first):
        raise FileProblem("empty_file", path, "the header line is blank")
    return first
