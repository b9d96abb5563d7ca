"""Generate a province of several counties as a split raw export, one county at a time.

Each county is generated whole by `generate_county` (its own seed, so its own children,
schools and names; townships like 城关镇 recur between counties, as in a real province)
into a scratch folder, then appended to the province as one Parquet piece per table:
`OUT/<table>/county001.parquet`, ... and `OUT/export.json`. The scratch county is
streamed batch by batch and deleted, so memory is bounded by one county, never the
province. Every id gets the county's prefix (`C001-`), so ids are unique across the
province while each county's generator stays unchanged; the `county` column and the
schools' names carry the county's own name.

The province has no household register or home visits (`--residents`, `--visit-effect`
are county options): person ids are national and would need one register for all.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.contract import ALL_TABLES, TABLE_NAMES
from features.errors import UserError

from .calendar import school_calendar
from .county import generate_county
from .geography import COUNTY
from .plan import write_export_file

Progress = Callable[[str, float], None]
# County names of the province, in order; past the list, numbered (青山二县 would be odd).
NAMES = (
    "青山县", "白水县", "石门县", "云溪县", "清河县", "桃源县", "龙泉县", "金沙县", "平川县",
    "东阳县", "西林县", "南江县", "北川县", "安宁县", "长乐县", "永和县", "宁远县", "新田县",
)  # fmt: skip
_BATCH = 1 << 18


@dataclass(frozen=True)
class ProvinceSummary:
    out_dir: Path
    counties: list[str]
    students: int
    rows: dict[str, int]
    export_date: str

    def describe(self) -> str:
        rows = ", ".join(f"{name} {n:,}" for name, n in self.rows.items())
        return (
            f"Wrote a province of {len(self.counties)} counties, {self.students:,} students, "
            f"to {self.out_dir} (one Parquet piece per county and table; export date "
            f"{self.export_date}). Rows: {rows}."
        )


def county_name(k: int) -> str:
    return NAMES[k] if k < len(NAMES) else f"{NAMES[k % len(NAMES)][:-1]}{k // len(NAMES) + 1}县"


def id_prefix(k: int) -> str:
    return f"C{k + 1:03d}-"


def generate_province(
    out_dir: Path,
    counties: int,
    students: int = 5000,
    years: int = 1,
    seed: int = 0,
    start_year: int = 2022,
    calendar: str = "standard",
    export_date: str | None = None,
    progress: Progress | None = None,
) -> ProvinceSummary:
    """Write `counties` counties of `students` students each (the province holds
    counties × students) to `out_dir` as a split export; the same arguments, the same files."""
    if counties < 1:
        raise UserError(f"--counties must be at least 1, got {counties}")
    say = progress or (lambda stage, fraction: None)
    out_dir = Path(out_dir)
    # Every county is cut on the same day, so the province has one export date.
    cut = export_date or str(school_calendar(start_year + years - 1).last_day)
    scratch = out_dir / ".county"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in TABLE_NAMES:
            shutil.rmtree(out_dir / name, ignore_errors=True)
            for ext in ("csv", "parquet"):
                (out_dir / f"{name}.{ext}").unlink(missing_ok=True)
    except OSError as exc:
        raise UserError(f"cannot write the province to {out_dir}: {exc.strerror or exc}") from exc
    rows = dict.fromkeys(TABLE_NAMES, 0)
    total = 0
    for k in range(counties):
        name = county_name(k)

        def step(stage: str, fraction: float, k: int = k, name: str = name) -> None:
            say(f"{name} ({k + 1}/{counties}): {stage}", (k + 0.9 * fraction) / counties)

        summary = generate_county(
            scratch, students=students, years=years, seed=seed * 100_003 + k, fmt="parquet",
            start_year=start_year, progress=step, calendar=calendar, export_date=cut,
            residents=False,
        )  # fmt: skip
        total += summary.students
        say(f"{name} ({k + 1}/{counties}): appending to the province", (k + 0.95) / counties)
        for table in TABLE_NAMES:
            rows[table] += _append(scratch / f"{table}.parquet", out_dir / table, k)
        shutil.rmtree(scratch)
    write_export_file(out_dir, np.datetime64(cut, "D"))
    say("Done", 1.0)
    names = [county_name(k) for k in range(counties)]
    return ProvinceSummary(out_dir, names, total, rows, cut)


def _append(source: Path, folder: Path, k: int) -> int:
    """Stream one county table into the province's piece `folder/countyNNN.parquet`."""
    folder.mkdir(exist_ok=True)
    reader = pq.ParquetFile(source)
    writer: pq.ParquetWriter | None = None
    n = 0
    for batch in reader.iter_batches(batch_size=_BATCH):
        data = _relabel(pa.Table.from_batches([batch]), k)
        if writer is None:
            writer = pq.ParquetWriter(folder / f"county{k + 1:03d}.parquet", data.schema,
                                      compression="zstd")  # fmt: skip
        writer.write_table(data)
        n += data.num_rows
    if writer is None:  # a table with no rows still gets its piece, header only
        pq.write_table(_relabel(reader.schema_arrow.empty_table(), k),
                       folder / f"county{k + 1:03d}.parquet")  # fmt: skip
    else:
        writer.close()
    return n


def _relabel(data: pa.Table, k: int) -> pa.Table:
    """The county's ids prefixed, its name in `county` and in the schools' names."""
    ids = {c.name for table in ALL_TABLES.values() for c in table.columns if c.kind == "id"}
    ids.discard("person_id")
    for i, column in enumerate(data.column_names):
        values = data.column(i)
        if column in ids:
            values = _map_text(values, lambda a: pc.utf8_replace_slice(a, 0, 0, id_prefix(k)))
        elif column == "county" or (column == "name" and "county" in data.column_names):
            values = _map_text(values, lambda a: pc.replace_substring(a, COUNTY, county_name(k)))
        else:
            continue
        data = data.set_column(i, column, values)
    return data


def _map_text(values: pa.ChunkedArray, fn: Callable[[pa.Array], pa.Array]) -> pa.ChunkedArray:
    """Apply a text function; to a dictionary column's dictionary only (millions of ids)."""
    chunks = []
    for chunk in values.chunks:
        if pa.types.is_dictionary(chunk.type):
            chunk = pa.DictionaryArray.from_arrays(chunk.indices, fn(chunk.dictionary))
        else:
            chunk = fn(chunk)
        chunks.append(chunk)
    return pa.chunked_array(chunks, type=values.type)
