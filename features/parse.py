"""Turning a table's raw columns into typed pandas columns, as the contract says.

Every parser works on the column's distinct values, not on its rows: Arrow
dictionary-encodes the column (one C++ pass), the few distinct values (a few
hundred dates, five statuses, 100k student ids) are parsed in pandas, and the
result is spread back to the rows with one numpy `take`. That keeps a 20M-row
attendance table to a couple of seconds.

The result is the *validation frame*: ids and codes are categoricals of the values
actually seen (so that checks and key building work on integer codes), booleans
are nullable, integers are floats until the range checks have run, dates are
`datetime64[ns]`. A value that is present but cannot be read as its column's
kind becomes missing and is marked in `ParsedTable.unparseable`, so the
validator can report it with the raw text and set the row aside.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.contract import TEXT_DTYPE, Column, Table

TRUE_WORDS = frozenset({"true", "t", "1", "1.0", "yes", "y", "是"})
FALSE_WORDS = frozenset({"false", "f", "0", "0.0", "no", "n", "否"})
# 2023-09-01, 2023/9/1, 2023.9.1, 2023年9月1日, optionally with a midnight time (Excel).
_DATE = (
    r"^(?P<year>\d{4})[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_DAY_NS = 86_400 * 10**9
_NS_LIMITS = (datetime.date(1678, 1, 1), datetime.date(2261, 12, 31))


class ColumnError(Exception):
    """A column whose stored type cannot be turned into its contract kind at all."""

    def __init__(self, column: str, cause: Exception) -> None:
        super().__init__(f"column {column!r} cannot be read: {cause}")
        self.column = column


@dataclass
class ParsedTable:
    """A table's contract columns, typed for validation, and where values could not be read."""

    frame: pd.DataFrame
    unparseable: dict[str, np.ndarray]


def parse_table(data: pa.Table, table: Table) -> ParsedTable:
    """Type every contract column present in `data`; absent optional columns become empty."""
    columns: dict[str, object] = {}
    unparseable: dict[str, np.ndarray] = {}
    for column in table.columns:
        if column.name not in data.column_names:
            # Only optional columns can be absent here; the validator checked required ones.
            columns[column.name] = pd.array([pd.NA] * data.num_rows, dtype=column.dtype)
            continue
        try:
            values, bad = parse_column(data.column(column.name), column)
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise ColumnError(column.name, exc) from exc
        columns[column.name] = values
        if bad.any():
            unparseable[column.name] = bad
    frame = pd.DataFrame(columns, index=pd.RangeIndex(data.num_rows), copy=False)
    return ParsedTable(frame, unparseable)


def parse_column(arr: pa.ChunkedArray | pa.Array, column: Column) -> tuple[object, np.ndarray]:
    """One column: its typed values and a mask of values present but unreadable."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    kind = column.kind
    typ = arr.type
    if kind == "text":
        return _text(arr), np.zeros(len(arr), dtype=bool)
    if kind == "bool" and pa.types.is_boolean(typ):
        return _native_bool(arr), np.zeros(len(arr), dtype=bool)
    if kind in ("int", "float") and (pa.types.is_integer(typ) or pa.types.is_floating(typ)):
        return _native_number(arr, integer=kind == "int")
    if kind == "date" and (pa.types.is_date(typ) or pa.types.is_timestamp(typ)):
        return _native_date(arr)
    codes, values = _dictionary(arr)
    trimmed = pc.utf8_trim_whitespace(values)
    blank = pc.equal(trimmed, "").to_numpy(zero_copy_only=False)
    if kind == "id":
        # Ids are taken as written ("007" stays "007"); only a blank cell is missing.
        categories = pd.Index(values.to_pylist(), dtype=object)
        if blank.any():
            return _recode(codes, categories.where(~blank)), np.zeros(len(codes), dtype=bool)
        return _categorical(codes, categories), np.zeros(len(codes), dtype=bool)
    stripped = pd.Index(trimmed.to_pylist(), dtype=object)
    if kind == "code":
        canonical = {code.lower(): code for code in column.codes or ()}
        known = pd.Index(stripped.str.lower().map(canonical), dtype=object)
        # Unknown codes are kept as written so the bad-code check can show them.
        values_seen = known.where(known.notna(), stripped).where(~blank)
        return _recode(codes, values_seen), np.zeros(len(codes), dtype=bool)
    if kind == "bool":
        per_value, readable = _bool_values(stripped)
        result = pd.arrays.BooleanArray(
            _take(per_value, codes, False), ~_take(readable, codes, False)
        )
    elif kind == "date":
        per_value = _date_values(stripped)
        readable = ~np.isnat(per_value)
        result = pd.Series(_take(per_value, codes, np.datetime64("NaT", "ns")), copy=False)
    else:
        per_value, readable = _number_values(stripped, integer=kind == "int")
        result = _take(per_value, codes, np.nan)
    unreadable = ~readable & ~blank
    # Most columns read cleanly: skip spreading an all-False mask over 20M rows.
    bad = _take(unreadable, codes, False) if unreadable.any() else np.zeros(len(codes), bool)
    return result, bad


def _text(arr: pa.Array) -> pd.Series:
    arr = pc.cast(arr, pa.string())
    blank = pc.equal(pc.utf8_trim_whitespace(arr), "")
    arr = pc.if_else(blank, pa.scalar(None, pa.string()), arr)
    return pd.Series(arr.to_pandas(types_mapper={pa.string(): TEXT_DTYPE}.get), dtype=TEXT_DTYPE)


def _dictionary(arr: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Row codes (-1 for null) and the distinct values, as an Arrow string array."""
    if pa.types.is_dictionary(arr.type):
        if not (
            pa.types.is_string(arr.type.value_type) or pa.types.is_large_string(arr.type.value_type)
        ):
            arr = pc.cast(arr, pa.string())
    elif not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    indices = arr.indices if arr.null_count == 0 else pc.fill_null(arr.indices, -1)
    codes = indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    values = pc.cast(arr.dictionary, pa.string())
    if values.null_count or len(pc.unique(values)) != len(values):
        # A Parquet dictionary may repeat values or hold a null; fold them.
        folded, uniques = pd.factorize(pd.Index(values.to_pylist(), dtype=object))
        codes = np.append(folded, -1).astype(np.int32)[codes]
        values = pa.array(list(uniques), type=pa.string())
    return codes, values


