"""Typed tables to a partitioned Parquet dataset and back.

One folder per table, Hive-style partitions `p_county=.../p_group=.../[p_year=...]`. The
partition columns are added for the layout only; reading drops them and gives each column
the contract's dtype again (categories in the contract's order, Arrow-backed ids).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from features.contract import CONTRACT
from features.ingest.placement import Placement, row_parts, row_years

PART_COLUMNS = ("p_county", "p_group", "p_year")
EMPTY_FILE = "empty.parquet"
# Row groups of ~256k rows: small enough for a date filter to skip most of a year.
ROWS_PER_GROUP = 1 << 18


def partitioning(yearly: bool) -> ds.Partitioning:
    fields = [("p_county", pa.string()), ("p_group", pa.int32())]
    if yearly:
        fields.append(("p_year", pa.int32()))
    return ds.partitioning(pa.schema(fields), flavor="hive")


def write_table(
    name: str, frame: pd.DataFrame, placement: Placement, folder: Path, piece: int | None = None
) -> dict[str, object]:
    """Write one table under `folder/<name>`; return what the manifest records of it.

    With `piece`, the rows are one piece of the table, written beside the other pieces'
    (files `part-<piece>-<i>.parquet`, several tasks at once); no rows, no file."""
    target = folder / name
    data = pa.Table.from_pandas(frame, preserve_index=False)
    if len(frame) == 0 and piece is not None:
        return {"rows": 0, "yearly": False, "partitions": 0, "files": []}
    if len(frame) == 0:
        target.mkdir(parents=True)
        pq.write_table(data, target / EMPTY_FILE)
        return {"rows": 0, "yearly": False, "partitions": 0, "files": []}
    part = row_parts(name, frame, placement)
    years = row_years(name, frame)
    parts = placement.parts
    data = data.append_column("p_county", pa.array(parts["p_county"].to_numpy()[part]))
    data = data.append_column("p_group", pa.array(parts["p_group"].to_numpy(np.int32)[part]))
    if years is not None:
        data = data.append_column("p_year", pa.array(years))
    written: list[str] = []
    ds.write_dataset(
        data,
        target,
        format="parquet",
        partitioning=partitioning(years is not None),
        basename_template="part-{i}.parquet" if piece is None else f"part-{piece}-{{i}}.parquet",
        max_rows_per_group=ROWS_PER_GROUP,
        min_rows_per_group=min(ROWS_PER_GROUP, 1 << 16),
        max_partitions=1 << 16,
        existing_data_behavior="error" if piece is None else "overwrite_or_ignore",
        file_visitor=lambda f: written.append(f.path),
    )
    files = sorted(str(Path(path).relative_to(target)) for path in written)
    dirs = {str(Path(f).parent) for f in files}
    return {
        "rows": len(frame),
        "yearly": years is not None,
        "partitions": len(dirs),
        "files": files,
    }


def partition_keys(directory: str) -> dict[str, str]:
    """{"p_county": ..., "p_group": ..., "p_year": ...} of a partition folder's relative path."""
    from urllib.parse import unquote

    return dict(unquote(part).split("=", 1) for part in Path(directory).parts)


def dataset(folder: Path, name: str, entry: dict[str, Any]) -> ds.Dataset:
    """The Arrow dataset of one ingested table: exactly the files its manifest entry lists
    (a missing one raises FileNotFoundError rather than reading fewer rows)."""
    target = folder / name
    if not entry["files"]:
        return ds.dataset(target / EMPTY_FILE, format="parquet")
    return ds.dataset(
        [str(target / f) for f in entry["files"]],
        format="parquet",
        partitioning=partitioning(bool(entry["yearly"])),
        partition_base_dir=str(target),
    )


def read_table(
    folder: Path,
    name: str,
    entry: dict[str, Any],
    columns: Sequence[str] | None = None,
    where: ds.Expression | None = None,
) -> pd.DataFrame:
    """One ingested table as pandas with the contract's dtypes (only `columns`, rows `where`);
    a whole read is checked against the row count in the manifest."""
    data = dataset(folder, name, entry)
    keep = [c for c in data.schema.names if c not in PART_COLUMNS]
    if columns is not None:
        keep = [c for c in keep if c in columns]
    if where is not None and not entry["files"]:
        where = None  # the empty table has no partition columns to filter on
    arrow = data.to_table(columns=keep, filter=where)
    if where is None and arrow.num_rows != entry["rows"]:
        raise ValueError(f"{name}: {arrow.num_rows} rows read, {entry['rows']} written")
    return conform(name, arrow)


def conform(name: str, arrow: pa.Table) -> pd.DataFrame:
    """Arrow columns to the pandas dtypes `features.validate.to_contract` gives."""
    table = CONTRACT.get(name)
    out: dict[str, object] = {}
    for column in arrow.column_names:
        values = arrow.column(column)
        spec = table.column(column) if table and column in table.column_names else None
        if pa.types.is_dictionary(values.type) and (spec is None or spec.kind != "code"):
            values = values.cast(values.type.value_type)
        text = pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
        if text and (spec is None or spec.kind != "code"):
            out[column] = pd.array(values.cast(pa.string()), dtype=pd.StringDtype("pyarrow"))
            continue
        series = values.to_pandas()
        if spec is not None and spec.kind == "date":
            out[column] = series.to_numpy("datetime64[ns]")
        elif spec is not None:
            out[column] = series.astype(spec.dtype).array
        else:
            out[column] = series.array
    return pd.DataFrame(out, index=pd.RangeIndex(arrow.num_rows), copy=False)


def replace_folder(new: Path, old: Path) -> None:
    """Put `new` where `old` was (two renames; the manifest is read last, so a reader sees one
    whole dataset or finds none and ingests)."""
    if old.exists():
        trash = old.with_name(old.name + ".old")
        shutil.rmtree(trash, ignore_errors=True)
        old.rename(trash)
        new.rename(old)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        new.rename(old)
