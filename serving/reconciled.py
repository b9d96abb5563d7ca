"""The latest reconciliation of each county, read from the files `reconcile` writes.

`dropout-risk reconcile` writes `<home>/reconcile/<folder>-<date>/residents.parquet`. The
service reads, for each county, the run with the latest as-of date, and hands a case worker
the `not_enrolled` children of their scope: name, township, village, age. Scope rules are
the watchlist's: `all` sees every county, `county:X` its county, `township:C/X` its township
of county C (a township name alone matches it in every county only when it was not pinned);
a school scope sees nobody, since these children are in no school.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.reconcile.output import VISIT_COLUMNS
from serving.auth import Scope

FILE = "residents.parquet"
COLUMNS = ["county", "township", "village", "name", "age", "status", "as_of"]


def latest_not_enrolled(
    home: Path, columns: list[str] = COLUMNS, until: pd.Timestamp | None = None
) -> pd.DataFrame:
    """The not_enrolled rows of each county's latest reconciliation (empty when none);
    `until`: only runs as of that date or before; `columns`: more than the visit list's."""
    columns = list(dict.fromkeys([*COLUMNS, *columns]))
    frames = []
    for path in sorted((Path(home) / "reconcile").glob(f"*/{FILE}")):
        try:
            frame = pd.read_parquet(path, columns=columns)
        except (OSError, ValueError, KeyError):  # a run being written, or foreign: skip it
            continue
        if until is not None:
            frame = frame.loc[frame["as_of"] <= until]
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=columns)
    rows = pd.concat(frames, ignore_index=True)
    # The latest run of a county counts even when it found nobody: older runs are history.
    latest = rows.groupby("county")["as_of"].transform("max")
    return rows.loc[(rows["as_of"] == latest) & (rows["status"] == "not_enrolled")]


def in_scope(rows: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The rows a scope may see."""
    if scope.kind == "all":
        return rows
    if scope.kind == "county":
        return rows.loc[rows["county"] == scope.value]
    if scope.kind == "township":
        mine = rows["township"] == scope.value
        if scope.county is not None:
            mine &= rows["county"] == scope.county
        return rows.loc[mine]
    return rows.iloc[0:0]


def visit_list(
    home: Path, scope: Scope, township: str | None = None, county: str | None = None
) -> pd.DataFrame:
    """A scope's not_enrolled children, by township, village and name; filters narrow it."""
    rows = in_scope(latest_not_enrolled(home), scope)
    if township is not None:
        rows = rows.loc[rows["township"] == township]
    if county is not None:
        rows = rows.loc[rows["county"] == county]
    rows = rows.sort_values(["county", "township", "village", "name"], na_position="last")
    return rows[["county", *VISIT_COLUMNS, "as_of"]].reset_index(drop=True)