def _categorical(codes: np.ndarray, categories: pd.Index) -> pd.Categorical:
    """Categories stay Python strings: membership checks then hash, not scan Arrow arrays."""
    dtype = pd.CategoricalDtype(pd.Index(categories, dtype=object))
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def _recode(codes: np.ndarray, values: pd.Index) -> pd.Categorical:
    """A categorical whose row i is `values[codes[i]]`; missing where that is missing."""
    folded, uniques = pd.factorize(pd.Index(values, dtype=object))
    return _categorical(np.append(folded, -1).astype(np.int32)[codes], pd.Index(uniques))


def _take(per_value: np.ndarray, codes: np.ndarray, fill: object) -> np.ndarray:
    """Spread per-distinct-value results back to rows; code -1 (null) picks `fill`."""
    extended = np.append(per_value, np.array([fill], dtype=per_value.dtype))
    return extended[codes]


def _bool_values(stripped: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    lowered = stripped.str.lower()
    true = lowered.isin(TRUE_WORDS)
    false = lowered.isin(FALSE_WORDS)
    return np.asarray(true, dtype=bool), np.asarray(true | false, dtype=bool)


def _number_values(stripped: pd.Index, integer: bool) -> tuple[np.ndarray, np.ndarray]:
    numbers = pd.to_numeric(pd.Series(stripped, dtype=object), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    readable = np.isfinite(numbers)
    if integer:
        readable &= _whole(numbers, readable)
    numbers = np.where(readable, numbers, np.nan)
    return numbers, readable


def _date_values(stripped: pd.Index) -> np.ndarray:
    parts = pd.Series(stripped, dtype=object).astype(str).str.extract(_DATE)
    parts = parts.apply(pd.to_numeric, errors="coerce")
    if parts.empty:
        return np.array([], dtype="datetime64[ns]")
    dates = pd.to_datetime(parts[["year", "month", "day"]], errors="coerce")
    return dates.to_numpy(dtype="datetime64[ns]")


def _native_bool(arr: pa.Array) -> pd.arrays.BooleanArray:
    values = pc.fill_null(arr, False).to_numpy(zero_copy_only=False)
    missing = arr.is_null().to_numpy(zero_copy_only=False)
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), np.asarray(missing, dtype=bool))


def _native_number(arr: pa.Array, integer: bool) -> tuple[np.ndarray, np.ndarray]:
    numbers = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
    present = ~np.isnan(numbers)
    readable = np.isfinite(numbers)
    if integer:
        readable &= _whole(numbers, readable)
    return np.where(readable, numbers, np.nan), present & ~readable


def _native_date(arr: pa.Array) -> tuple[pd.Series, np.ndarray]:
    """Parquet dates and timestamps as whole days in nanoseconds, without overflowing them."""
    if pa.types.is_timestamp(arr.type):
        if arr.type.tz is not None:
            arr = pc.local_timestamp(arr)  # the date on the wall clock where it was recorded
        arr = pc.floor_temporal(arr, unit="day")
    lowest, highest = pc.min_max(arr).values()
    present = arr.is_valid().to_numpy(zero_copy_only=False)
    # datetime64[ns] holds 1677..2262; anything outside is certainly not a school record.
    low, high = pa.scalar(_NS_LIMITS[0]).cast(arr.type), pa.scalar(_NS_LIMITS[1]).cast(arr.type)
    limits = low, high
    if lowest.is_valid and (lowest.as_py() < low.as_py() or highest.as_py() > high.as_py()):
        inside = pc.and_(pc.greater_equal(arr, limits[0]), pc.less_equal(arr, limits[1]))
        arr = pc.if_else(inside, arr, pa.scalar(None, arr.type))
    stamps = pc.cast(arr, pa.timestamp("ns")).to_numpy(zero_copy_only=False)
    readable = ~np.isnat(stamps)
    return pd.Series(stamps, copy=False), present & ~readable


def _whole(numbers: np.ndarray, finite: np.ndarray) -> np.ndarray:
    """Which finite numbers are whole (3 and 3.0 are; 3.5 is not)."""
    return np.equal(np.round(numbers), numbers, where=finite, out=np.zeros_like(finite))
