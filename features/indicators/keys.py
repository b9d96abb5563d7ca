"""Fast id lookups: positions and membership of string ids, hashed in Arrow.

pandas' `isin` and `get_indexer` on Arrow-backed strings fall back to Python objects; with
20M attendance rows and 100k students that is most of a snapshot's time. These helpers
hash the ids in Arrow instead and return numpy arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

Ids = pd.Series | pd.Index | np.ndarray | pa.Array | pa.ChunkedArray


def as_arrow(ids: Ids) -> pa.Array | pa.ChunkedArray:
    """Ids as an Arrow string array (categoricals and dictionaries decoded)."""
    if isinstance(ids, pa.Array | pa.ChunkedArray):
        arr = ids
    elif isinstance(ids, pd.Series | pd.Index) and hasattr(ids.array, "__arrow_array__"):
        arr = ids.array.__arrow_array__()
    elif isinstance(ids, pd.Series | pd.Index) and isinstance(ids.dtype, pd.CategoricalDtype):
        cats = pa.array(np.asarray(ids.cat.categories, dtype=object), type=pa.string())
        codes = pa.array(np.asarray(ids.cat.codes), mask=np.asarray(ids.cat.codes) < 0)
        arr = cats.take(codes)
    else:
        values = np.asarray(ids, dtype=object)
        arr = pa.array(values, type=pa.string(), from_pandas=True)
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    return arr


def _numpy(result: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(result, pa.ChunkedArray):
        result = result.combine_chunks() if result.num_chunks != 1 else result.chunk(0)
    return result.to_numpy(zero_copy_only=False)


def positions(values: Ids, keys: Ids) -> np.ndarray:
    """Position of each value in `keys` (first occurrence), -1 when absent or missing."""
    key_set = as_arrow(keys)
    if isinstance(key_set, pa.ChunkedArray):
        key_set = key_set.combine_chunks()
    found = pc.index_in(as_arrow(values), value_set=key_set)
    return _numpy(pc.fill_null(found, -1)).astype(np.int64, copy=False)


def member(values: Ids, keys: Ids) -> np.ndarray:
    """True where the value is one of `keys`."""
    key_set = as_arrow(keys)
    if isinstance(key_set, pa.ChunkedArray):
        key_set = key_set.combine_chunks()
    return _numpy(pc.fill_null(pc.is_in(as_arrow(values), value_set=key_set), False)).astype(bool)


def take_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """Rows of `frame` by position, a row of missing values where the position is -1."""
    return frame.reset_index(drop=True).reindex(rows).reset_index(drop=True)
