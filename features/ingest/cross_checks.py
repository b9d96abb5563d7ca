"""The checks that look across pieces, as joins on the cluster (dask.dataframe).

Per table the workers' scans give (piece, column, id): the distinct ids of each piece. From
them, without the client seeing more than the answer (normally a handful of rows):

- `unknown_ids`: per piece, the ids of a reference column that the referenced table did not
  keep (an anti-join of the piece's ids with the ids the referenced table's pieces kept);
- `repeated_rows`: per piece, the rows whose key an earlier piece already holds. Only ids held
  by two or more pieces can repeat a key across pieces, so only their rows are compared, by
  a group-by on the whole key (`piece_tasks.key_rows`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from dask import dataframe as dd

from features.ingest.piece_tasks import Piece, key_rows

IDS_META = pd.DataFrame(
    {"piece": pd.Series(dtype="int64"), "column": pd.Series(dtype=str), "id": pd.Series(dtype=str)}
)
KEPT_META = pd.DataFrame({"id": pd.Series(dtype=str)})
KEYS_META = pd.DataFrame(
    {
        "key": pd.Series(dtype=str),
        "piece": pd.Series(dtype="int64"),
        "position": pd.Series(dtype="int64"),
    }
)


def _ids(scans: list[Any], column: str) -> dd.DataFrame:
    ids = dd.from_delayed(scans, meta=IDS_META, verify_meta=False)
    return ids[ids["column"] == column][["piece", "id"]]


def unknown_ids(scans: list[Any], column: str, kept: list[Any]) -> dict[int, pd.DataFrame]:
    """{piece: frame of "id"} of the ids in `column` the referenced table's pieces did not keep."""
    known = dd.from_delayed(kept, meta=KEPT_META, verify_meta=False).assign(known=1)
    joined = _ids(scans, column).merge(known, on="id", how="left")
    missing = joined[joined["known"].isna()][["piece", "id"]].compute()
    return {int(piece): group[["id"]] for piece, group in missing.groupby("piece")}


def repeated_rows(
    client: Any, scans: list[Any], pieces: list[Piece], column: str
) -> dict[int, np.ndarray]:
    """{piece: positions} of the rows whose whole key an earlier piece holds."""
    ids = _ids(scans, column)
    holders = ids.groupby("id")["piece"].count()
    shared = holders[holders > 1].compute()  # ids in several pieces: usually none
    if shared.empty:
        return {}
    shared_ids = pd.DataFrame({"id": shared.index.astype(str)})
    which = ids[ids["id"].isin(list(shared_ids["id"]))]["piece"].unique().compute()
    futures = [client.submit(key_rows, pieces[int(i)], shared_ids, pure=False) for i in which]
    keys = dd.from_delayed(futures, meta=KEYS_META, verify_meta=False)
    first = keys.groupby("key")["piece"].min().rename("first").reset_index()
    both = keys.merge(first, on="key")
    later = both[both["piece"] > both["first"]][["piece", "position"]].compute()
    return {
        int(piece): np.sort(group["position"].to_numpy(np.int64))
        for piece, group in later.groupby("piece")
    }
