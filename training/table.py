"""A ready student-level table as training input: read it, and fit the spec to it.

`read_table` reads a CSV (UTF-8 with or without BOM, else GB18030) or Parquet file;
`table_inputs` gives the spec (the default fitted to the table when none is named, its
county-only parts skipped, each with a note), the notes and the fairness groups.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from training.errors import TableError
from training.generic import table_spec
from training.spec import ModelSpec


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (UTF-8 with or without BOM, else GB18030) or Parquet table."""
    path = Path(path)
    if not path.is_file():
        raise TableError(f"table file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt"):
            try:
                return pd.read_csv(path, encoding="utf-8-sig")
            except UnicodeDecodeError:
                return pd.read_csv(path, encoding="gb18030")
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise TableError(f"cannot read {path}: {exc}") from None
    raise TableError(f"{path}: use a .csv or .parquet file, not {suffix or 'no extension'}")


def table_inputs(
    frame: pd.DataFrame,
    spec: ModelSpec | None,
    group_columns: list[str] | None,
    source: str,
) -> tuple[ModelSpec, dict[str, str], list[str]]:
    """(spec, notes, fairness groups) for training on `frame`.

    Named group columns must exist; none named means the spec's groups the table has.
    """
    notes: dict[str, str] = {}
    if spec is None:
        spec, notes = table_spec(frame)
    if group_columns is None:
        return spec, notes, [c for c in spec.fairness_groups if c in frame.columns]
    missing = [c for c in group_columns if c not in frame.columns]
    if missing:
        raise TableError(f"{source} has no group column(s) {', '.join(missing)}")
    return spec, notes, group_columns
