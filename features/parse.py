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
    frame = pd.DataFrame(columns, index=pd.RangeIndex(data.num_rows))
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
    codes, categories = _dictionary(arr)
    stripped = categories.str.strip()
    blank = np.asarray(stripped == "", dtype=bool)
    if kind == "id":
        # Ids are taken as written ("007" stays "007"); only a blank cell is missing.
        return _recode(codes, categories.where(~blank)), np.zeros(len(codes), dtype=bool)
    if kind == "code":
        canonical = {code.lower(): code for code in column.codes or ()}
        mapped = stripped.str.lower().map(canonical)
        # Unknown codes are kept as written so the bad-code check can show them.
        values = mapped.where(mapped.notna(), stripped).where(~blank)
        return _recode(codes, values), np.zeros(len(codes), dtype=bool)
    if kind == "bool":
        per_value, readable = _bool_values(stripped)
        result = pd.arrays.BooleanArray(
            _take(per_value, codes, False), ~_take(readable, codes, False)
        )
    elif kind == "date":
        per_value = _date_values(stripped)
        readable = ~np.isnat(per_value)
        result = pd.Series(_take(per_value, codes, np.datetime64("NaT", "ns")))
    else:
        per_value, readable = _number_values(stripped, integer=kind == "int")
        result = _take(per_value, codes, np.nan)
    bad = _take(~readable & ~blank, codes, False)
    return result, bad


def _text(arr: pa.Array) -> pd.Series:
    arr = pc.cast(arr, pa.string())
    blank = pc.equal(pc.utf8_trim_whitespace(arr), "")
    arr = pc.if_else(blank, pa.scalar(None, pa.string()), arr)
    return pd.Series(arr.to_pandas(types_mapper={pa.string(): TEXT_DTYPE}.get), dtype=TEXT_DTYPE)


def _dictionary(arr: pa.Array) -> tuple[np.ndarray, pd.Index]:
    """Row codes (-1 for null) and the distinct values as strings."""
    if pa.types.is_dictionary(arr.type):
        if not (
            pa.types.is_string(arr.type.value_type) or pa.types.is_large_string(arr.type.value_type)
        ):
            arr = pc.cast(arr, pa.string())
    elif not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    codes = pc.fill_null(arr.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    categories = pd.Index(arr.dictionary.to_pylist(), dtype=object)
    if categories.hasnans or not categories.is_unique:
        # A Parquet dictionary may repeat values or hold a null; fold them.
        return _fold(codes, categories)
    return codes, categories


def _fold(codes: np.ndarray, values: pd.Index) -> tuple[np.ndarray, pd.Index]:
    folded, uniques = pd.factorize(values)
    return np.append(folded, -1).astype(np.int32)[codes], pd.Index(uniques, dtype=object)


def _recode(codes: np.ndarray, values: pd.Index) -> pd.Categorical:
    """A categorical whose row i is `values[codes[i]]`; missing where that is missing."""
    new_codes, uniques = _fold(codes, pd.Index(values, dtype=object))
    categories = pd.Index(uniques, dtype=object).astype(str)
    return pd.Categorical.from_codes(new_codes, categories=categories)


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
        readable &= np.equal(
            np.round(numbers), numbers, where=readable, out=np.zeros_like(readable)
        )
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
        readable &= np.equal(
            np.round(numbers), numbers, where=readable, out=np.zeros_like(readable)
        )
    return np.where(readable, numbers, np.nan), present & ~readable


def _native_date(arr: pa.Array) -> tuple[pd.Series, np.ndarray]:
    """Parquet dates and timestamps to whole days, without overflowing nanoseconds."""
    typ = arr.type
    if pa.types.is_date32(typ):
        ticks, per_day = pc.cast(arr, pa.int32()), 1
    elif pa.types.is_date64(typ):
        ticks, per_day = pc.cast(arr, pa.int64()), 86_400_000
    else:
        ticks, per_day = pc.cast(arr, pa.int64()), _DAY_NS // _NS_PER_UNIT[typ.unit]
    # Float keeps nulls as NaN; its rounding (under a microsecond) cannot move a day.
    days = np.floor(pc.cast(ticks, pa.float64()).to_numpy(zero_copy_only=False) / per_day)
    present = ~np.isnan(days)
    # datetime64[ns] holds 1677..2262; anything outside is certainly not a school record.
    readable = present & (days > -106_000) & (days < 106_000)
    whole = np.where(readable, days, 0).astype(np.int64)
    values = (whole * _DAY_NS).astype("datetime64[ns]")
    values[~readable] = np.datetime64("NaT")
    return pd.Series(values), present & ~readable
