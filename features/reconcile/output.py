"""Writing a reconciliation: files under the home, a copy where asked, the lists to visit.

Under `<home>/reconcile/<folder>-<as_of>/`: `residents.parquet` (every column, for the
service), `residents.csv`, `unmatched_students.csv`, `duplicates.csv` and `summary.csv`
(per township). The `--out` copy holds one row per resident of compulsory-school age with
`person_id`, `status`, `student_id`, `match_weight` (and township, village, name, so that a
row without an id can still be found). CSV files are UTF-8 with BOM for Excel.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.errors import UserError

from .status import Reconciliation

OUT_COLUMNS = ["person_id", "status", "student_id", "match_weight", "name", "township", "village"]
VISIT_COLUMNS = ["name", "township", "village", "age"]


def _csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, encoding="utf-8-sig")


def write_outputs(result: Reconciliation, folder: Path) -> Path:
    """Write every file of a reconciliation into `folder`; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    residents = result.residents.assign(as_of=result.as_of, school_year=result.school_year)
    residents.to_parquet(folder / "residents.parquet", index=False)
    _csv(residents, folder / "residents.csv")
    _csv(result.unmatched_students, folder / "unmatched_students.csv")
    _csv(result.duplicates, folder / "duplicates.csv")
    _csv(result.summary(), folder / "summary.csv")
    return folder


def write_copy(result: Reconciliation, out: Path) -> None:
    """The `--out` copy: .csv or .parquet, one row per resident of compulsory-school age."""
    frame = result.residents[OUT_COLUMNS]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".parquet":
            frame.to_parquet(out, index=False)
        elif out.suffix == ".csv":
            _csv(frame, out)
        else:
            raise UserError(f"--out must name a .csv or .parquet file, not {out}")
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from exc


def not_enrolled(
    residents: pd.DataFrame, township: str | None = None, county: str | None = None
) -> pd.DataFrame:
    """The children to visit: not_enrolled residents (name, village, age), in a scope.

    `residents` is a reconciliation's residents frame (or `residents.parquet`); a township
    scope is pinned to its county when the frame knows the county.
    """
    rows = residents.loc[residents["status"] == "not_enrolled"]
    if township is not None:
        rows = rows.loc[rows["township"] == township]
    if county is not None and "county" in rows.columns:
        rows = rows.loc[rows["county"] == county]
    ordered = rows.sort_values(["township", "village", "name"], na_position="last")
    return ordered[VISIT_COLUMNS].reset_index(drop=True)
