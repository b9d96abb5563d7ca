"""Write the county's tables as CSV (UTF-8) or Parquet, attendance streamed chunk by chunk."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

Format = Literal["csv", "parquet"]

SCHEMAS: dict[str, pa.Schema] = {
    "schools": pa.schema(
        [
            ("school_id", pa.string()),
            ("name", pa.string()),
            ("county", pa.string()),
            ("township", pa.string()),
            ("level", pa.string()),
            ("rural", pa.bool_()),
            ("boarding", pa.bool_()),
        ]
    ),
    "students": pa.schema(
        [
            ("student_id", pa.string()),
            ("household_id", pa.string()),
            ("gender", pa.string()),
            ("birth_date", pa.date32()),
            ("ethnic_minority", pa.bool_()),
            ("disability", pa.string()),
            ("name", pa.string()),
        ]
    ),
    "enrollments": pa.schema(
        [
            ("student_id", pa.string()),
            ("school_year", pa.int16()),
            ("school_id", pa.string()),
            ("grade", pa.int16()),
            ("boarding", pa.bool_()),
            ("distance_km", pa.float64()),
        ]
    ),
    "households": pa.schema(
        [
            ("household_id", pa.string()),
            ("recorded_on", pa.date32()),
            ("registered_poor", pa.bool_()),
            ("low_income_allowance", pa.bool_()),
            ("father_migrant", pa.bool_()),
            ("mother_migrant", pa.bool_()),
            ("guardian", pa.string()),
            ("village", pa.string()),
            ("address", pa.string()),
            ("guardian_name", pa.string()),
            ("guardian_phone", pa.string()),
        ]
    ),
    "attendance": pa.schema(
        [("student_id", pa.string()), ("date", pa.date32()), ("status", pa.string())]
    ),
    "grades": pa.schema(
        [
            ("student_id", pa.string()),
            ("school_year", pa.int16()),
            ("term", pa.int16()),
            ("subject", pa.string()),
            ("score", pa.float64()),
            ("exam_date", pa.date32()),
        ]
    ),
    "dropouts": pa.schema(
        [
            ("student_id", pa.string()),
            ("left_on", pa.date32()),
            ("reason", pa.string()),
            ("returned_on", pa.date32()),
        ]
    ),
    "residents": pa.schema(
        [
            ("person_id", pa.string()),
            ("name", pa.string()),
            ("gender", pa.string()),
            ("birth_date", pa.date32()),
            ("county", pa.string()),
            ("township", pa.string()),
            ("village", pa.string()),
            ("status", pa.string()),
            ("recorded_on", pa.date32()),
        ]
    ),
}
# The students table when the county has a household register: its person_id column too.
STUDENTS_WITH_PERSON_ID = SCHEMAS["students"].append(pa.field("person_id", pa.string()))

# No quotes: the generator's values never hold commas, quotes or newlines, and quotes
# around 40M attendance ids and statuses would add a fifth to the file.
_CSV_OPTIONS = pacsv.WriteOptions(
    include_header=True, quoting_style="none", quoting_header="none", batch_size=65536
)


def table_path(out_dir: Path, name: str, fmt: Format) -> Path:
    return out_dir / f"{name}.{fmt}"


def write_table(
    out_dir: Path,
    name: str,
    columns: dict[str, pa.Array],
    fmt: Format,
    schema: pa.Schema | None = None,
) -> int:
    """Write one whole table; returns its row count."""
    table = pa.table(columns, schema=schema or SCHEMAS[name])
    path = table_path(out_dir, name, fmt)
    if fmt == "csv":
        pacsv.write_csv(table, path, write_options=_CSV_OPTIONS)
    else:
        pq.write_table(table, path, compression="zstd")
    return table.num_rows


class StreamWriter:
    """A table written in pieces (attendance), so that memory holds one chunk at a time."""

    def __init__(self, out_dir: Path, name: str, fmt: Format) -> None:
        self.fmt = fmt
        # Ids and statuses repeat millions of times: dictionary-encoded, the CSV writer
        # skips materialising the strings, and Parquet readers get the codes back for free
        # (the validator reads them without re-encoding: about twice as fast on attendance).
        self.schema = pa.schema(
            [
                pa.field(f.name, pa.dictionary(pa.int32(), f.type)) if f.type == pa.string() else f
                for f in SCHEMAS[name]
            ]
        )
        path = table_path(out_dir, name, fmt)
        self.rows = 0
        if fmt == "csv":
            self._writer: pacsv.CSVWriter | pq.ParquetWriter = pacsv.CSVWriter(
                path, self.schema, write_options=_CSV_OPTIONS
            )
        else:
            self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, columns: dict[str, pa.Array]) -> None:
        table = pa.table(columns, schema=self.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> StreamWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def coded(values: np.ndarray | list[str], codes: np.ndarray) -> pa.DictionaryArray:
    """A dictionary-encoded text column whose row i is `values[codes[i]]`."""
    dictionary = pa.array(values, type=pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32)), dictionary)
